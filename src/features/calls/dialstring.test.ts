import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BadInputError, ConfigError } from "../../errors.js";
import { type DialString, type DialStringOptions, parseDialString } from "./dialstring.js";

type Expected = Partial<Omit<DialString, "source">>;

const BERLIN = { kind: "external", dial: "004930123456", e164: "+4930123456" } as const;
/** The PBX's host names, as the CLI passes them from the settings. */
const SIP: DialStringOptions = { sipHosts: ["pbx", "PBX.example.com"] };

describe("parseDialString accepts", () => {
  it.each<[string, DialStringOptions, Expected]>([
    // International numbers, "+" and "00"
    ["+49 (0)30 123456", {}, { ...BERLIN, display: "+49 30 123456" }],
    ["+49 30 123456", {}, { ...BERLIN, display: "+49 30 123456" }],
    ["+4930123456", {}, { ...BERLIN, display: "+49 30 123456" }],
    ["0049 30 123456", {}, { ...BERLIN, display: "+49 30 123456" }],
    ["0049 (0)30 123456", {}, { ...BERLIN, display: "+49 30 123456" }],
    ["+49 030 123456", {}, { ...BERLIN, display: "+49 30 123456" }],
    ["+44 (0) 20 7946 0000", {}, { dial: "00442079460000", e164: "+442079460000" }],
    ["+1 (555) 123-4567", {}, { dial: "0015551234567", e164: "+15551234567" }],
    ["+800 1234 5678", {}, { dial: "0080012345678", display: "+800 1234 5678" }],
    ["+4912", {}, { dial: "004912", e164: "+4912", display: "+49 12" }],
    ["+999 1234567", {}, { dial: "009991234567", e164: undefined, display: "+9991234567" }],
    // Separators of every kind
    ["+49-30-123456", {}, BERLIN],
    ["+49.30.123456", {}, BERLIN],
    ["+49/30/123456", {}, BERLIN],
    ["+49 (30) 123456", {}, BERLIN],
    ["+49\u201330\u2014123456", {}, BERLIN], // en and em dash
    ["+49\u221230\u2010123456", {}, BERLIN], // minus sign, hyphen
    ["+49\u00a030\u00a0123456", {}, BERLIN], // NBSP
    ["+49\u202f30\u2009123\u3000456", {}, BERLIN], // narrow NBSP, thin space, ideographic space
    ["+49\u200b30\u2060123456", {}, BERLIN], // zero-width space, word joiner
    ["\ufeff+49 30 123456", {}, BERLIN], // BOM at the start
    ["  +49 30 123456 \n", {}, BERLIN], // paste with a trailing newline
    // Extensions, short numbers, feature codes
    ["101", {}, { kind: "extension", dial: "101", display: "101", e164: undefined }],
    ["10", {}, { kind: "extension", dial: "10" }],
    ["123456", {}, { kind: "extension", dial: "123456" }],
    ["1 01", {}, { kind: "extension", dial: "101" }],
    ["101", { defaultRegion: "DE", outboundPrefix: "0" }, { kind: "extension", dial: "101" }],
    ["112", { defaultRegion: "DE" }, { kind: "extension", dial: "112", e164: undefined }],
    ["911", { outboundPrefix: "9" }, { kind: "extension", dial: "911" }],
    ["*55", {}, { kind: "feature", dial: "*55", display: "*55", e164: undefined }],
    ["*55", { defaultRegion: "DE", outboundPrefix: "0" }, { kind: "feature", dial: "*55" }],
    ["*72 123", {}, { kind: "feature", dial: "*72123" }],
    ["#", {}, { kind: "feature", dial: "#" }],
    ["**", {}, { kind: "feature", dial: "**" }],
    ["12#", {}, { kind: "feature", dial: "12#" }],
    ["*21#", {}, { kind: "feature", dial: "*21#" }],
    // National numbers
    ["030 123456", {}, { kind: "external", dial: "030123456", e164: undefined }],
    ["030 123456", { outboundPrefix: "0" }, { dial: "0030123456", display: "030123456" }],
    [
      "030 123456",
      { defaultRegion: "DE" },
      { dial: "030123456", e164: "+4930123456", display: "+49 30 123456" },
    ],
    ["(0)30 123456", {}, { dial: "030123456" }],
    // Valid for libphonenumber's German metadata, but longer than E.164 allows
    ["93569377000000", { defaultRegion: "DE" }, { dial: "93569377000000", e164: undefined }],
    ["000", {}, { kind: "external", dial: "000" }], // Australian emergency, not "+0"
    ["1234567", {}, { kind: "external", dial: "1234567" }],
    ["01149 30 123456", { defaultRegion: "US" }, { dial: "0114930123456", e164: "+4930123456" }],
    // plusAs and outboundPrefix
    ["+49 30 123456", { plusAs: "+" }, { dial: "+4930123456", e164: "+4930123456" }],
    ["+49 30 123456", { plusAs: "+", outboundPrefix: "0" }, { dial: "+4930123456" }],
    ["+49 30 123456", { outboundPrefix: "0" }, { dial: "0004930123456" }],
    ["+49 30 123456", { plusAs: "011", outboundPrefix: "9" }, { dial: "90114930123456" }],
    ["0049 30 123456", { plusAs: "+" }, { dial: "+4930123456" }],
    // Trailing extensions are kept apart, never dialled
    [
      "+49 30 123456 ext. 12",
      {},
      { dial: "004930123456", extension: "12", display: "+49 30 123456 ext. 12" },
    ],
    ["+49 30 123456 extension 7", {}, { dial: "004930123456", extension: "7" }],
    ["555-1234x12", {}, { dial: "5551234", extension: "12", display: "5551234 ext. 12" }],
    ["+1 555 123 4567 X 89", {}, { dial: "0015551234567", extension: "89" }],
    // URIs
    [
      "tel:%2B49-30-123456;ext=12",
      {},
      { ...BERLIN, display: "+49 30 123456 ext. 12", extension: "12" },
    ],
    ["tel:+49-30-123456", {}, BERLIN],
    ["TEL:+49-30-123456", {}, BERLIN],
    ["tel://+4930123456", {}, BERLIN],
    ["tel://+4930123456/", {}, BERLIN],
    ["tel:+49%2030%20123456", {}, BERLIN],
    ["tel:+49 30 123456", {}, BERLIN], // xdg-open passes raw spaces through
    ["Tel: +49 30 123456", {}, BERLIN],
    ["tel:+4930123456;isub=1234;foo=bar", {}, BERLIN],
    ["tel:123;phone-context=+4930", {}, { kind: "external", dial: "004930123", e164: "+4930123" }],
    ["tel:123456;phone-context=+49-30", {}, BERLIN],
    ["tel:123;phone-context=example.com", {}, { kind: "extension", dial: "123" }],
    ["tel:+4930123456;phone-context=+1", {}, BERLIN], // global number: context ignored
    ["tel:*55;phone-context=+4930", {}, { kind: "feature", dial: "*55" }],
    ["tel:*21%23", {}, { kind: "feature", dial: "*21#" }],
    ["tel:*21#", {}, { kind: "feature", dial: "*21#" }],
    ["callto:+4930123456", {}, BERLIN],
    ["callto://+4930123456", {}, BERLIN],
    ["CallTo://0049-30-123456", {}, BERLIN],
    ["callto:+4930123456?call", {}, BERLIN],
    ["sip:+4930123456@pbx.example.com;user=phone", SIP, BERLIN],
    ["sips:+4930123456@pbx.example.com", SIP, BERLIN],
    ["sip:101@pbx", SIP, { kind: "extension", dial: "101", display: "101" }],
    ["SIP:101@PBX.Example.com:5061;transport=tls", SIP, { kind: "extension", dial: "101" }],
    ["sip:101:secret@pbx", SIP, { kind: "extension", dial: "101" }],
    ["sip:*55@pbx", SIP, { kind: "feature", dial: "*55" }],
    ["sip:101", {}, { kind: "extension", dial: "101" }],
    ["sip:123;phone-context=+4930@pbx;user=phone", SIP, { dial: "004930123", e164: "+4930123" }],
    ["sip:101@[::1]:5060", { sipHosts: ["::1"] }, { dial: "101" }],
    // Vanity numbers
    [
      "tel:+1-800-FLOWERS",
      { allowVanity: true },
      { kind: "external", dial: "0018003569377", e164: "+18003569377" },
    ],
    ["1-800-flowers", { allowVanity: true }, { dial: "18003569377" }],
    ["+1 800 FLOWERS x12", { allowVanity: true }, { dial: "0018003569377", extension: "12" }],
  ])("%j with %j", (input, options, expected) => {
    const result = parseDialString(input, options);
    const present = Object.entries(expected).filter(([, value]) => value !== undefined);
    const absent = Object.entries(expected).filter(([, value]) => value === undefined);
    expect(result).toMatchObject({ ...Object.fromEntries(present), source: input });
    for (const [key] of absent) expect(result).not.toHaveProperty(key);
  });
});

describe("parseDialString rejects", () => {
  it.each<[string, DialStringOptions, RegExp]>([
    ["", {}, /No number given/],
    ["   ", {}, /No number given/],
    ["\u00a0\u3000", {}, /No number given/],
    ["tel:", {}, /Nothing to dial after "tel:"/],
    ["sip:@pbx", {}, /Nothing to dial after "sip:"/],
    ["tel:;ext=12", {}, /Nothing to dial/],
    ["mailto:x", {}, /Unsupported scheme "mailto:"/],
    ["http://example.com/+4930123456", {}, /Unsupported scheme "http:"/],
    ["tel:%zz", {}, /"%zz": it is not a valid percent-escape/],
    ["tel:+49%2", {}, /"%2": it is not a valid percent-escape/],
    ["tel:%C3%28", {}, /not valid UTF-8/],
    [
      "tel:+1-800-FLOWERS",
      {},
      /"\+1-800-FLOWERS": it contains letters; type the digits instead\.$/,
    ],
    ["abc", {}, /contains letters/],
    ["alice", { allowVanity: true }, /contains letters/], // no digit: not a vanity number
    [
      "sip:alice@pbx.example.com",
      { ...SIP, allowVanity: true },
      /"alice": this SIP user is a name/,
    ],
    ["+4930123456 ext", {}, /contains letters/],
    ["1".repeat(33), {}, /it has 33 digits; at most 32/],
    [`+${"4".repeat(32)}`, {}, /with its prefixes it has 34 symbols; at most 32/],
    ["9".repeat(31), { outboundPrefix: "00" }, /with its prefixes it has 33 symbols/],
    ["+", {}, /lone \+/],
    ["tel:%2B", {}, /lone \+/],
    ["49+30123456", {}, /"\+" can only stand at the start/],
    ["++4930123456", {}, /"\+" can only stand at the start/],
    ["+4930123456#", {}, /cannot contain \* or #/],
    ["+491", {}, /at least 4 digits after the \+/],
    ["00491", {}, /at least 4 digits/],
    ["+049 30 123456", {}, /country code never starts with 0/],
    ["00", {}, /nothing follows the international prefix 00/],
    ["0", {}, /single digit/],
    ["7", {}, /single digit/],
    ["\u0007123", {}, /control character U\+0007/],
    ["12\u00003", {}, /control character U\+0000/],
    ["+49\t30 123456", {}, /control character U\+0009/],
    ["+49\u007f30", {}, /control character U\+007F/],
    ["+49\u008530", {}, /control character U\+0085/],
    ["+49\u202e30123456", {}, /control character U\+202E/],
    ["\u2066+4930123456\u2069", {}, /control character U\+2066/],
    ["+49\u200f30123456", {}, /control character U\+200F/],
    ["tel:+49%0A30", {}, /control character U\+000A/],
    ["tel:+49%E2%80%AE30", {}, /control character U\+202E/],
    ["+49 30 123456 @", {}, /contains "@"/],
    ["101@pbx.example.com", {}, /contains "@"/],
    ["+49 30 12345\u{1F600}", {}, /contains "\u{1F600}"/u],
    ["tel:+4930123456;ext=abc", {}, /extension must be 1 to 32 digits/],
    ["tel:+4930123456;ext=", {}, /extension must be 1 to 32 digits/],
    ["tel:123;phone-context=+49x", {}, /phone-context starting with \+ must be digits/],
    ["tel:+49 30 123456 x2;ext=1", {}, /two extensions/],
    // Refused, never rewritten: plain text with ";" or ","
    ["+49 30 12;rm -rf", {}, /"\+49 30 12;rm -rf": it contains ";"; parameters are read only/],
    ["030 1234, 5", {}, /"030 1234, 5": it contains ","; a pause is not dialled/],
    ["+49 30 123456,,12", {}, /contains ","/],
    ["+49 30 123456;ext=12", {}, /contains ";"/],
    ["123456;phone-context=+1900", {}, /contains ";"/],
    // … a query or headers after "?"
    ["tel:110?+4930123456", {}, /"tel:110": the link goes on after "\?"/],
    ["tel:+4930123456?x=1", {}, /goes on after "\?"/],
    ["callto:110?+4930123456", {}, /goes on after "\?"/],
    ["sip:101@pbx?subject=hi", SIP, /goes on after "\?"/],
    ["sip:110?x@evil.example", SIP, /goes on after "\?"/],
    // … malformed or repeated tel: parameters
    ["tel:+4930123456;rm -rf", {}, /";rm -rf": it is not a well-formed URI parameter/],
    ["tel:+4930123456;ext=1 2", {}, /not a well-formed URI parameter/],
    ["tel:+4930123456;", {}, /not a well-formed URI parameter/],
    ["tel:+4930123456;ext=1;ext=2", {}, /";ext=2": ";ext" appears twice; keep one of them/],
    ["tel:123;phone-context=+49;phone-context=+1", {}, /appears twice/],
    ["tel:+4930123456;postd=pp22", {}, /post-dial digits would not be sent/],
    // … a sip: host that is not the PBX
    [
      "sip:110@evil.example",
      SIP,
      /"sip:110@evil.example": "evil.example" is not your PBX \(pbx, pbx.example.com\)/,
    ],
    ["sip:101@other-company.example", SIP, /is not your PBX/],
    ["sip:101@pbx.example.com.evil", SIP, /is not your PBX/],
    ["sips:101:pw@evil.example;transport=tls", SIP, /is not your PBX/],
    ["sip:101@pbx", {}, /"pbx" is not your PBX, and dial3cx calls only through your own PBX/],
    ["x".repeat(300), {}, /300 characters long/],
  ])("%j with %j", (input, options, message) => {
    let thrown: unknown;
    try {
      parseDialString(input, options);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BadInputError);
    const error = thrown as BadInputError;
    expect(error.code).toBe("bad_number");
    expect(error.message).toMatch(message);
    expect(error.message).not.toMatch(/[\n\r]/);
  });

  it("never echoes control characters or a SIP password in the message", () => {
    expect(() => parseDialString("sip:alice:hunter2@pbx")).toThrow(/^(?!.*hunter2)/);
    expect(() => parseDialString("12\u001b[31m3")).toThrow(/"12\\u\{001B\}\[31m3"/);
  });
});

describe("parseDialString options", () => {
  it.each<[DialStringOptions, RegExp]>([
    [{ defaultRegion: "XX" as never }, /Unknown default region "XX"/],
    [{ outboundPrefix: "9a" }, /Outbound prefix "9a" must be digits/],
    [{ plusAs: "" }, /plusAs "" must be/],
    [{ plusAs: "++" }, /plusAs "\+\+" must be/],
  ])("rejects %j as a config error", (options, message) => {
    expect(() => parseDialString("101", options)).toThrow(ConfigError);
    expect(() => parseDialString("101", options)).toThrow(message);
  });
});

describe("parseDialString property", () => {
  const optionsArbitrary: fc.Arbitrary<DialStringOptions> = fc.record({
    defaultRegion: fc.constantFrom(undefined, "DE", "US", "GB", "AU"),
    outboundPrefix: fc.constantFrom(undefined, "", "0", "9"),
    plusAs: fc.constantFrom(undefined, "00", "+", "011"),
    allowVanity: fc.boolean(),
  });
  const pieces = [
    ..."0123456789*#+-. ()/;=%@:?,xX",
    "\u00a0",
    "\u2013",
    "\u202e",
    "\u0000",
    "tel:",
    "sip:",
    "callto://",
    "%2B",
    "%20",
    "%zz",
    ";ext=",
    ";phone-context=+49",
    "(0)",
    "00",
    "FLOWERS",
    " ext. ",
  ];
  const dialLike = fc.array(fc.constantFrom(...pieces), { maxLength: 40 }).map((p) => p.join(""));
  const anyText = fc.oneof(fc.string({ unit: "binary", maxLength: 60 }), fc.string(), dialLike);

  it("returns a dialable string or throws BadInputError, for any input", () => {
    fc.assert(
      fc.property(anyText, optionsArbitrary, (input, options) => {
        let result: DialString;
        try {
          result = parseDialString(input, options);
        } catch (error) {
          if (!(error instanceof BadInputError)) throw error;
          return;
        }
        expect(result.dial).toMatch(/^\+?[0-9*#]{1,32}$/);
        expect(result.source).toBe(input);
        expect(["external", "extension", "feature"]).toContain(result.kind);
        if (result.e164 !== undefined) expect(result.e164).toMatch(/^\+[1-9][0-9]{3,14}$/);
        if (result.extension !== undefined) expect(result.extension).toMatch(/^[0-9]{1,32}$/);
      }),
      { numRuns: 3000 },
    );
  });
});
