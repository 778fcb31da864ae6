// `dial3cx pick [--with fzf|rofi|dmenu]`: every contact's numbers (vCards and the PBX phone book)
// in a picker, then calls the chosen number like `dial3cx call` does. Default picker: rofi when a
// display is set and rofi is installed, else fzf, else a built-in prompt that searches as you
// type (in a terminal only).
//
// Decisions: choosing nothing (Escape, Ctrl-C, an empty line) exits 1 and dials nothing. Text
// typed into rofi or dmenu that is not one of the lines is dialled as a number, so the picker
// doubles as a dial box; a name typed there is refused like any bad number.
import { BadInputError } from "../../errors.js";
import { parseDialString } from "../../features/calls/dialstring.js";
import { dialStringOptions, placeCall } from "../../features/calls/place-call.js";
import { nameForNumber } from "../../features/contacts/contact-names.js";
import {
  type Contact,
  type ContactMatch,
  formatDmenuLines,
  searchContacts,
} from "../../features/contacts/index.js";
import { choosePicker, runPicker } from "../../features/contacts/picker.js";
import { closeCliContacts, loadCliContacts, writeNotes } from "../contact-source.js";
import { type ConnectionFlags, type Io, loadContext } from "../context.js";
import { printPlaced } from "./call.js";

export interface PickFlags extends ConnectionFlags {
  with?: string;
  /** false with --no-gateway. */
  gateway?: boolean;
}

/** What was picked: a contact's number, or text typed into the picker. */
type Picked = { match: ContactMatch } | { typed: string };

export async function runPick(flags: PickFlags, io: Io): Promise<number> {
  const picker = await choosePicker(flags.with, io.env);
  if (picker === "builtin" && !(io.stdin.isTTY && io.stdout.isTTY)) {
    throw new BadInputError(
      "No picker to run: install fzf or rofi, or run `dial3cx pick` in a terminal.",
      "usage",
    );
  }
  const context = await loadContext(flags, io);
  const loaded = await loadCliContacts(context, flags, { query: "" });
  try {
    writeNotes(loaded.notes, io.stderr);
    const matches = searchContacts(loaded.contacts, "");
    if (matches.length === 0) {
      io.stderr.write(
        "dial3cx: No contacts to pick from: add vCard directories (contacts in config.toml) or log in for the PBX phone book.\n",
      );
      return 1;
    }
    const picked =
      picker === "builtin"
        ? await pickBuiltin(loaded.contacts, io)
        : await pickExternal(picker, matches, io.env);
    if (!picked) {
      io.stderr.write("Nothing picked: no call.\n");
      return 1;
    }
    const text = "match" in picked ? picked.match.number.value : picked.typed;
    const to = parseDialString(text, dialStringOptions(context.settings));
    const name = "match" in picked ? picked.match.contact.name : nameForNumber(loaded.contacts, to);
    const placed = await placeCall({
      to,
      target: text,
      device: flags.device ?? context.settings.device,
      settings: context.settings,
      paths: context.paths,
      gateway: flags.gateway !== false,
      client: loaded.client,
      session: loaded.session,
    });
    printPlaced(placed, name, flags, io, to);
    return 0;
  } finally {
    await closeCliContacts(loaded);
  }
}

async function pickExternal(
  picker: Parameters<typeof runPicker>[0],
  matches: ContactMatch[],
  env: NodeJS.ProcessEnv,
): Promise<Picked | undefined> {
  const lines = formatDmenuLines(matches);
  const line = await runPicker(picker, lines, env);
  if (line === undefined) return undefined;
  const index = lines.indexOf(line);
  if (index >= 0) return { match: matches[index]! };
  // Typed rather than chosen; a pasted candidate line keeps only its number.
  const typed = line.includes("\t") ? (line.split("\t")[2] ?? "") : line;
  return typed.trim() === "" ? undefined : { typed: typed.trim() };
}

/** The built-in prompt: search as you type over every contact's numbers. */
export async function pickBuiltin(
  contacts: readonly Contact[],
  io: Pick<Io, "stdin" | "stdout">,
): Promise<Picked | undefined> {
  const { search } = await import("@inquirer/prompts");
  try {
    const match = await search<ContactMatch>(
      {
        message: "Call",
        pageSize: 12,
        source: (term) =>
          searchContacts(contacts, term ?? "", { limit: 50 }).map((m) => ({
            value: m,
            name: `${m.contact.name}  ${m.number.type}  ${m.number.value}`,
          })),
      },
      { input: io.stdin, output: io.stdout, clearPromptOnDone: true },
    );
    return { match };
  } catch (error) {
    // Ctrl-C or Escape.
    if (error instanceof Error && /ExitPromptError|AbortPromptError/.test(error.name)) {
      return undefined;
    }
    throw error;
  }
}
