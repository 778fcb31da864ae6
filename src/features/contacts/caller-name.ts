// Who is calling: the caller's name for an incoming call's number, from the user's vCards first,
// then the PBX phone book, then the name the PBX sent with the call. Used by the incoming-call
// notification and the gateway's call events.
//
// Decisions:
// - Only caller ids that are numbers are looked up (`anonymous`, "" and SIP URIs are not).
// - vCards are read once per resolver; the PBX phone book (one 104 round trip for all of it) is
//   kept for five minutes, so a burst of calls costs one lookup. A failed lookup counts as no
//   name: the call is still told, with the PBX's name.
// - Names are made single-line (control characters go) before they reach a notification.
import { isCallbackable } from "../calls/callback.js";
import { type Contact, singleLine } from "./model.js";
import { type PhoneBookLookup, pbxEntriesToContacts } from "./pbx-phonebook.js";
import { lookupByNumber } from "./search.js";
import { loadVCardDirs } from "./vcard.js";

export interface CallerName {
  name?: string;
  organization?: string;
  /** Where the name came from. */
  source?: "vcard" | "phonebook" | "pbx";
}

export interface CallerNameOptions {
  vcardDirs: readonly string[];
  phoneBook?: PhoneBookLookup;
  /** How long the phone book is kept (default 5 minutes). */
  phoneBookTtlMs?: number;
  now?: () => number;
}

export type CallerNameResolver = (number: string, pbxName?: string) => Promise<CallerName>;

const PHONE_BOOK_LIMIT = 500;

export function callerNameResolver(options: CallerNameOptions): CallerNameResolver {
  const now = options.now ?? Date.now;
  const ttl = options.phoneBookTtlMs ?? 5 * 60_000;
  let vcards: Promise<Contact[]> | undefined;
  let book: { at: number; contacts: Promise<Contact[]> } | undefined;
  const vCardContacts = () => {
    vcards ??=
      options.vcardDirs.length === 0
        ? Promise.resolve([])
        : loadVCardDirs(options.vcardDirs).then(
            (loaded) => loaded.contacts,
            () => [],
          );
    return vcards;
  };
  const phoneBookContacts = () => {
    const lookup = options.phoneBook;
    if (!lookup) return Promise.resolve([]);
    if (!book || now() - book.at > ttl) {
      book = {
        at: now(),
        contacts: lookup.lookupContacts("", PHONE_BOOK_LIMIT).then(pbxEntriesToContacts, () => []),
      };
    }
    return book.contacts;
  };
  return async (number, pbxName) => {
    if (isCallbackable(number)) {
      const local = lookupByNumber(await vCardContacts(), number);
      if (local) return described(local, "vcard");
      const remote = lookupByNumber(await phoneBookContacts(), number);
      if (remote) return described(remote, "phonebook");
    }
    const name = singleLine(pbxName ?? "");
    return name ? { name, source: "pbx" } : {};
  };
}

function described(contact: Contact, source: CallerName["source"]): CallerName {
  const name = singleLine(contact.name);
  const organization = singleLine(contact.organization ?? "");
  const result: CallerName = { name, source };
  if (organization && organization !== name) result.organization = organization;
  return result;
}

/** "Ada Lovelace (Analytical Engines)", "Ada Lovelace", or undefined. */
export function callerLabel(caller: CallerName): string | undefined {
  if (!caller.name) return undefined;
  return caller.organization ? `${caller.name} (${caller.organization})` : caller.name;
}
