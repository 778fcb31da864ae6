// libphonenumber's metadata packed for the warm click (dist/cli/fast.cjs), which reads it with
// src/features/calls/phone-metadata.ts: one header line of JSON (version, calling codes,
// non-geographic numbering plans, and where each country's part starts and ends, in bytes after
// the header), then each country's JSON, one after another. Parsing the world's ~160 KB cost a
// click on a "+" number ~4 ms; Germany's part is 3 KB.

/** The packed form of a libphonenumber metadata object (e.g. metadata.max.json). */
export function packPhoneMetadata(metadata) {
  const { countries, ...rest } = metadata;
  const index = {};
  const parts = [];
  let offset = 0;
  for (const [code, plan] of Object.entries(countries)) {
    const json = JSON.stringify(plan);
    const bytes = Buffer.byteLength(json);
    index[code] = [offset, offset + bytes];
    offset += bytes;
    parts.push(json);
  }
  return `${JSON.stringify({ ...rest, index })}\n${parts.join("")}`;
}
