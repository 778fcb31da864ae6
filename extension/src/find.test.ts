// The number finder on text people write: what must become a call button and what must not
// (dates, IBANs, order and customer numbers, version strings, tokens with digits inside).
import { describe, expect, it } from "vitest";
import {
  checkRegion,
  findNumbers,
  findNumbersFrom,
  mayContainNumber,
  regionFromLanguage,
} from "./find.js";

function numbers(text: string, region: Parameters<typeof findNumbers>[1] | null = "DE"): string[] {
  return findNumbers(text, region ?? undefined).map(
    (n) => `${text.slice(n.start, n.end)}=${n.e164}`,
  );
}

describe("findNumbers", () => {
  it("finds numbers written the ways people write them", () => {
    expect(numbers("Call +49 30 123456 now")).toEqual(["+49 30 123456=+4930123456"]);
    expect(numbers("Tel. 030 123456")).toEqual(["030 123456=+4930123456"]);
    expect(numbers("0049 30 123456, mobil 0171 1234567")).toEqual([
      "0049 30 123456=+4930123456",
      "0171 1234567=+491711234567",
    ]);
    expect(numbers("+49 (0)30 123456")).toEqual(["+49 (0)30 123456=+4930123456"]);
    expect(numbers("London +44 20 7946 0958 or +1 650 253 0000")).toEqual([
      "+44 20 7946 0958=+442079460958",
      "+1 650 253 0000=+16502530000",
    ]);
    expect(numbers("Phone: (212) 555-0100", "US")).toEqual(["(212) 555-0100=+12125550100"]);
    expect(numbers("Kundendienst: Tel 030123456")).toEqual(["030123456=+4930123456"]);
  });

  it("without a region, finds only international numbers", () => {
    expect(numbers("030 123456 or +49 30 123456", null)).toEqual(["+49 30 123456=+4930123456"]);
  });

  it("leaves dates, IBANs, order numbers, version strings and codes alone", () => {
    for (const text of [
      "Datum 2024-01-15 und 15.01.2024",
      "am 15. 01. 2024",
      "IBAN DE89 3704 0044 0532 0130 00",
      "IBAN: DE89370400440532013000",
      "Order no. 2024-000123",
      "Bestellnummer 030123456",
      "Invoice #4711081512",
      "Ticket 1234567890",
      "Kundennr. 030123456",
      "version 20.0.8",
      "v20.0.8.1234567",
      "build 0301234567",
      "AB-0301234567",
      "SKU0301234567",
      "12:30:45 2024/01/15",
      "1.2.3.030123456",
      "Preis 1.234.567,89 EUR",
      "20240115123456",
    ]) {
      expect([text, numbers(text)]).toEqual([text, []]);
    }
  });

  it("is cheap on text without five digits", () => {
    expect(mayContainNumber("hello 1234")).toBe(false);
    expect(mayContainNumber("1 2 3 4 5")).toBe(true);
  });
});

describe("findNumbersFrom", () => {
  it("finds in pieces what findNumbers finds at once, context before the piece included", () => {
    const text = "Tel. +49 30 123456; Bestellnummer 030123456; mobil 0171 1234567; Fax 030 987654";
    const whole = findNumbers(text, "DE");
    expect(whole).toHaveLength(3);
    const pieces: typeof whole = [];
    let steps = 0;
    for (let from: number | undefined = 0; from !== undefined; steps++) {
      // Time is up after every digit run.
      const { found, next } = findNumbersFrom(text, "DE", from, () => true);
      pieces.push(...found);
      expect(next === undefined || next > from).toBe(true);
      from = next;
    }
    expect(pieces).toEqual(whole);
    expect(steps).toBeGreaterThanOrEqual(4);
  });
});

describe("regions", () => {
  it("takes the region from the browser's language, or from the options", () => {
    expect(regionFromLanguage("de-DE")).toBe("DE");
    expect(regionFromLanguage("de-AT")).toBe("AT");
    expect(regionFromLanguage("zh-Hant-TW")).toBe("TW");
    expect(regionFromLanguage("de")).toBeUndefined();
    expect(regionFromLanguage("en-XX")).toBeUndefined();
    expect(checkRegion(" de ")).toBe("DE");
    expect(checkRegion("Germany")).toBeUndefined();
  });
});
