// The PBX phone book and colleagues (RequestLookupContact 104, answered by 202) as a contact
// source: the interface a driver implements, the reading of a ContactInfo record, and the
// conversion to the shared contact model. No I/O: the driver does the round trip.
//
// Decisions (the reference leaves these open, proto/myphone.proto marks them [?]):
// - ContactInfo fields: 4 business → work; 5 extension for colleagues (contact_type 0), mobile for
//   phone-book contacts; 8 home; 9 to 17 e-mail when they hold an "@", else another number. A
//   field that holds an "@" is an e-mail wherever it sits, and field 8 too when it does.
// - An absent contact_type reads as 0 (colleague), as proto2 defaults do.
// - Only the first e-mail is kept, as PbxContactEntry has room for one.

import type { ContactInfo } from "../../protocol/gen/myphone_pb.js";
import { type Contact, type ContactNumber, type ContactNumberType, singleLine } from "./model.js";

export interface PbxContactEntry {
  firstName?: string;
  lastName?: string;
  company?: string;
  numbers: { type: ContactNumberType; value: string }[];
  email?: string;
  /** An extension on this PBX rather than a phone-book contact. */
  isColleague: boolean;
}

/** What a driver offers: one 104 round trip, `query` matched by the PBX (names, company, numbers). */
export interface PhoneBookLookup {
  lookupContacts(query: string, limit: number): Promise<PbxContactEntry[]>;
}

/** Reads one 202 entry; for drivers that speak the MyPhone protocol. */
export function pbxEntryFromContactInfo(info: ContactInfo): PbxContactEntry {
  const isColleague = info.contactType === 0;
  const entry: PbxContactEntry = { numbers: [], isColleague };
  if (info.firstName) entry.firstName = info.firstName;
  if (info.lastName) entry.lastName = info.lastName;
  if (info.company) entry.company = info.company;
  const slots: [string, ContactNumberType][] = [
    [info.number4, "work"],
    [info.number5, isColleague ? "extension" : "mobile"],
    [info.extra8, "home"],
    ...[
      info.extra9,
      info.extra10,
      info.extra11,
      info.extra12,
      info.extra13,
      info.extra14,
      info.extra15,
      info.extra16,
      info.extra17,
    ].map((value): [string, ContactNumberType] => [value, "other"]),
  ];
  for (const [raw, type] of slots) {
    const value = raw.trim();
    if (value === "") continue;
    if (value.includes("@")) entry.email ??= value;
    else entry.numbers.push({ type, value });
  }
  return entry;
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
