// libphonenumber's metadata as the warm click reads it (dist/cli/fast.cjs; packed at build time by
// scripts/phone-metadata.mjs): the file is read once, and each country's numbering plan is parsed
// when libphonenumber first asks for it, so a click on a German number parses Germany's plan, not
// the world's. The object is libphonenumber's own metadata shape; phone-metadata.test.ts checks it
// equals the package's and reads every number alike.
import { readFileSync } from "node:fs";
import type { MetadataJson } from "libphonenumber-js/core";

interface PackedHeader {
  /** Where each country's JSON starts and ends, in bytes after the header line. */
  index: Record<string, [number, number]>;
  [key: string]: unknown;
}

export function readPackedPhoneMetadata(file: string): MetadataJson {
  const packed = readFileSync(file);
  const newline = packed.indexOf(0x0a);
  const { index, ...rest } = JSON.parse(packed.toString("utf8", 0, newline)) as PackedHeader;
  const start = newline + 1;
  const countries: Record<string, unknown> = {};
  for (const [code, [from, to]] of Object.entries(index)) {
    Object.defineProperty(countries, code, {
      configurable: true,
      enumerable: true,
      get() {
        const plan: unknown = JSON.parse(packed.toString("utf8", start + from, start + to));
        Object.defineProperty(countries, code, { value: plan, enumerable: true, writable: true });
        return plan;
      },
    });
  }
  return { ...rest, countries } as unknown as MetadataJson;
}
