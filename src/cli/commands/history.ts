// `dial3cx history [--missed] [--limit N] [--json]`: recent calls with direction, number, name,
// time and talk time, from the PBX's call history or, when the PBX will not give it, from the
// journal of calls dial3cx saw. `dial3cx callback [N]`: calls back the last missed call, or the
// Nth that `history --missed` lists.
//
// Decisions:
// - Names: the vCards first, then the name the PBX gives (as the incoming-call notification does).
// - A caller id that is not a number (`anonymous`, empty, a SIP URI) is shown as it is and never
//   called back: `callback` says so and exits 1, nothing is dialled.
// - `callback` follows the rules of a clicked link: asks first with --confirm or `confirm = true`
//   (on the terminal when there is one, else a desktop dialog), and a second call back of the
//   same number within dedupe_seconds is not dialled again.
import { BadInputError } from "../../errors.js";
import { callbackTarget } from "../../features/calls/callback.js";
import { describeCallee } from "../../features/calls/callee.js";
import type { CallHistoryEntry, Dial3cxClient } from "../../features/calls/client.js";
import { claimDial, recentDialsDir } from "../../features/calls/dial-dedupe.js";
import { MAX_HISTORY_LIMIT } from "../../features/calls/history.js";
import { accountSession, dialStringOptions, placeCall } from "../../features/calls/place-call.js";
import {
  accountOptions,
  type ConnectionFlags,
  type Io,
  loadContext,
  writeJson,
} from "../context.js";
import { formatDuration } from "../format.js";
import { printPlaced } from "./call.js";

export interface HistoryFlags extends ConnectionFlags {
  missed?: boolean;
  limit?: string;
}

export interface CallbackFlags extends ConnectionFlags {
  confirm?: boolean;
}

/** A history entry as shown: with the resolved name and whether it may be called back. */
export interface ShownEntry extends CallHistoryEntry {
  callback: boolean;
}

export async function runHistory(flags: HistoryFlags, io: Io): Promise<number> {
  const limit = positiveInteger(flags.limit, "--limit", 20);
  const context = await loadContext(flags, io);
  const session = accountSession(accountOptions(context, flags, { events: false }));
  const client = await session.open();
  try {
    const entries = await readHistory(client, context.settings.contacts, io, {
      limit,
      missed: flags.missed === true,
    });
    if (flags.json) {
      writeJson(io, entries);
    } else if (entries.length === 0) {
      io.stdout.write(flags.missed ? "No missed calls.\n" : "No calls in the history.\n");
    } else {
      io.stdout.write(`${formatHistory(entries, flags.missed === true).join("\n")}\n`);
    }
    return 0;
  } finally {
    await session.done(client);
  }
}

export async function runCallback(
  index: string | undefined,
  flags: CallbackFlags,
  io: Io,
): Promise<number> {
  const n = positiveInteger(index, "N", 1);
  const context = await loadContext(flags, io);
  const session = accountSession(accountOptions(context, flags, { events: false }));
  const client = await session.open();
  try {
    const missed = await readHistory(client, context.settings.contacts, io, {
      limit: n,
      missed: true,
    });
    const entry = missed[n - 1];
    if (!entry) {
      io.stderr.write(
        `dial3cx: ${n === 1 ? "No missed call" : `No missed call #${n} (there are ${missed.length})`}: nothing to call back.\n`,
      );
      return 1;
    }
    const to = callbackTarget(entry.number, dialStringOptions(context.settings));
    if (!to) {
      io.stderr.write(
        `dial3cx: Missed call #${n} is from ${JSON.stringify(entry.number)}, which is not a number to call back: nothing dialled.\n`,
      );
      return 1;
    }
    const callee = describeCallee(to.display, entry.name);
    const claim = await claimDial({
      dir: recentDialsDir(context.paths.stateDir),
      identity: { pbx: context.settings.pbx, extension: context.settings.extension, dial: to.dial },
      windowMs: context.settings.dedupeSeconds * 1000,
    });
    if (claim.duplicate) {
      io.stdout.write(`Already calling ${callee}: called back moments ago.\n`);
      return 0;
    }
    try {
      if (flags.confirm || context.settings.confirm) {
        if (!(await confirmed(`Call back ${callee}?`, io))) {
          await claim.release();
          io.stderr.write(`Not calling ${callee}: cancelled.\n`);
          return 1;
        }
      }
      const placed = await placeCall({
        to,
        target: entry.number,
        device: flags.device ?? context.settings.device,
        settings: context.settings,
        paths: context.paths,
        gateway: false,
        client,
        session,
      });
      printPlaced(placed, entry.name, flags, io);
      return 0;
    } catch (error) {
      await claim.release();
      throw error;
    }
  } finally {
    await session.done(client);
  }
}

/** The history with names from the vCards first, then the PBX's; says when the journal is used. */
async function readHistory(
  client: Dial3cxClient,
  vcardDirs: readonly string[],
  io: Io,
  query: { limit: number; missed: boolean },
): Promise<ShownEntry[]> {
  const entries = await client.callHistory({
    ...query,
    onFallback: (reason) =>
      io.stderr.write(
        `dial3cx: The PBX did not give its call history (${reason.message}); showing the calls dial3cx saw on this machine.\n`,
      ),
  });
  const lookup = await vCardLookup(vcardDirs);
  return entries.map((entry) => {
    const callback = callbackTarget(entry.number) !== undefined;
    const local = callback ? lookup(entry.number) : undefined;
    return { ...entry, ...(local ? { name: local } : {}), callback };
  });
}

async function vCardLookup(
  dirs: readonly string[],
): Promise<(number: string) => string | undefined> {
  if (dirs.length === 0) return () => undefined;
  const { loadVCardDirs } = await import("../../features/contacts/index.js");
  const { nameForNumber } = await import("../../features/contacts/contact-names.js");
  const { contacts } = await loadVCardDirs(dirs);
  return (number) => nameForNumber(contacts, number);
}

/** One line per call: index (for `callback N` when --missed), time, direction, who, talk time. */
export function formatHistory(entries: readonly ShownEntry[], missedList: boolean): string[] {
  return entries.map((entry, i) => {
    const index = missedList ? `${String(i + 1).padStart(3)}  ` : "";
    const time = entry.time ? localTime(new Date(entry.time)) : "time unknown    ";
    const direction = entry.missed
      ? "missed  "
      : entry.direction === "incoming"
        ? "incoming"
        : entry.direction === "outgoing"
          ? "outgoing"
          : "call    ";
    // The caller id exactly as the PBX sent it; an empty one is said, not left blank.
    const number = entry.number === "" ? "(no caller id)" : entry.number;
    const who = entry.name ? `${entry.name} (${number})` : number;
    const duration =
      entry.durationSeconds === undefined
        ? ""
        : `  ${formatDuration(entry.durationSeconds * 1000)}`;
    return `${index}${time}  ${direction}  ${who}${duration}`;
  });
}

function localTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function positiveInteger(text: string | undefined, what: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = /^[0-9]{1,4}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isInteger(value) || value < 1 || value > MAX_HISTORY_LIMIT) {
    throw new BadInputError(
      `${what} must be a whole number from 1 to ${MAX_HISTORY_LIMIT}, not "${text}".`,
      "usage",
    );
  }
  return value;
}

/** Asks on the terminal when there is one, else with a desktop dialog, as a clicked link does. */
async function confirmed(question: string, io: Io): Promise<boolean> {
  if (io.stdin.isTTY && io.stdout.isTTY) {
    const { confirm } = await import("@inquirer/prompts");
    try {
      return await confirm(
        { message: question, default: false },
        { input: io.stdin, output: io.stdout },
      );
    } catch {
      return false; // Ctrl-C
    }
  }
  const { confirmCall } = await import("../../features/desktop/confirm-dialog.js");
  return (await confirmCall(question, { env: io.env })).answer === "call";
}
