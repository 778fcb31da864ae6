// plainDialString against parseDialString: wherever the quick reading answers, it is the full one.
import { fc, test as fcTest } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { type DialStringOptions, parseDialString } from "./dialstring.js";
import { plainDialString } from "./plain-number.js";

const options: fc.Arbitrary<DialStringOptions> = fc.record(
  {
    outboundPrefix: fc.oneof(fc.constantFrom("", "0", "9", "00"), fc.string({ maxLength: 3 })),
    defaultRegion: fc.constantFrom("DE", "US", "GB", "de", "XX", "ZZ", "AC", "TA", "XK", ""),
    plusAs: fc.constantFrom("00", "+"),
    allowVanity: fc.boolean(),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<DialStringOptions>;

/** Mostly digit strings, around the edges the reading cares about. */
const input = fc.oneof(
  fc.stringMatching(/^[0-9]{0,40}$/),
  fc.stringMatching(/^[ \t\n]{0,2}[0-9+*# ()-]{0,20}[ \t\n]{0,2}$/),
  fc.string({ maxLength: 12 }),
  fc
    .tuple(
      fc.constantFrom("tel:", "TEL:", "callto:", "callto://", "tel://", "sip:", "tel:+"),
      fc.stringMatching(/^[0-9;=a-z%]{0,14}$/),
    )
    .map(([scheme, rest]) => scheme + rest),
);

describe("plainDialString", () => {
  fcTest.prop([input, options], { numRuns: 2000 })(
    "answers only as parseDialString does",
    (text, dialOptions) => {
      const plain = plainDialString(text, dialOptions);
      if (plain === undefined) return;
      expect(plain).toEqual(parseDialString(text, dialOptions));
    },
  );

  it("reads extensions and national numbers, and leaves everything else", () => {
    expect(plainDialString("101")).toEqual({
      kind: "extension",
      dial: "101",
      display: "101",
      source: "101",
    });
    expect(plainDialString(" 0301234567\n", { outboundPrefix: "0" })).toMatchObject({
      kind: "external",
      dial: "00301234567",
      display: "0301234567",
    });
    for (const text of [
      "+49 30 123456",
      "0049301234",
      "030 1234",
      "1",
      "*55",
      "tel:+4930123",
      "Ada",
    ]) {
      expect(plainDialString(text)).toBeUndefined();
    }
    expect(plainDialString("0301234567", { defaultRegion: "DE" })).toBeUndefined();
    expect(plainDialString("101", { defaultRegion: "DE" })).toMatchObject({ dial: "101" });
    expect(plainDialString("tel:101")).toEqual({
      kind: "extension",
      dial: "101",
      display: "101",
      source: "tel:101",
    });
    expect(plainDialString("101", { defaultRegion: "XX" as never })).toBeUndefined();
  });
});
