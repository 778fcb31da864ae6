// Contacts where dialling needs them: a name for a number (reverse lookup, for "Calling Ada
// Lovelace (+49 30 123456)" and `watch` lines), the numbers a typed name stands for
// (`dial3cx call "Ada Lovelace"`), and the PBX phone book asked so that folded search works.
//
// Decisions (the issue leaves these open):
// - What counts as a name is isNameQuery's call (callee.ts).
// - A typed name matches contacts whose whole name is the same (folded: case and diacritics
//   ignored), or, when none is, contacts in which every typed word starts a word of the name
//   ("ada" or "ada love" for Ada Lovelace). Fuzzy matches never dial by themselves.
// - The same number twice (a person in a vCard and in the PBX phone book, maybe written once
//   nationally and once internationally) counts once, in its international form; fax
//   numbers are left out, since nobody means to ring a fax.
// - A number's type may follow the name ("Ada mobile", "Anna Schmidt home"): when the whole text
//   names nobody and its last word is a type (mobile, cell, iphone, work, home, other, extension,
//   or the words vCards and the phone book use for them), the rest is the name and only numbers of
//   that type count.
// - The PBX matches phone-book queries itself, without folding diacritics: it is asked for the
//   typed text and for its whole phone book (up to DEFAULT_PBX_LIMIT entries) at once, and
//   search runs on the union, so `muller` finds the PBX's Müller too.

import type { DialString } from "../calls/dialstring.js";
import type { Contact, ContactNumber, PbxContactEntry, PhoneBookLookup } from "./index.js";
import { loadVCardDirs, lookupByNumber } from "./index.js";
import { foldText, numberDigits } from "./search.js";

export interface NamedNumber {
  contact: Contact;
  number: ContactNumber;
}

/** Words that name a number's type after a name, as vCards (TYPE=…) and people write them. */
const TYPE_WORDS: Record<string, ContactNumber["type"]> = {
  mobile: "mobile",
  cell: "mobile",
  iphone: "mobile",
  handy: "mobile",
  work: "work",
  business: "work",
  office: "work",
  home: "home",
  private: "home",
  other: "other",
  extension: "extension",
};

/** The numbers `text` names (see the decisions above), best first. */
export function numbersForName(contacts: readonly Contact[], text: string): NamedNumber[] {
  const found = numbersForWholeName(contacts, text);
  if (found.length > 0) return found;
  const words = foldText(text).split(" ");
  const type = TYPE_WORDS[words.at(-1) ?? ""];
  if (type === undefined || words.length < 2) return found;
  const named = numbersForWholeName(contacts, words.slice(0, -1).join(" "));
  return named.filter((match) => match.number.type === type);
}

function numbersForWholeName(contacts: readonly Contact[], text: string): NamedNumber[] {
  const wanted = foldText(text);
  if (wanted === "") return [];
  const exact = contacts.filter((contact) => foldText(contact.name) === wanted);
  const words = wanted.split(/[\s,.;-]+/).filter(Boolean);
  const chosen =
    exact.length > 0
      ? exact
      : contacts.filter((contact) => wordsStartName(words, foldText(contact.name)));
  const seen: string[] = [];
  const result: NamedNumber[] = [];
  for (const contact of chosen) {
    for (const number of contact.numbers) {
      const digits = numberDigits(number.value);
      if (number.type === "fax" || digits === "") continue;
      const same = seen.findIndex((other) => sameNumber(other, digits));
      if (same === -1) {
        seen.push(digits);
        result.push({ contact, number });
      } else if (digits.length > seen[same]!.length) {
        // The longer form carries the country code: it dials right from anywhere.
        seen[same] = digits;
        result[same] = { contact, number };
      }
    }
  }
  return result;
}

/** Digits shared at the end that make two forms one number (as reverse lookup counts them). */
const SAME_ENDING_DIGITS = 7;

/**
 * The same number written two ways: equal without leading zeros (+49…, 0049…), or one ending the
 * other with enough digits (030 123456 against +49 30 123456).
 */
function sameNumber(a: string, b: string): boolean {
  const coreA = a.replace(/^0+/, "");
  const coreB = b.replace(/^0+/, "");
  if (coreA === coreB) return true;
  const [shorter, longer] = coreA.length <= coreB.length ? [coreA, coreB] : [coreB, coreA];
  return shorter.length >= SAME_ENDING_DIGITS && longer.endsWith(shorter);
}

function wordsStartName(words: readonly string[], foldedName: string): boolean {
  const nameWords = foldedName.split(/[\s,.;-]+/).filter(Boolean);
  return words.length > 0 && words.every((word) => nameWords.some((name) => name.startsWith(word)));
}

/** The contact's name for a dialled number, or undefined when unknown or ambiguous. */
export function nameForNumber(
  contacts: readonly Contact[],
  number: DialString | string,
): string | undefined {
  if (contacts.length === 0) return undefined;
  const text = typeof number === "string" ? number : (number.e164 ?? number.display);
  return lookupByNumber(contacts, text)?.name;
}

/**
 * The name the configured vCard directories give the number (local files only: no PBX lookup).
 * Cards that do not load are passed to `warn`.
 */
export async function vCardNameFor(
  dirs: readonly string[],
  number: DialString | string,
  warn: (warning: string) => void = () => undefined,
): Promise<string | undefined> {
  if (dirs.length === 0) return undefined;
  const loaded = await loadVCardDirs(dirs);
  for (const warning of loaded.warnings) warn(warning);
  return nameForNumber(loaded.contacts, number);
}

/** Entries of the phone book as the PBX answers `query`, plus its whole book for folded search. */
export function foldingPhoneBook(lookup: PhoneBookLookup): PhoneBookLookup {
  return {
    lookupContacts: async (query, limit) => {
      const typed = query.trim();
      const [whole, matching] = await Promise.all([
        lookup.lookupContacts("", limit),
        typed === "" ? Promise.resolve([]) : lookup.lookupContacts(typed, limit),
      ]);
      return uniqueEntries([...matching, ...whole]);
    },
  };
}

function uniqueEntries(entries: readonly PbxContactEntry[]): PbxContactEntry[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    const key = JSON.stringify([
      entry.firstName,
      entry.lastName,
      entry.company,
      entry.email,
      entry.numbers,
    ]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
