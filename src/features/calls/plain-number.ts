// Plain digit strings read without libphonenumber: an extension ("101", with or without a default
// region) or, with no default region, a national number ("0301234567"), also as a tel: or callto:
// link with nothing else in it, exactly as parseDialString reads them. Anything else
// (a "+" or "00" number, separators, a URI, a region to derive E.164 with, any doubt) gives
// undefined, and the caller loads dialstring.ts. libphonenumber's metadata costs a warm call
// ~30 ms it does not need for these. plain-number.test.ts checks, as a property, that every
// answer equals parseDialString's, so the two cannot drift.
import { isKnownRegion } from "../settings/regions.js";
import type { DialString, DialStringOptions } from "./dial-target.js";

/** MAX_DIAL_SYMBOLS in dialstring.ts. */
const MAX_DIAL_SYMBOLS = 32;

export function plainDialString(
  input: string,
  options: DialStringOptions = {},
): DialString | undefined {
  const { defaultRegion, outboundPrefix = "", plusAs, allowVanity } = options;
  if (plusAs !== undefined || allowVanity !== undefined) return undefined;
  // dialstring.ts checks the region with libphonenumber; regions.ts is its list.
  if (defaultRegion !== undefined && !isKnownRegion(defaultRegion)) return undefined;
  if (!/^[0-9]*$/.test(outboundPrefix)) return undefined;
  const text = input.replace(/^[ \n\r\t]+|[ \n\r\t]+$/g, "");
  // A clicked link: tel:101, callto://0301234567.
  const digits = /^(?:tel|callto):(?:\/\/)?([0-9]*)$/i.exec(text)?.[1] ?? text;
  if (!/^[0-9]{2,32}$/.test(digits)) return undefined;
  if (digits.startsWith("00")) return undefined;
  if (/^[1-9][0-9]{1,5}$/.test(digits)) {
    return { kind: "extension", dial: digits, display: digits, source: input };
  }
  // A national number with a region gets its E.164 form from libphonenumber.
  if (defaultRegion !== undefined) return undefined;
  const dial = outboundPrefix + digits;
  if (dial.length > MAX_DIAL_SYMBOLS) return undefined;
  return { kind: "external", dial, display: digits, source: input };
}
