// Contact search and reverse lookup: fuzzy name search with fzf's algorithm (diacritics folded,
// so `muller` finds Müller), number search by digits, the reverse lookup that puts a name on a
// calling or dialled number, and the `Name<TAB>type<TAB>number` lines for dmenu-style pickers.
// No I/O; the only state is a search index cached per contact list (see searchIndex).
//
// Decisions (the issue leaves these open):
// - Results are one entry per (contact, number), ranked in tiers: an exact number match first,
//   then an exact full-name match, then the fzf score. A contact's numbers keep their order.
// - Text queries use fzf's extended syntax (space-separated terms in any order, 'exact, ^prefix,
//   suffix$, !not), like the fzf users know, over the name and the organization.
// - fzf alone matches letter by letter anywhere ("zzzz" found "Pizzeria Napoli"), so each plain
//   term must also score at least MIN_SCORE_PER_CHAR per character on its own: a run of letters
//   or letters at word starts ("jmul" for Jürgen Müller) pass, letters scattered mid-word fail.
// - German umlauts are searched both ways: folded (ü → u) and transliterated (ü → ue), on the
//   names and on the query, so "muller", "mueller" and "müller" all find Müller. "ue" is never
//   contracted to "u", which would make "zoe" find "Zora".
// - "Exact number" compares digits only. Leading zeros are dropped before comparing suffixes, so
//   the national form 030 123456 and the international forms +49 30 123456 / 0049 30 123456 meet
//   on 30123456. Short numbers (extensions) must match digit for digit.
// - Reverse lookup prefers a whole-number match (same digits, also +49… against 0049…) over a
//   suffix of at least 7 digits (030 123456 against +49 30 123456), since a national form may
//   belong to another country. Several contacts at the best level are ambiguous, unless they all
//   carry the same name (the same person in a vCard and the phone book).

import * as fzfModule from "fzf";
import type { Contact, ContactNumber } from "./model.js";

// fzf's declarations re-export its matchers through extension-less paths that NodeNext cannot
// follow, so `extendedMatch` exists at run time but not in the types.
const { Fzf, extendedMatch } = fzfModule as typeof fzfModule & { extendedMatch: unknown };

export interface ContactMatch {
  contact: Contact;
  number: ContactNumber;
  /** Higher is better; only the order is meaningful. */
  score: number;
  /** Why this entry matched: the whole number, the whole name, or fuzzily. */
  match: "number" | "name" | "fuzzy";
}

export interface ContactSearchOptions {
  /** At most this many entries (default: all). */
  limit?: number;
}

const NUMBER_TIER = 3_000_000;
const NAME_TIER = 2_000_000;
/** Digits two numbers must share at the end to count as the same number in search. */
const SEARCH_SUFFIX_DIGITS = 6;
/** Stricter for reverse lookup, which names a caller without the user choosing. */
const LOOKUP_SUFFIX_DIGITS = 7;

/**
 * Every (contact, number) that matches `query`, best first. An empty query lists all by name.
 * The list is indexed on first use and the index reused for the same array, so treat the array
 * and its contacts as read-only once searched.
 */
export function searchContacts(
  contacts: readonly Contact[],
  query: string,
  options: ContactSearchOptions = {},
): ContactMatch[] {
  const index = searchIndex(contacts);
  const numberQuery = asNumberQuery(query);
  const matches =
    numberQuery !== undefined
      ? searchNumbers(index.dialable, numberQuery)
      : searchNames(index, query);
  matches.sort((a, b) => b.score - a.score || NAME_ORDER.compare(a.contact.name, b.contact.name));
  return options.limit === undefined ? matches : matches.slice(0, Math.max(0, options.limit));
}

const NAME_ORDER = new Intl.Collator(undefined, { sensitivity: "base" });

/** The one contact a number belongs to, or undefined when none or several (ambiguous) do. */
export function lookupByNumber(
  contacts: readonly Contact[],
  dialledOrShownNumber: string,
): Contact | undefined {
  const wanted = numberDigits(dialledOrShownNumber);
  if (wanted === "") return undefined;
  let bestLevel = NO_MATCH;
  let candidates: Contact[] = [];
  for (const contact of contacts) {
    let level = NO_MATCH;
    for (const number of contact.numbers) {
      level = Math.min(level, numberMatchLevel(wanted, numberDigits(number.value)));
    }
    if (level < bestLevel) {
      bestLevel = level;
      candidates = [contact];
    } else if (level === bestLevel && level !== NO_MATCH) {
      candidates.push(contact);
    }
  }
  const [first] = candidates;
  if (!first) return undefined;
  const name = foldText(first.name);
  return candidates.every((contact) => foldText(contact.name) === name) ? first : undefined;
}

/** `Name<TAB>type<TAB>number` lines for rofi, dmenu and fzf scripts. */
export function formatDmenuLines(matches: readonly ContactMatch[]): string[] {
  return matches.map(
    ({ contact, number }) =>
      `${dmenuField(contact.name)}\t${number.type}\t${dmenuField(number.value)}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Name search

/**
 * What name search needs of a contact list, built once per list: a search-as-you-type picker
 * calls searchContacts with the same array on every key, and folding 10,000 names and building
 * fzf's item table each time would cost more than the match itself. Contacts are not mutated.
 */
interface SearchIndex {
  /** Length of the list when indexed: a cheap guard against a list grown since. */
  listLength: number;
  dialable: Contact[];
  /** Built on the first name search; number searches do not need it. */
  names?: NameIndex;
}

interface NameIndex {
  /** Each contact's name as compared for an exact match, folded both ways (see foldVariants). */
  folded: Map<Contact, string[]>;
  /** fzf with the extended syntax: finds and ranks. */
  fzf: InstanceType<typeof Fzf<Contact[]>>;
  /** Plain fzf: scores one term at a time, for MIN_SCORE_PER_CHAR. */
  perTerm: InstanceType<typeof Fzf<Contact[]>>;
}

/**
 * What each plain query term must score per character. fzf gives 16 per matched character,
 * bonuses for word starts and runs, and penalties for gaps, so contiguous runs of two or more
 * letters and word-start letters clear it, while scattered letters do not.
 */
const MIN_SCORE_PER_CHAR = 17;

const INDEXES = new WeakMap<readonly Contact[], SearchIndex>();

function searchIndex(contacts: readonly Contact[]): SearchIndex {
  const cached = INDEXES.get(contacts);
  if (cached && cached.listLength === contacts.length) return cached;
  const dialable = contacts.filter((contact) => contact.numbers.length > 0);
  const index: SearchIndex = { listLength: contacts.length, dialable };
  INDEXES.set(contacts, index);
  return index;
}

function nameIndex(index: SearchIndex): NameIndex {
  if (index.names) return index.names;
  const folded = new Map(index.dialable.map((contact) => [contact, foldVariants(contact.name)]));
  // Both forms of every name and organization in one haystack: a term matches either form.
  const haystacks = new Map(
    index.dialable.map((contact) => [
      contact,
      [contact.name, contact.organization ?? ""].flatMap(foldVariants).filter(Boolean).join(" "),
    ]),
  );
  const options = {
    selector: (contact: Contact) => haystacks.get(contact) ?? "",
    casing: "case-insensitive" as const,
  };
  const fzf = new Fzf(index.dialable, { ...options, match: extendedMatch });
  const perTerm = new Fzf(index.dialable, options);
  index.names = { folded, fzf, perTerm };
  return index.names;
}

function searchNames(index: SearchIndex, query: string): ContactMatch[] {
  const queries = foldVariants(query);
  if (queries.length === 0) {
    return index.dialable.flatMap((contact) => entries(contact, 0, "fuzzy"));
  }
  const names = nameIndex(index);
  const scored = new Map<Contact, number>();
  for (const folded of queries) {
    for (const [contact, score] of fuzzyScores(names, folded)) {
      scored.set(contact, Math.max(score, scored.get(contact) ?? 0));
    }
  }
  // Exact names are checked on their own: extended-syntax characters in a name ("!", "|") could
  // keep fzf from matching the very name typed.
  for (const [contact, foldedNames] of names.folded) {
    if (queries.some((folded) => foldedNames.includes(folded))) {
      scored.set(contact, NAME_TIER + (scored.get(contact) ?? 0));
    }
  }
  return [...scored].flatMap(([contact, score]) =>
    entries(contact, score, score >= NAME_TIER ? "name" : "fuzzy"),
  );
}

/** fzf's extended-syntax matches whose plain terms each score well enough on their own. */
function fuzzyScores(names: NameIndex, foldedQuery: string): Map<Contact, number> {
  const scored = new Map<Contact, number>();
  for (const result of names.fzf.find(foldedQuery)) scored.set(result.item, result.score);
  for (const term of plainTerms(foldedQuery)) {
    const strong = new Set<Contact>();
    for (const result of names.perTerm.find(term)) {
      if (result.score >= MIN_SCORE_PER_CHAR * term.length) strong.add(result.item);
    }
    for (const contact of scored.keys()) if (!strong.has(contact)) scored.delete(contact);
  }
  return scored;
}

/**
 * The terms of an extended-syntax query that fzf matches fuzzily and that every match needs:
 * not 'exact, ^prefix, suffix$, !negated or =…, and not an alternative of an OR group (a | b).
 */
function plainTerms(foldedQuery: string): string[] {
  const tokens = foldedQuery.split(" ");
  return tokens.filter(
    (token, i) =>
      token !== "" &&
      token !== "|" &&
      !/^['^!=]/.test(token) &&
      !token.endsWith("$") &&
      tokens[i - 1] !== "|" &&
      tokens[i + 1] !== "|",
  );
}

/**
 * The forms a name or query is compared in: folded (foldText), and, when it has a German umlaut,
 * also with the umlauts written out (ü → ue) as Germans type them without the key. Empty forms
 * are dropped.
 */
function foldVariants(text: string): string[] {
  const folded = foldText(text);
  if (folded === "") return [];
  const written = foldText(text.normalize("NFC").replace(/[äöüÄÖÜ]/g, (ch) => UMLAUTS[ch] ?? ch));
  return written === folded ? [folded] : [folded, written];
}

const UMLAUTS: Record<string, string> = {
  ä: "ae",
  ö: "oe",
  ü: "ue",
  Ä: "Ae",
  Ö: "Oe",
  Ü: "Ue",
};

function entries(contact: Contact, score: number, match: ContactMatch["match"]): ContactMatch[] {
  return contact.numbers.map((number) => ({ contact, number, score, match }));
}

/**
 * Lowercase, diacritics removed (NFKD, then the letters that do not decompose), whitespace
 * collapsed: what names are compared and fuzzy-matched on.
 */
export function foldText(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[ßæœøłđðþı]/g, (ch) => FOLDED_LETTERS[ch] ?? ch)
    .replace(/\s+/g, " ")
    .trim();
}

const FOLDED_LETTERS: Record<string, string> = {
  ß: "ss",
  æ: "ae",
  œ: "oe",
  ø: "o",
  ł: "l",
  đ: "d",
  ð: "d",
  þ: "th",
  ı: "i",
};

// ---------------------------------------------------------------------------------------------
// Number search

const NUMBER_QUERY = /^\+?[0-9*#]*[0-9][0-9*#]*$/;
const VISUAL_SEPARATORS = /[\s\-./()]/g;

/** The digits of a query that looks like a phone number, else undefined. */
function asNumberQuery(query: string): string | undefined {
  const compact = query.trim().replace(/^tel:/i, "").replace(VISUAL_SEPARATORS, "");
  return NUMBER_QUERY.test(compact) ? numberDigits(compact) : undefined;
}

function searchNumbers(contacts: readonly Contact[], wanted: string): ContactMatch[] {
  const wantedCore = withoutLeadingZeros(wanted);
  const matches: ContactMatch[] = [];
  for (const contact of contacts) {
    for (const number of contact.numbers) {
      const digits = numberDigits(number.value);
      if (numberMatchLevel(wanted, digits, SEARCH_SUFFIX_DIGITS) < NO_MATCH) {
        matches.push({ contact, number, score: NUMBER_TIER, match: "number" });
      } else if (digits.includes(wanted) || (wantedCore !== "" && digits.includes(wantedCore))) {
        // Partial numbers rank by how much of the number they cover.
        const score = Math.round((1000 * wanted.length) / Math.max(digits.length, 1));
        matches.push({ contact, number, score, match: "fuzzy" });
      }
    }
  }
  return matches;
}

const SAME_NUMBER = 0;
const SAME_ENDING = 1;
const NO_MATCH = 2;

/**
 * How two digit strings are the same number: SAME_NUMBER when the digits are equal or equal
 * without leading zeros (+49…, 0049…), SAME_ENDING when one ends the other with at least
 * `minSuffix` digits (030 123456 against +49 30 123456), else NO_MATCH.
 */
function numberMatchLevel(a: string, b: string, minSuffix = LOOKUP_SUFFIX_DIGITS): number {
  if (a === "" || b === "") return NO_MATCH;
  if (a === b) return SAME_NUMBER;
  const coreA = withoutLeadingZeros(a);
  const coreB = withoutLeadingZeros(b);
  const [shorter, longer] = coreA.length <= coreB.length ? [coreA, coreB] : [coreB, coreA];
  if (shorter.length < minSuffix) return NO_MATCH;
  if (shorter === longer) return SAME_NUMBER;
  return longer.endsWith(shorter) ? SAME_ENDING : NO_MATCH;
}

function withoutLeadingZeros(digits: string): string {
  return digits.replace(/^0+/, "");
}

/** An extension written after the number ("ext. 12", "x12", ";ext=12", ",12") is not compared. */
const TRAILING_EXTENSION = /\s*(?:;ext=|ext\.?|extension|x|,+)\s*[.:]?\s*[0-9]+\s*$/i;

/** "+49 (0)30 …": the trunk zero in brackets is not dialled from abroad. */
const TRUNK_ZERO = /\(\s*0\s*\)/;

/** The digits that identify a number, without separators, "+", "(0)" or a trailing extension. */
export function numberDigits(value: string): string {
  return value
    .replace(TRAILING_EXTENSION, "")
    .replace(TRUNK_ZERO, "")
    .replace(/[^0-9]/g, "");
}

// ---------------------------------------------------------------------------------------------
// dmenu lines

/** Tabs and line breaks would split a dmenu line; other control characters garble terminals. */
function dmenuField(text: string): string {
  return text.replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, " ");
}
