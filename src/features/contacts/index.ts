// All contacts from every configured source, vCard directories first, then the PBX phone book,
// and the public surface of the contacts feature.
//
// Entry of features/contacts/, which owns contacts: the model, vCard files, the PBX phone book,
// search, names for numbers (contact-names) and the picker. May use: errors.ts, the drivers'
// types, features/calls (dial strings) and features/settings.
//
// Decisions: the PBX lookup runs alongside the vCard load and fails softly (a warning), because
// contacts are a convenience around dialling and an unreachable PBX must not hide local cards.
// Entries that exist in both sources are kept twice; reverse lookup treats same-name hits as one.

import type { Contact } from "./model.js";
import { type PhoneBookLookup, pbxEntriesToContacts } from "./pbx-phonebook.js";
import { loadVCardDirs } from "./vcard.js";

export type { Contact, ContactNumber, ContactNumberType } from "./model.js";
export {
  type PbxContactEntry,
  type PhoneBookLookup,
  pbxEntriesToContacts,
} from "./pbx-phonebook.js";
export {
  type ContactMatch,
  type ContactSearchOptions,
  formatDmenuLines,
  lookupByNumber,
  searchContacts,
} from "./search.js";
export { loadVCardDirs, type VCardLoadResult } from "./vcard.js";

/** Phone-book entries asked for when no limit is given. */
export const DEFAULT_PBX_LIMIT = 500;

export interface LoadAllContactsOptions {
  /** vCard files or directories (the config's `contacts`); `~` is expanded. */
  vcardDirs: readonly string[];
  /** The session's phone book; without it only vCards are loaded. */
  pbx?: PhoneBookLookup;
  /** Passed to the PBX, which filters its phone book itself (default "": everything). */
  query?: string;
  /** At most this many PBX entries (default DEFAULT_PBX_LIMIT). */
  pbxLimit?: number;
  /** Home directory for `~` (default: the user's). */
  home?: string;
}

export interface AllContacts {
  contacts: Contact[];
  warnings: string[];
}

export async function loadAllContacts(options: LoadAllContactsOptions): Promise<AllContacts> {
  const [local, remote] = await Promise.all([
    loadVCardDirs(options.vcardDirs, options.home === undefined ? {} : { home: options.home }),
    loadPbxContacts(options),
  ]);
  return {
    contacts: [...local.contacts, ...remote.contacts],
    warnings: [...local.warnings, ...remote.warnings],
  };
}

async function loadPbxContacts(options: LoadAllContactsOptions): Promise<AllContacts> {
  if (!options.pbx) return { contacts: [], warnings: [] };
  try {
    const entries = await options.pbx.lookupContacts(
      options.query ?? "",
      options.pbxLimit ?? DEFAULT_PBX_LIMIT,
    );
    return { contacts: pbxEntriesToContacts(entries), warnings: [] };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { contacts: [], warnings: [`PBX phone book unavailable: ${reason}`] };
  }
}
