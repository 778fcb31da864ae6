// One entry per person and number across sources: the same (name, number) pair from a vCard and
// the PBX phone book is listed once, and every number gets an id of its own that stays the same
// from one load to the next.
import { createHash } from "node:crypto";
import type { Contact, ContactNumber } from "./model.js";
import { foldText, numberDigits } from "./search.js";

/** Numbers that end alike in at least this many digits are the same number written two ways. */
const SAME_ENDING_DIGITS = 7;

/**
 * Keeps one entry per (folded name, number) pair and drops the others, and a contact left with no
 * number that had some. "+49 30 123456" and "030 123456" are the same number: the longer form is
 * kept (its country code dials right from anywhere), on a tie the first source's.
 */
export function mergeDuplicateNumbers(contacts: readonly Contact[]): Contact[] {
  type Kept = { digits: string; contact: number; number: number };
  const byName = new Map<string, Kept[]>();
  const dropped = new Set<string>();
  contacts.forEach((contact, c) => {
    const name = foldText(contact.name);
    const kept = byName.get(name) ?? [];
    byName.set(name, kept);
    contact.numbers.forEach((number, n) => {
      const digits = numberDigits(number.value);
      if (digits === "") return;
      const same = kept.findIndex((other) => sameNumber(other.digits, digits));
      if (same === -1) {
        kept.push({ digits, contact: c, number: n });
        return;
      }
      const other = kept[same]!;
      if (core(digits).length > core(other.digits).length) {
        dropped.add(`${other.contact}/${other.number}`);
        kept[same] = { digits, contact: c, number: n };
      } else {
        dropped.add(`${c}/${n}`);
      }
    });
  });
  if (dropped.size === 0) return [...contacts];
  const result: Contact[] = [];
  contacts.forEach((contact, c) => {
    const numbers = contact.numbers.filter((_, n) => !dropped.has(`${c}/${n}`));
    if (numbers.length === contact.numbers.length) result.push(contact);
    else if (numbers.length > 0) result.push({ ...contact, numbers });
  });
  return result;
}

/** The digits without the leading zeros of a trunk or international prefix. */
function core(digits: string): string {
  return digits.replace(/^0+/, "");
}

function sameNumber(a: string, b: string): boolean {
  const coreA = core(a);
  const coreB = core(b);
  if (coreA === coreB) return true;
  const [shorter, longer] = coreA.length <= coreB.length ? [coreA, coreB] : [coreB, coreA];
  return shorter.length >= SAME_ENDING_DIGITS && longer.endsWith(shorter);
}

/**
 * A stable id for one number of one contact: the same contact and number give the same id on
 * every load, two numbers of one contact never share one. Hashed, so it shows no file path.
 */
export function numberId(contact: Pick<Contact, "id">, number: ContactNumber): string {
  const digits = numberDigits(number.value) || number.value;
  const hash = createHash("sha256").update(`${contact.id}\n${digits}`).digest("hex");
  return `n_${hash.slice(0, 20)}`;
}
