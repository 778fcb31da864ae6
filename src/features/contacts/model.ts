// The contact model shared by every contact source (vCard directories, the PBX phone book) and by
// search, reverse lookup and the pickers: the types, and the one text rule every source follows.

export type ContactNumberType = "work" | "mobile" | "home" | "fax" | "extension" | "other";

export interface ContactNumber {
  type: ContactNumberType;
  /** The number as the source wrote it ("+49 30 123456", "030/123456", "101"); never normalised. */
  value: string;
}

export interface Contact {
  /** The vCard UID when present, else "<file>#<n>"; "pbx:…" for phone-book entries. */
  id: string;
  /** Display name, single line. */
  name: string;
  organization?: string;
  numbers: ContactNumber[];
  emails: string[];
  /** "vcard:<file path>" or "pbx". */
  source: string;
}

import { displayText } from "../display-text.js";

/**
 * Names and numbers end up in terminals, notifications and dmenu lines: one line, control
 * characters and runs of whitespace turned into single spaces.
 */
export function singleLine(text: string): string {
  // Bidi controls and other format characters go too (displayText): a name must not reorder
  // the number shown next to it.
  return displayText(text).replace(/\s+/g, " ").trim();
}
