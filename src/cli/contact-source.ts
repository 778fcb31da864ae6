// Contacts for the commands that search or pick them: the configured vCard directories and the
// PBX phone book through a session. Without a login (or with the PBX out of reach) the vCards
// still load and a note says what is missing; the session stays open for the caller, who may
// place a call on it.

import { Dial3cxError, NotLoggedInError } from "../errors.js";
import type { Dial3cxClient } from "../features/calls/client.js";
import { accountSession, type SessionAccess } from "../features/calls/place-call.js";
import { foldingPhoneBook } from "../features/contacts/contact-names.js";
import { type Contact, loadAllContacts } from "../features/contacts/index.js";
import { accountOptions, type ConnectionFlags, type Context } from "./context.js";

export interface CliContacts {
  contacts: Contact[];
  /** For stderr: vCards skipped, the phone book out of reach, not logged in. */
  notes: string[];
  /** The open session, when there is a login; close it with `session.done`. */
  client?: Dial3cxClient;
  session: SessionAccess;
}

export interface LoadOptions {
  /** What the PBX is asked (it filters itself); "" for the whole phone book. */
  query: string;
  /** Follow events on the session (for a call followed to its end). */
  events?: boolean;
}

export async function loadCliContacts(
  context: Context,
  flags: ConnectionFlags,
  options: LoadOptions,
): Promise<CliContacts> {
  const session = accountSession(
    accountOptions(context, flags, { events: options.events ?? false }),
  );
  const notes: string[] = [];
  const client = await openOrExplain(context, session, notes);
  const all = await loadAllContacts({
    vcardDirs: context.settings.contacts,
    pbx: client ? foldingPhoneBook(client) : undefined,
    query: options.query,
  });
  notes.push(...all.warnings);
  return client
    ? { contacts: all.contacts, notes, client, session }
    : { contacts: all.contacts, notes, session };
}

/** The session, or undefined with a note saying why there is none. */
async function openOrExplain(
  context: Context,
  session: SessionAccess,
  notes: string[],
): Promise<Dial3cxClient | undefined> {
  const loginNote =
    "Not logged in: vCard contacts only (run `dial3cx login` for the PBX phone book).";
  if (!context.settings.pbx || !context.settings.extension) {
    notes.push(loginNote);
    return undefined;
  }
  try {
    return await session.open();
  } catch (error) {
    if (error instanceof NotLoggedInError) notes.push(loginNote);
    else if (error instanceof Dial3cxError) {
      notes.push(`PBX phone book unavailable: ${error.message}`);
    } else throw error;
    return undefined;
  }
}

/** Puts the session away (saved for the next warm start), if there is one. */
export async function closeCliContacts(loaded: CliContacts): Promise<void> {
  if (loaded.client) await loaded.session.done(loaded.client);
}

export function writeNotes(notes: readonly string[], stderr: NodeJS.WritableStream): void {
  for (const note of notes) stderr.write(`dial3cx: ${note}\n`);
}
