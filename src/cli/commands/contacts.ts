// `dial3cx contacts search <text> [--json | --dmenu]`: the configured vCard directories and the
// PBX phone book, ranked by searchContacts (exact number and name first, then fuzzy with
// diacritics folded), one entry per number with its type. `--dmenu` prints the
// `Name<TAB>type<TAB>number` lines rofi, dmenu and fzf scripts read. Exits 1 when nothing matches,
// like grep, so scripts can tell.
import { BadInputError } from "../../errors.js";
import {
  type ContactMatch,
  formatDmenuLines,
  searchContacts,
} from "../../features/contacts/index.js";
import { displayText } from "../../features/display-text.js";
import { closeCliContacts, loadCliContacts, writeNotes } from "../contact-source.js";
import { type ConnectionFlags, type Io, loadContext, writeJson } from "../context.js";

export interface ContactsSearchFlags extends ConnectionFlags {
  dmenu?: boolean;
  limit?: string;
}

export async function runContactsSearch(
  text: string,
  flags: ContactsSearchFlags,
  io: Io,
): Promise<number> {
  if (flags.json && flags.dmenu) {
    throw new BadInputError("Pick one output: --json or --dmenu, not both.", "usage");
  }
  const limit = parseLimit(flags.limit);
  const context = await loadContext(flags, io);
  const loaded = await loadCliContacts(context, flags, { query: text });
  try {
    writeNotes(loaded.notes, io.stderr);
    const matches = searchContacts(loaded.contacts, text, limit === undefined ? {} : { limit });
    if (flags.json) writeJson(io, matches.map(matchJson));
    else if (flags.dmenu) {
      for (const line of formatDmenuLines(matches)) io.stdout.write(`${line}\n`);
    } else if (matches.length > 0) io.stdout.write(`${formatTable(matches).join("\n")}\n`);
    else io.stderr.write(`No contact matches ${JSON.stringify(text)}.\n`);
    return matches.length > 0 ? 0 : 1;
  } finally {
    await closeCliContacts(loaded);
  }
}

function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new BadInputError("--limit must be a whole number, 1 or more.", "usage");
  }
  return Number(value);
}

export function matchJson(match: ContactMatch) {
  const { contact, number } = match;
  const fromFile = contact.source.startsWith("vcard:");
  return {
    name: contact.name,
    organization: contact.organization ?? null,
    number: number.value,
    numberType: number.type,
    source: fromFile ? "vcard" : "pbx",
    file: fromFile ? contact.source.slice("vcard:".length) : null,
    match: match.match,
  };
}

/** Aligned columns: name (with the organization), type, number. */
export function formatTable(matches: readonly ContactMatch[]): string[] {
  const labels = matches.map(({ contact }) => {
    const name = displayText(contact.name);
    const organization = contact.organization ? displayText(contact.organization) : "";
    return organization && organization !== name ? `${name} (${organization})` : name;
  });
  const width = Math.min(48, Math.max(...labels.map((label) => label.length)));
  return matches.map(
    (match, i) =>
      `${labels[i]!.padEnd(width)}  ${match.number.type.padEnd(9)}  ${match.number.value}`,
  );
}
