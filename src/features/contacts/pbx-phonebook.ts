// The PBX phone book and colleagues (RequestLookupContact 104, answered by 202) as a contact
// source: the lookup a driver offers and the conversion to the shared contact model. No I/O.
//
import type { DriverContact } from "../../drivers/driver.js";
import { type Contact, type ContactNumber, singleLine } from "./model.js";

/** A phone-book entry or colleague as the driver reads it. */
export type PbxContactEntry = DriverContact;

/** What a driver offers: one 104 round trip, `query` matched by the PBX (names, company, numbers). */
export interface PhoneBookLookup {
  lookupContacts(query: string, limit: number): Promise<PbxContactEntry[]>;
}

/** Phone-book entries as contacts (source "pbx"); entries with neither name nor number dropped. */
export function pbxEntriesToContacts(entries: readonly PbxContactEntry[]): Contact[] {
  const contacts: Contact[] = [];
  const seenIds = new Map<string, number>();
  for (const entry of entries) {
    const numbers = distinctNumbers(entry.numbers);
    const person = singleLine([entry.firstName, entry.lastName].filter(Boolean).join(" "));
    const organization = singleLine(entry.company ?? "");
    const email = singleLine(entry.email ?? "");
    const name = person || organization || numbers[0]?.value || email;
    if (!name) continue;
    const contact: Contact = {
      id: uniqueId(`pbx:${name}:${numbers[0]?.value ?? ""}`, seenIds),
      name,
      numbers,
      emails: email ? [email] : [],
      source: "pbx",
    };
    if (organization) contact.organization = organization;
    contacts.push(contact);
  }
  return contacts;
}

function distinctNumbers(numbers: PbxContactEntry["numbers"]): ContactNumber[] {
  const seen = new Set<string>();
  const out: ContactNumber[] = [];
  for (const { type, value: raw } of numbers) {
    const value = singleLine(raw);
    if (value === "" || seen.has(value)) continue;
    seen.add(value);
    out.push({ type, value });
  }
  return out;
}

/** The PBX sends no ids; one built from the content, numbered when the PBX repeats an entry. */
function uniqueId(base: string, seen: Map<string, number>): string {
  const count = (seen.get(base) ?? 0) + 1;
  seen.set(base, count);
  return count === 1 ? base : `${base}#${count}`;
}
