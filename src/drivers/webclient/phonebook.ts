// Reads the PBX phone book's 202 entries (RequestLookupContact 104) as driver contacts.
// Decisions (the reference leaves these open, proto/myphone.proto marks them [?]):
// - ContactInfo fields: 4 business → work; 5 extension for colleagues (contact_type 0), mobile for
//   phone-book contacts; 8 home; 9 to 17 e-mail when they hold an "@", else another number. A
//   field that holds an "@" is an e-mail wherever it sits, and field 8 too when it does.
// - An absent contact_type reads as 0 (colleague), as proto2 defaults do.
// - Only the first e-mail is kept, as PbxContactEntry has room for one.

import type { ContactInfo } from "../../protocol/gen/myphone_pb.js";
import type { ContactNumberType, DriverContact } from "../driver.js";

/** Reads one 202 entry. */
export function toDriverContact(info: ContactInfo): DriverContact {
  const isColleague = info.contactType === 0;
  const entry: DriverContact = { numbers: [], isColleague };
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
