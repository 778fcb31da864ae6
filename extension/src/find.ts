// Which stretches of a text are phone numbers worth a call button. libphonenumber-js finds the
// candidates (`findPhoneNumbersInText`, full metadata so that only valid numbers count); then
// the rules people's pages need on top: a number written nationally must start with the trunk
// prefix where the country has one (so `2024-01-15` is not +49 2024 0115), dates, IBANs, order,
// invoice, ticket and customer numbers and version strings are not numbers, and a digit run
// that is part of a longer token (`v20.0.8`, `DE89 3704…`, `AB-0301234567`) is left alone.
// Pure: no DOM, no chrome.*; the content script, the service worker and Node's tests share it.
import {
  type CountryCode,
  findPhoneNumbersInText,
  getCountries,
  Metadata,
} from "libphonenumber-js/max";

export interface FoundNumber {
  /** Offsets into the text: `text.slice(start, end)` is the number as written. */
  start: number;
  end: number;
  /** E.164, e.g. +4930123456: what the gateway is asked to dial. */
  e164: string;
  /** For people: "+49 30 123456". */
  international: string;
}

const COUNTRIES = new Set<string>(getCountries());

/** "DE" for "de-DE", "de-AT" → "AT"; a bare language or an unknown region: undefined. */
export function regionFromLanguage(language: string | undefined): CountryCode | undefined {
  const match = /^[a-z]{2,3}[-_](?:[A-Za-z]{4}[-_])?([A-Za-z]{2})\b/.exec(language ?? "");
  const region = match?.[1]?.toUpperCase();
  return region && COUNTRIES.has(region) ? (region as CountryCode) : undefined;
}

/** A region code the user typed, checked: "de" → "DE"; unknown → undefined. */
export function checkRegion(text: string | undefined): CountryCode | undefined {
  const region = (text ?? "").trim().toUpperCase();
  return COUNTRIES.has(region) ? (region as CountryCode) : undefined;
}

// Countries whose "0" belongs to the number itself rather than being a trunk prefix.
const ZERO_IS_PART_OF_NUMBER = new Set(["IT", "SM", "VA"]);
const trunkPrefixes = new Map<string, string | undefined>();

function trunkPrefix(region: string): string | undefined {
  if (!trunkPrefixes.has(region)) {
    const metadata = new Metadata();
    metadata.selectNumberingPlan(region as CountryCode);
    // nationalPrefix() is in the metadata's API but not in its type declarations.
    const plan = metadata.numberingPlan as
      | { nationalPrefix?: () => string | undefined }
      | undefined;
    const prefix = plan?.nationalPrefix?.() || undefined;
    // Only "0" is a prefix people always write; the US "1" is usually left out.
    trunkPrefixes.set(
      region,
      prefix === "0" && !ZERO_IS_PART_OF_NUMBER.has(region) ? "0" : undefined,
    );
  }
  return trunkPrefixes.get(region);
}

/** Words before a number that say it is one. */
const PHONE_LABEL =
  /(?:\b(?:tel|tele(?:fon|phone)|phone|fon|fax|mobil|mobile|cell|handy|call|ruf|anruf|durchwahl|direct|dial|t|m|p|f)\b\.?|☎|📞|📱)[\s.:()/-]*(?:no\.?|nr\.?|number|nummer)?[\s.:#-]*$/i;
/** Words before a digit run that say it is something else. */
const OTHER_LABEL =
  /(?:#|№|\b(?:order|invoice|ticket|case|ref|reference|id|iban|bic|account|acct|konto|kto|blz|kunden\w*|bestell\w*|auftrag\w*|rechnung\w*|vorgang\w*|artikel\w*|art|sku|serial|serien\w*|version|ver|v|build|release|no|nr|number|nummer|isbn|ean|zip|plz|postcode|ust|vat|tax|steuer\w*)\b\.?)[\s.:#-]*$/i;
/** 2024-01-15, 15.01.2024, 01/15/2024, 2024.01.15: with or without spaces. */
const DATE_LIKE = /^\d{1,4}\s?([-./])\s?\d{1,2}\s?\1\s?\d{1,4}$/;
/** An IBAN around the digits: two letters, two digits, then groups. */
const IBAN_AROUND = /\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b/g;

/** Cheap test before the real search: at least five digits in the text. */
export function mayContainNumber(text: string): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57 && ++digits >= 5) return true;
  }
  return false;
}

/** Runs of six or more digits with the separators people put in phone numbers. */
const DIGIT_RUN = /(\+|\(\s*\+|\()?\s*\d(?:[\s().\-/\u00a0]{0,3}\d){5,}/g;

/**
 * The cheap filter in front of libphonenumber: could `plausible` accept this digit run?
 * International (+, 00), starting with the trunk prefix where the region has one, or after a
 * phone label. Most digit runs in web applications (ticket, invoice and order numbers, amounts,
 * dates) fail here already.
 */
function worthSearching(text: string, run: RegExpMatchArray, region?: CountryCode): boolean {
  const digits = run[0].trimStart();
  if (run[1]?.includes("+") || digits.startsWith("00")) return true;
  if (!region) return false;
  const prefix = trunkPrefix(region);
  if (prefix === undefined || /\d/.exec(digits)?.[0] === prefix) return true;
  return PHONE_LABEL.test(text.slice(Math.max(0, run.index! - 32), run.index));
}

/**
 * The phone numbers in `text`, in order, none overlapping. libphonenumber's finder runs on
 * each promising digit run rather than on the whole text: its cost grows with the text it
 * scans (about 0.5 ms for a sentence against 0.07 ms for the number alone), and the context it
 * would look at is checked here, on the whole text, by `plausible`.
 */
export function findNumbers(text: string, region?: CountryCode): FoundNumber[] {
  return findNumbersFrom(text, region, 0, () => false).found;
}

/**
 * `findNumbers` a piece at a time, for a text too long for one batch: searches from offset
 * `from` and stops after the digit run during which `timeUp()` turned true. `next` is where to
 * go on (with the same text), or undefined when the text is done. Context before `from` still
 * counts (labels, the character before a number).
 */
export function findNumbersFrom(
  text: string,
  region: CountryCode | undefined,
  from: number,
  timeUp: () => boolean,
): { found: FoundNumber[]; next: number | undefined } {
  const found: FoundNumber[] = [];
  if (!mayContainNumber(from === 0 ? text : text.slice(from))) return { found, next: undefined };
  let ibans: Array<[number, number]> | undefined;
  const options = region ? { defaultCountry: region } : {};
  const runs = new RegExp(DIGIT_RUN);
  runs.lastIndex = from;
  for (let run = runs.exec(text); run; run = runs.exec(text)) {
    if (worthSearching(text, run, region)) {
      const at = run.index;
      for (const candidate of findPhoneNumbersInText(text.slice(at, at + run[0].length), options)) {
        const start = at + candidate.startsAt;
        const end = at + candidate.endsAt;
        if (!plausible(text, start, end, text.slice(start, end), region)) continue;
        ibans ??= [...text.matchAll(IBAN_AROUND)].map((m) => [m.index, m.index + m[0].length]);
        if (ibans.some(([a, b]) => start < b && end > a)) continue;
        found.push({
          start,
          end,
          e164: candidate.number.number,
          international: candidate.number.formatInternational(),
        });
      }
    }
    if (timeUp() && runs.lastIndex < text.length) return { found, next: runs.lastIndex };
  }
  return { found, next: undefined };
}

function plausible(
  text: string,
  start: number,
  end: number,
  written: string,
  region: CountryCode | undefined,
): boolean {
  // Part of a longer token: a letter, digit or joiner right before or after.
  const before = text.slice(Math.max(0, start - 2), start);
  const after = text.slice(end, end + 2);
  if (/[\p{L}\p{N}_]$/u.test(before) || /^[\p{L}\p{N}_]/u.test(after)) return false;
  if (/[\p{L}\p{N}][-/_]$/u.test(before) || /\p{N}[.:,]$/u.test(before)) return false;
  if (/^[-./,:_]\p{N}/u.test(after)) return false;
  if (DATE_LIKE.test(written.trim())) return false;
  const context = text.slice(Math.max(0, start - 32), start);
  const labelled = PHONE_LABEL.test(context);
  if (!labelled && OTHER_LABEL.test(context)) return false;
  const international = /^\s*(?:\+|00|\(\s*\+)/.test(written);
  if (!international && !labelled && region) {
    const prefix = trunkPrefix(region);
    const firstDigit = /\d/.exec(written)?.[0];
    if (prefix !== undefined && firstDigit !== prefix) return false;
  }
  return true;
}
