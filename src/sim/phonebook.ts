// Phone-book search of the simulated PBX (RequestLookupContact 104): scenario contacts plus the
// caller's colleagues, matched case-insensitively on names, company, e-mail and numbers.

import type { ExtensionState } from "./model.js";

import { dialDigits } from "./pbx.js";

import type { LookupEntry } from "./replies.js";
import type { Scenario } from "./scenario.js";

export interface LookupQuery {
  input: string;
  offset: number;
  /** 0 means no limit [?]. */
  count: number;
  includeExtensions: boolean;
  /** 1 sorts by first name [R]; anything else by last name [?]. */
  sortBy: number;
}

export function searchDirectory(
  scenario: Scenario,
  extensions: readonly ExtensionState[],
  caller: ExtensionState,
  query: LookupQuery,
): LookupEntry[] {
  const colleagues: LookupEntry[] = query.includeExtensions
    ? extensions
        .filter((ext) => ext !== caller)
        .map((ext) => ({
          firstName: ext.config.firstName,
          lastName: ext.config.lastName,
          contactType: 0,
          number5: ext.number,
          email: ext.config.email,
        }))
    : [];
  const contacts: LookupEntry[] = scenario.contacts.map((c) => ({
    firstName: c.firstName,
    lastName: c.lastName,
    company: c.company,
    contactType: 1,
    business: c.business,
    number5: c.mobile,
    home: c.home,
    email: c.email,
  }));
  const matches = [...colleagues, ...contacts]
    .filter((entry) => matchesInput(entry, query.input))
    .sort(byName(query.sortBy === 1 ? "firstName" : "lastName"));
  const start = Math.max(0, query.offset);
  return query.count > 0 ? matches.slice(start, start + query.count) : matches.slice(start);
}

function matchesInput(entry: LookupEntry, input: string): boolean {
  const wanted = input.trim().toLocaleLowerCase();
  if (wanted === "") return true;
  const texts = [
    entry.firstName,
    entry.lastName,
    [entry.firstName, entry.lastName].filter(Boolean).join(" "),
    entry.company,
    entry.email,
  ];
  if (texts.some((t) => t?.toLocaleLowerCase().includes(wanted))) return true;
  const numbers = [entry.business, entry.number5, entry.home].filter((n): n is string => !!n);
  if (numbers.some((n) => n.toLocaleLowerCase().includes(wanted))) return true;
  // Typed digits also find numbers written with spaces or a +: "4930" finds "+49 30 …".
  const typed = wanted.replace(/[\s()./-]/g, "");
  if (!/^\+?[0-9*#]+$/.test(typed)) return false;
  const plainDigits = typed.replace(/^\+/, "");
  return numbers.some(
    (n) =>
      dialDigits(n).includes(dialDigits(typed)) || n.replace(/[^0-9*#]/g, "").includes(plainDigits),
  );
}

function byName(key: "firstName" | "lastName") {
  const other = key === "firstName" ? "lastName" : "firstName";
  const sortKey = (e: LookupEntry) =>
    // Entries without the sort key (a company only) sort by what they have.
    `${e[key] || e[other] || e.company || ""}\u0000${e[other] ?? ""}`.toLocaleLowerCase();
  return (a: LookupEntry, b: LookupEntry) => sortKey(a).localeCompare(sortKey(b));
}
