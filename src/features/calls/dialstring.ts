// Dial strings: turns what a user pastes or clicks (a number with any visual separators, a
// tel:/callto:/sip:/sips: URI, an internal extension or a PBX feature code) into the exact symbols
// for RequestMakeCall.destination, plus the E.164 form and a display form. Pure: no I/O, no state.
//
// Decisions (the issue leaves these open):
// - No default region. Without `defaultRegion`, a national number such as `030 123456` is dialled as
//   given and `e164` stays undefined, because guessing a country would show wrong E.164 numbers to
//   most users. With a region, `e164` is set only when libphonenumber says the number is valid; the
//   number is still dialled as given, since the PBX's own dial plan routes national numbers.
// - kind "extension" means "short number dialled verbatim": 2 to 6 digits, no leading 0 or "+".
//   That includes emergency and service codes (112, 911, 110, 116117): the PBX routes them itself
//   and they never get the outbound prefix. A single digit is rejected.
// - "00" followed by 1-9 always means international (3CX itself dials "+" as "00"). "000"
//   (Australia's emergency number) therefore stays a short number.
// - International numbers are dialled in libphonenumber's normalised form when it is valid (so
//   `+49 030 …` dials as `0049 30 …`), otherwise with the digits as given.
// - With `plusAs: "+"` the outbound prefix is not put in front of "+" numbers: "0+49…" is not a
//   dialable string, and a "+" already asks for an outside line.
// - Surrounding whitespace, including the newline a clipboard paste tends to end with, is ignored;
//   control characters anywhere else are rejected.
// - A raw "#" in a URI is kept as a dial symbol (people write `tel:*21#`), not taken as a fragment.
// - Vanity letters are never mapped in sip:/sips: user parts (those are names) nor in input that has
//   no digit at all, so "alice" does not become extension 25423.
// - Error messages quote only the number part (never a SIP password) with invisible characters
//   escaped, so a hostile URI cannot smuggle terminal controls into the output.
// - Refuse, never rewrite: plain text with ";" or "," is refused (parameters are read only in a
//   URI, and a pause is not dialled); a URI with a "?" query or headers is refused (`tel:110?+49…`
//   would dial 110), except callto's `?call` suffix; tel: parameters must be well formed
//   (RFC 3966: `;name` or `;name=value`, no spaces) and none may appear twice; `postd` (digits to
//   send after the call connects) is refused, since it would not be sent.
// - A sip:/sips: URI whose host is not one of `sipHosts` (the PBX's host and configured SIP
//   domains) is refused: dialling its user part would ring someone else on your own PBX.

import {
  type CountryCode,
  isSupportedCountry,
  parsePhoneNumberFromString,
} from "libphonenumber-js/max";
import { BadInputError, ConfigError } from "../../errors.js";

import type { DialString, DialStringOptions } from "./dial-target.js";

export { keyInHint, sipHosts } from "./dial-target.js";
export type { DialString, DialStringOptions };

const MAX_INPUT_CHARS = 256;
const MAX_DIAL_SYMBOLS = 32;
const MIN_INTERNATIONAL_DIGITS = 4;
const MAX_E164_DIGITS = 15;
const URI_SCHEMES = new Set(["tel", "callto", "sip", "sips"]);
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
// Visual separators: Unicode spaces, every dash, minus sign, soft hyphen, zero-width space, word
// joiner, BOM, and the ASCII separators people use in numbers.
const SEPARATORS = /[\p{Zs}\p{Pd}\u2212\u00AD\u200B\u2060\uFEFF.()/]/gu;
const TRUNK_ZERO = /\(\s*0\s*\)/u;
const TEXT_EXTENSION = /(?:ext\.?|extension|x)\s*[.:]?\s*([0-9]+)\s*$/iu;
const BEFORE_TEXT_EXTENSION = /[0-9\p{Zs}\p{Pd}.()/]/u;
const KEYPAD: Record<string, string> = {};
for (const [digit, letters] of Object.entries({
  2: "ABC",
  3: "DEF",
  4: "GHI",
  5: "JKL",
  6: "MNO",
  7: "PQRS",
  8: "TUV",
  9: "WXYZ",
})) {
  for (const letter of letters) KEYPAD[letter] = digit;
}

interface ResolvedOptions {
  defaultRegion: CountryCode | undefined;
  outboundPrefix: string;
  plusAs: string;
  allowVanity: boolean;
  sipHosts: readonly string[];
}

/** What the URI or plain-text reader found, before any cleaning of the number itself. */
interface RawNumber {
  number: string;
  extension: string | undefined;
  phoneContext: string | undefined;
  isSipUser: boolean;
  /** The scheme ("tel:") named when nothing is left to dial; empty for plain input. */
  label: string;
}

/** Parses user input into what to dial. Throws BadInputError (code "bad_number") when it can't. */
export function parseDialString(input: string, options: DialStringOptions = {}): DialString {
  const resolved = resolveOptions(options);
  const text = input.trim();
  if (text === "") {
    throw new BadInputError("No number given: pass a phone number, an extension or a tel: URI.");
  }
  if (text.length > MAX_INPUT_CHARS) {
    reject(text, `it is ${text.length} characters long`, `pass at most ${MAX_INPUT_CHARS}`);
  }
  assertNoControlCharacters(text);
  const raw = readInput(text, resolved);
  return classify(raw, resolved, input);
}

function resolveOptions(options: DialStringOptions): ResolvedOptions {
  const { defaultRegion, outboundPrefix = "", plusAs = "00", allowVanity = false } = options;
  if (defaultRegion !== undefined && !isSupportedCountry(defaultRegion)) {
    throw new ConfigError(
      `Unknown default region ${quote(defaultRegion)}: use a two-letter country code such as "DE" or "US".`,
    );
  }
  if (!/^[0-9]*$/.test(outboundPrefix)) {
    throw new ConfigError(
      `Outbound prefix ${quote(outboundPrefix)} must be digits only (for example "0"), or empty.`,
    );
  }
  if (!/^(?:\+|[0-9]+)$/.test(plusAs)) {
    throw new ConfigError(`plusAs ${quote(plusAs)} must be "+" or digits such as "00".`);
  }
  const sipHosts = (options.sipHosts ?? []).map((host) =>
    host
      .trim()
      .toLowerCase()
      .replace(/^\[(.*)\]$/, "$1"),
  );
  return { defaultRegion, outboundPrefix, plusAs, allowVanity, sipHosts };
}

// ---- Reading URIs and plain text -------------------------------------------------------------

function readInput(text: string, options: ResolvedOptions): RawNumber {
  const scheme = SCHEME.exec(text)?.[1];
  if (scheme === undefined) return readPlain(text);
  const name = scheme.toLowerCase();
  if (!URI_SCHEMES.has(name)) {
    throw new BadInputError(
      `Unsupported scheme ${quote(`${scheme}:`)}: pass a phone number or a tel:, callto:, sip: or sips: URI.`,
    );
  }
  let rest = text.slice(scheme.length + 1);
  if (rest.startsWith("//")) rest = rest.slice(2);
  // callto:'s "?call" suffix (Skype's links) asks for nothing more than the call itself.
  if (name === "callto" && /\?call$/i.test(rest)) rest = rest.slice(0, -"?call".length);
  const query = rest.indexOf("?");
  if (query >= 0) {
    reject(
      `${name}:${rest.slice(0, query)}`,
      `the link goes on after "?" (${quote(rest.slice(query, query + 24))})`,
      "dial3cx does not dial a link with a query or headers; pass the number alone",
    );
  }
  const isSip = name === "sip" || name === "sips";
  if (isSip) rest = sipUserPart(rest, options);
  // Split on the structural ";" first and percent-decode each piece after, so "%3B" stays data.
  const pieces = rest.split(";");
  if (!isSip) pieces.slice(1).forEach(assertWellFormedParameter);
  const parts = pieces.map(percentDecode);
  parts.forEach(assertNoControlCharacters);
  return readParts(parts, isSip, `${name}:`);
}

/**
 * Plain text: a number, maybe with "ext. 12" or "x12" after it. ";" and "," are refused: a
 * parameter only means something in a tel: URI, and a pause is not something dial3cx can dial.
 */
function readPlain(text: string): RawNumber {
  const separator = /[;,]/.exec(text);
  if (separator) {
    const fix =
      separator[0] === ";"
        ? "parameters are read only in a tel: URI (tel:+4930123456;ext=12); pass the number alone"
        : 'a pause is not dialled; pass the number alone, and an extension as "ext. 12"';
    reject(text, `it contains "${separator[0]}"`, fix);
  }
  return readParts([text], false, "");
}

/** RFC 3966's `;pname[=pvalue]`: pname is letters, digits and "-"; pvalue has no spaces. */
function assertWellFormedParameter(parameter: string): void {
  const wellFormed = /^[A-Za-z0-9-]+(?:=(?:[A-Za-z0-9\-_.!~*'()[\]/:&+$]|%[0-9A-Fa-f]{2})*)?$/.test(
    parameter,
  );
  if (!wellFormed) {
    reject(
      `;${parameter}`,
      "it is not a well-formed URI parameter",
      "a parameter is ;name or ;name=value, without spaces",
    );
  }
}

/**
 * The user part of `user[:password]@host[:port];uri-params`, without the password. The host must
 * be the PBX's (or one of its SIP domains): another company's extension 101 is not ours.
 */
function sipUserPart(rest: string, options: ResolvedOptions): string {
  const at = rest.indexOf("@");
  const userinfo = at >= 0 ? rest.slice(0, at) : rest;
  const colon = userinfo.indexOf(":");
  const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
  if (at >= 0 && user !== "") {
    const hostPort = rest.slice(at + 1).split(";")[0] ?? "";
    const host = normalizeHost(hostPort);
    if (!options.sipHosts.includes(host)) {
      const ours = options.sipHosts.length > 0 ? ` (${options.sipHosts.join(", ")})` : "";
      reject(
        `sip:${user}@${hostPort}`,
        `"${host}" is not your PBX${ours}, and dial3cx calls only through your own PBX`,
        "dial the number itself, or add the host to sip_domains in the config if it is your PBX's",
      );
    }
  }
  return user;
}

/** "PBX.example.com:5060" → "pbx.example.com"; "[::1]:5060" → "::1". */
function normalizeHost(hostPort: string): string {
  const trimmed = hostPort.trim().toLowerCase();
  const bracketed = /^\[([^\]]*)\]/.exec(trimmed);
  if (bracketed) return bracketed[1] ?? "";
  return trimmed.replace(/:[0-9]*$/, "").replace(/\.$/, "");
}

function readParts(parts: string[], isSipUser: boolean, label: string): RawNumber {
  const [first = "", ...parameters] = parts;
  let extension: string | undefined;
  let phoneContext: string | undefined;
  const seen = new Set<string>();
  for (const parameter of parameters) {
    const equals = parameter.indexOf("=");
    const name = (equals >= 0 ? parameter.slice(0, equals) : parameter).trim().toLowerCase();
    const value = equals >= 0 ? parameter.slice(equals + 1).trim() : "";
    if (seen.has(name)) {
      reject(`;${parameter}`, `";${name}" appears twice`, "keep one of them");
    }
    seen.add(name);
    if (name === "ext") extension = readExtension(value, parameter);
    else if (name === "phone-context") phoneContext = readPhoneContext(value, parameter);
    else if (name === "postd") {
      reject(
        `;${parameter}`,
        "post-dial digits would not be sent",
        "call the number and key them in yourself",
      );
    }
    // isub, user=phone and anything unknown do not change what is dialled.
  }
  const { number, extension: textExtension } = takeTrailingExtension(first.trim());
  if (extension !== undefined && textExtension !== undefined) {
    reject(first, "it names two extensions", "keep either ;ext= or the trailing extension");
  }
  return {
    number,
    extension: extension ?? textExtension,
    phoneContext,
    isSipUser,
    label,
  };
}

function readExtension(value: string, parameter: string): string {
  const digits = value.replace(SEPARATORS, "");
  if (!/^[0-9]{1,32}$/.test(digits)) {
    reject(parameter, "the extension must be 1 to 32 digits", "fix or drop the ;ext= parameter");
  }
  return digits;
}

/** A global phone-context ("+4930") as "+digits"; a domain context gives undefined (ignored). */
function readPhoneContext(value: string, parameter: string): string | undefined {
  if (!value.startsWith("+")) return undefined;
  const prefix = value.replace(SEPARATORS, "");
  if (!/^\+[0-9]+$/.test(prefix)) {
    reject(parameter, "a phone-context starting with + must be digits", "fix or drop it");
  }
  return prefix;
}

/** Splits "… ext. 12", "… x12" or "… extension 12" off the end of a number. */
function takeTrailingExtension(text: string): { number: string; extension?: string } {
  const marker = TEXT_EXTENSION.exec(text);
  const before = marker ? text[marker.index - 1] : undefined;
  // The marker must follow a digit or separator, so the X in a vanity word like "BOX12" is a letter.
  if (marker?.[1] !== undefined && before !== undefined && BEFORE_TEXT_EXTENSION.test(before)) {
    return { number: text.slice(0, marker.index).trim(), extension: marker[1] };
  }
  return { number: text };
}

function percentDecode(component: string): string {
  const bad = /%(?![0-9A-Fa-f]{2})/.exec(component);
  if (bad) {
    const badEscape = component.slice(bad.index, bad.index + 3);
    reject(badEscape, "it is not a valid percent-escape", "write % as %25 and use two hex digits");
  }
  try {
    return decodeURIComponent(component);
  } catch {
    return reject(component, "its percent-escapes are not valid UTF-8", "fix the URI encoding");
  }
}

// ---- Classifying the cleaned number ---------------------------------------------------------

function classify(raw: RawNumber, options: ResolvedOptions, source: string): DialString {
  const symbols = cleanSymbols(raw, options);
  if (symbols.includes("+") && symbols.lastIndexOf("+") !== 0) {
    reject(raw.number, `"+" can only stand at the start`, "remove the other + signs");
  }
  if (symbols === "+") reject(raw.number, "it is a lone +", "add the country code and number");
  const withContext = applyPhoneContext(symbols, raw.phoneContext);
  const count = withContext.replace("+", "").length;
  if (count > MAX_DIAL_SYMBOLS) {
    reject(raw.number, `it has ${count} digits`, `at most ${MAX_DIAL_SYMBOLS} can be dialled`);
  }
  const result = classifySymbols(withContext, raw, options);
  const extension = raw.extension;
  const dialLength = result.dial.replace(/^\+/, "").length;
  if (dialLength > MAX_DIAL_SYMBOLS) {
    reject(
      raw.number,
      `with its prefixes it has ${dialLength} symbols`,
      `at most ${MAX_DIAL_SYMBOLS} can be dialled`,
    );
  }
  if (extension === undefined) return { ...result, source };
  return { ...result, display: `${result.display} ext. ${extension}`, extension, source };
}

/** Removes separators (and a "(0)" trunk prefix in international numbers), maps vanity letters. */
function cleanSymbols(raw: RawNumber, options: ResolvedOptions): string {
  let text = raw.number;
  if (text === "") {
    throw new BadInputError(
      `Nothing to dial${raw.label ? ` after ${quote(raw.label)}` : ""}: add the phone number or extension.`,
    );
  }
  if (/^(?:\+|00)/.test(text.replace(SEPARATORS, ""))) text = text.replace(TRUNK_ZERO, "");
  text = text.replace(SEPARATORS, "");
  if (text === "") {
    reject(raw.number, "it has only separators", "add the phone number or extension");
  }
  const unexpected = /[^0-9*#+A-Za-z]/u.exec(text);
  if (unexpected) {
    reject(
      raw.number,
      `it contains ${describeChar(unexpected[0])}`,
      "use only digits, +, *, # and spaces",
    );
  }
  if (!/[A-Za-z]/.test(text)) return text;
  if (raw.isSipUser) {
    reject(raw.number, "this SIP user is a name, not a number", "call a number or an extension");
  }
  if (!options.allowVanity || !/[0-9]/.test(text)) {
    reject(raw.number, "it contains letters", "type the digits instead");
  }
  return text.replace(/[A-Za-z]/g, (letter) => KEYPAD[letter.toUpperCase()] ?? letter);
}

/** RFC 3966: a local number with a global phone-context "+4930" means "+4930" + the number. */
function applyPhoneContext(symbols: string, phoneContext: string | undefined): string {
  if (phoneContext === undefined || !/^[0-9]+$/.test(symbols)) return symbols;
  return phoneContext + symbols;
}

type Classified = Omit<DialString, "source" | "extension">;

function classifySymbols(symbols: string, raw: RawNumber, options: ResolvedOptions): Classified {
  // Feature codes, "+" and extensions are decided before libphonenumber sees anything: it would
  // turn "*55" into "+4955" and "101" into "+49101".
  if (/[*#]/.test(symbols)) {
    if (symbols.startsWith("+")) {
      reject(raw.number, "a + number cannot contain * or #", "dial feature codes without +");
    }
    return { kind: "feature", dial: symbols, display: symbols };
  }
  if (symbols.startsWith("+")) return international(symbols.slice(1), raw, options);
  if (/^00[1-9]/.test(symbols)) return international(symbols.slice(2), raw, options);
  if (symbols === "00") {
    reject(raw.number, "nothing follows the international prefix 00", "add the country code");
  }
  if (symbols.length === 1) {
    reject(raw.number, "it is a single digit", "an extension has 2 to 6 digits");
  }
  if (/^[1-9][0-9]{1,5}$/.test(symbols)) {
    return { kind: "extension", dial: symbols, display: symbols };
  }
  return national(symbols, options);
}

function international(digits: string, raw: RawNumber, options: ResolvedOptions): Classified {
  if (digits.startsWith("0")) {
    reject(raw.number, "a country code never starts with 0", "write +49… or 0049…, not +049…");
  }
  if (digits.length < MIN_INTERNATIONAL_DIGITS) {
    reject(
      raw.number,
      `an international number needs at least ${MIN_INTERNATIONAL_DIGITS} digits after the +`,
      "add the country code and the full number",
    );
  }
  const parsed =
    digits.length <= MAX_E164_DIGITS ? parsePhoneNumberFromString(`+${digits}`) : undefined;
  const valid = parsed?.isValid() === true;
  const dialDigits = valid ? parsed.number.slice(1) : digits;
  const prefix = options.plusAs === "+" ? "+" : options.outboundPrefix + options.plusAs;
  const dial = prefix + dialDigits;
  if (parsed === undefined) return { kind: "external", dial, display: `+${digits}` };
  const callingCode = parsed.countryCallingCode;
  const display = valid
    ? parsed.formatInternational()
    : `+${callingCode} ${digits.slice(callingCode.length)}`;
  return { kind: "external", dial, e164: `+${dialDigits}`, display };
}

function national(digits: string, options: ResolvedOptions): Classified {
  const dial = options.outboundPrefix + digits;
  const region = options.defaultRegion;
  const parsed = region === undefined ? undefined : parsePhoneNumberFromString(digits, region);
  // libphonenumber's metadata accepts some numbers longer than E.164 allows (German ones do).
  const isE164 = parsed?.isValid() === true && parsed.number.length <= MAX_E164_DIGITS + 1;
  if (parsed === undefined || !isE164) return { kind: "external", dial, display: digits };
  return { kind: "external", dial, e164: parsed.number, display: parsed.formatInternational() };
}

// ---- Errors ---------------------------------------------------------------------------------

function reject(subject: string, problem: string, fix: string): never {
  throw new BadInputError(`Cannot dial ${quote(subject)}: ${problem}; ${fix}.`);
}

/** C0, DEL, C1 and the bidi controls that can make a number display differently from its digits. */
function isControlCodePoint(codePoint: number): boolean {
  return (
    codePoint <= 0x1f ||
    (codePoint >= 0x7f && codePoint <= 0x9f) ||
    codePoint === 0x061c ||
    codePoint === 0x200e ||
    codePoint === 0x200f ||
    (codePoint >= 0x202a && codePoint <= 0x202e) ||
    (codePoint >= 0x2066 && codePoint <= 0x2069)
  );
}

function assertNoControlCharacters(text: string): void {
  for (const char of text) {
    if (isControlCodePoint(char.codePointAt(0) ?? 0)) {
      reject(text, `it contains the control character ${codePointName(char)}`, "remove it");
    }
  }
}

function codePointName(char: string): string {
  const hex = (char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
  return `U+${hex}`;
}

function describeChar(char: string): string {
  return isPrintable(char) ? `"${char}"` : codePointName(char);
}

function isPrintable(char: string): boolean {
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(char);
}

/** The text in double quotes, invisible characters escaped as \u{…}, cut to 48 characters. */
function quote(text: string): string {
  const chars = [...text];
  const shown = chars
    .slice(0, 48)
    .map((char) => (isPrintable(char) ? char : `\\u{${codePointName(char).slice(2)}}`))
    .join("");
  return `"${shown}${chars.length > 48 ? "…" : ""}"`;
}
