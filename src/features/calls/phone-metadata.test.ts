import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fc, test } from "@fast-check/vitest";
import {
  type CountryCode,
  type MetadataJson,
  parsePhoneNumberFromString,
} from "libphonenumber-js/core";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { packPhoneMetadata } from "../../../scripts/phone-metadata.mjs";
import { readPackedPhoneMetadata } from "./phone-metadata.js";

const original = createRequire(import.meta.url)(
  "libphonenumber-js/metadata.max.json",
) as MetadataJson;
let dir: string;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "dial3cx-phone-metadata-"));
  file = path.join(dir, "metadata.pack");
  await writeFile(file, packPhoneMetadata(original));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** What dialstring.ts reads from a number: its E.164 form, validity and display. */
function reading(text: string, region: CountryCode | undefined, metadata: MetadataJson) {
  const parsed = parsePhoneNumberFromString(
    text,
    region ? { defaultCountry: region } : {},
    metadata,
  );
  return parsed && [parsed.number, parsed.isValid(), parsed.formatInternational(), parsed.country];
}

describe("packed phone metadata", () => {
  test("is the package's metadata, country by country", () => {
    const packed = readPackedPhoneMetadata(file);
    expect(JSON.parse(JSON.stringify(packed))).toEqual(original);
  });

  test("parses only the countries asked for", () => {
    const packed = readPackedPhoneMetadata(file);
    expect(reading("+49 30 123456", undefined, packed)).toEqual(
      reading("+49 30 123456", undefined, original),
    );
    const plans = packed.countries as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(plans, "DE")).toHaveProperty("value");
    expect(Object.getOwnPropertyDescriptor(plans, "FR")).toHaveProperty("get");
    expect(Object.keys(plans)).toEqual(Object.keys(original.countries));
  });

  const regions = Object.keys(original.countries) as CountryCode[];
  test.prop([
    fc.constantFrom(...Object.keys(original.country_calling_codes)),
    fc.stringMatching(/^[0-9 ]{2,14}$/),
    fc.option(fc.constantFrom(...regions), { nil: undefined }),
  ])("reads every number as the package's metadata does", (code, digits, region) => {
    const packed = readPackedPhoneMetadata(file);
    for (const text of [`+${code} ${digits}`, `0${digits}`, digits]) {
      expect(reading(text, region, packed)).toEqual(reading(text, region, original));
    }
  });
});
