// `dial3cx call <number|uri|name>`: validates the number before anything is sent, rings the chosen
// device, and with --wait follows the call to its end (Ctrl-C offers to hang up). A plain call
// goes through a running gateway's unix socket when there is one (--no-gateway: never), else
// through the warm-path session. A name ("Ada Lovelace") is looked up in the vCards and the PBX
// phone book: one number calls it, several are listed and nothing is dialled (exit 2).
//
// Decisions: --wait and --dry-run always use a session of their own (following a call needs its
// events, a dry run its device list); a name is called on the session that looked it up in the
// phone book (the gateway only when there is no login for a session).
import { BadInputError } from "../../errors.js";
import { callDevicesFile, recordCallDevice } from "../../features/calls/call-devices.js";
import { describeCallee, isNameQuery } from "../../features/calls/callee.js";
import type { Call, CallInfo, Dial3cxClient } from "../../features/calls/client.js";
import { type DialString, keyInHint, parseDialString } from "../../features/calls/dialstring.js";
import {
  accountSession,
  dialStringOptions,
  pbxHost,
  placeCall,
  type SessionAccess,
} from "../../features/calls/place-call.js";
import type { NamedNumber } from "../../features/contacts/contact-names.js";
import {
  accountOptions,
  type ConnectionFlags,
  type Context,
  type Io,
  loadContext,
  writeJson,
} from "../context.js";
import { formatDuration, stateText } from "../format.js";
import { printPlaced } from "../print-placed.js";
import { startProgress } from "../progress.js";

export { printPlaced } from "../print-placed.js";

export interface CallFlags extends ConnectionFlags {
  wait?: boolean;
  dryRun?: boolean;
  /** false with --no-gateway. */
  gateway?: boolean;
}

/** What to call, once the argument was read as a number or looked up as a name. */
interface Target {
  to: DialString;
  /** The text the gateway is sent: the argument, or the contact's number. */
  text: string;
  name?: string;
  /** The session the name lookup opened: the call uses it too. */
  client?: Dial3cxClient;
}

export async function runCall(target: string, flags: CallFlags, io: Io): Promise<number> {
  const context = await loadContext(flags, io);
  // --json promises the call's id (a script hangs up with it): learning it takes the events, as
  // --wait does, even on a warm session.
  const events = Boolean(flags.wait || flags.json);
  const session = accountSession(accountOptions(context, flags, { events }));
  const resolved = await resolveTarget(target, context, flags, io);
  if (typeof resolved === "number") return resolved;
  if (flags.wait || flags.dryRun) return callWithSession(resolved, context, flags, io, session);
  const progress = startProgress(io, { json: flags.json });
  try {
    const placed = await placeCall({
      onStep: progress.step,
      to: resolved.to,
      target: resolved.text,
      device: flags.device ?? context.settings.device,
      settings: context.settings,
      paths: context.paths,
      gateway: flags.gateway !== false,
      client: resolved.client,
      session,
    });
    progress.stop();
    printPlaced(placed, resolved.name, flags, io, resolved.to);
    return 0;
  } finally {
    progress.stop();
    if (resolved.client) await session.done(resolved.client);
  }
}

/** The number to call, or the exit code when a name matched several numbers. */
async function resolveTarget(
  target: string,
  context: Context,
  flags: CallFlags,
  io: Io,
): Promise<Target | number> {
  const options = dialStringOptions(context.settings);
  let numberError: BadInputError;
  try {
    const to = parseDialString(target, options);
    return { to, text: target, name: await vCardName(context, to) };
  } catch (error) {
    if (!(error instanceof BadInputError) || !isNameQuery(target)) throw error;
    numberError = error;
  }
  const { pbx, extension, contacts } = context.settings;
  if (contacts.length === 0 && !(pbx && extension)) throw numberError;
  // The contact code loads only for a name: plain numbers are the common case.
  const { closeCliContacts, loadCliContacts, writeNotes } = await import("../contact-source.js");
  const { numbersForName } = await import("../../features/contacts/contact-names.js");
  const loaded = await loadCliContacts(context, flags, {
    query: target,
    events: Boolean(flags.wait || flags.json),
  });
  let keepSession = false;
  try {
    const matches = numbersForName(loaded.contacts, target);
    if (matches.length === 0) {
      writeNotes(loaded.notes, io.stderr);
      throw noContactMatches(target);
    }
    if (matches.length > 1) return reportSeveral(target, matches, flags, io);
    const [only] = matches as [NamedNumber];
    const to = parseDialString(only.number.value, options);
    keepSession = loaded.client !== undefined;
    return { to, text: only.number.value, name: only.contact.name, client: loaded.client };
  } finally {
    if (!keepSession) await closeCliContacts(loaded);
  }
}

/** A name that matched nothing: the lookup ran, so the dial-string error would mislead. */
function noContactMatches(target: string): BadInputError {
  const search = /^[\w.@+-]+$/u.test(target) ? target : JSON.stringify(target);
  return new BadInputError(
    `No contact matches ${JSON.stringify(target)}, and it is not a number: check the name (dial3cx contacts search ${search}) or type the digits.`,
  );
}

function reportSeveral(target: string, matches: NamedNumber[], flags: CallFlags, io: Io): number {
  const types = new Set(matches.map(({ number }) => number.type));
  const byType =
    types.size === matches.length
      ? `, or add its type (dial3cx call "${target} ${matches[0]!.number.type}")`
      : "";
  const message = `"${target}" matches ${matches.length} numbers: call one of them by number${byType}.`;
  const entries = matches.map(({ contact, number }) => ({
    name: contact.name,
    numberType: number.type,
    number: number.value,
  }));
  if (flags.json) {
    writeJson(io, { error: { code: "bad_number", message }, matches: entries });
  } else {
    const lines = entries.map((e) => `  ${e.name}  ${e.numberType.padEnd(9)}  ${e.number}`);
    io.stderr.write(`dial3cx: ${message}\n${lines.join("\n")}\n`);
  }
  return 2;
}

/** The vCard name for the number; only when vCard directories are configured. */
async function vCardName(context: Context, to: DialString): Promise<string | undefined> {
  if (context.settings.contacts.length === 0) return undefined;
  const { vCardNameFor } = await import("../../features/contacts/contact-names.js");
  return vCardNameFor(context.settings.contacts, to);
}

async function callWithSession(
  target: Target,
  context: Context,
  flags: CallFlags,
  io: Io,
  session: SessionAccess,
): Promise<number> {
  const { to, name } = target;
  const progress = startProgress(io, { json: flags.json });
  progress.step(`connecting to ${pbxHost(context.settings.pbx)}`);
  let client: Dial3cxClient;
  try {
    client = target.client ?? (await session.open());
  } finally {
    progress.stop();
  }
  try {
    const device = client.chooseDevice(flags.device ?? context.settings.device);
    const extension = client.extension().extension;
    const summary = {
      to: to.dial,
      toE164: to.e164 ?? null,
      display: to.display,
      ...(name ? { name } : {}),
      device: device.name,
      contact: device.contact,
      extension,
      ...(to.extension ? { keyIn: to.extension } : {}),
    };
    const callee = describeCallee(to.display, name);
    const hint = keyInHint(to);
    const then = hint ? `: ${hint}` : "";
    if (flags.dryRun) {
      if (flags.json) writeJson(io, { ...summary, dryRun: true });
      else
        io.stdout.write(
          `Would call ${callee} (dialling ${to.dial}) on ${device.name} (ext ${extension})${then}. Nothing was dialled.\n`,
        );
      return 0;
    }
    if (!flags.json)
      io.stdout.write(`Calling ${callee} on ${device.name} (ext ${extension})${then}\n`);
    const call = await client.makeCall(to, { device: device.contact });
    await recordCallDevice(callDevicesFile(context.paths.stateDir), {
      account: context.settings,
      id: call.id ?? null,
      dial: to.dial,
      device: device.name,
    });
    return await follow(call, flags, io, summary);
  } finally {
    await session.done(client);
  }
}

async function follow(
  call: Call,
  flags: CallFlags,
  io: Io,
  summary: Record<string, unknown>,
): Promise<number> {
  let connectedAt: number | undefined;
  const show = (info: CallInfo) => {
    if (info.state === "connected" && connectedAt === undefined) connectedAt = Date.now();
    if (flags.json) writeJson(io, { ...summary, id: info.id, state: info.state });
    else if (info.state !== "ended") io.stdout.write(`  ${stateText(info.state)}\n`);
  };
  let leave = () => {};
  const leftRunning = new Promise<"left">((resolve) => {
    leave = () => resolve("left");
  });
  let asking = false;
  const stopSigint = onSigint(async () => {
    if (asking) return; // the open prompt gets this Ctrl-C itself
    asking = true;
    try {
      if ((await answerSigint(call, io, Boolean(flags.json))) === "left") leave();
    } finally {
      asking = false;
    }
  });
  // Only now may the first state line go out: a script that reads it and sends SIGINT must find
  // the handler in place (without one, the signal kills the process at once).
  // The PBX may have shown the call before the Ack came back.
  if (call.info) show(call.info);
  call.on("state", show);
  const ended = call.wait().then(() => "ended" as const);
  ended.catch(() => undefined); // once the call is left running, nobody awaits it
  let outcome: "ended" | "left";
  try {
    outcome = await Promise.race([ended, leftRunning]);
  } finally {
    stopSigint();
  }
  // Left running: the caller's `finally` still saves the session for the next warm start.
  if (outcome === "left" || flags.json) return 0;
  const talked =
    connectedAt === undefined
      ? "before it was answered"
      : `after ${formatDuration(Date.now() - connectedAt)}`;
  io.stdout.write(`  ended ${talked}\n`);
  return 0;
}

/** Asks yes/no on `output`; rejects when the prompt is aborted (a second Ctrl-C). */
export type AskHangup = (
  output: NodeJS.WritableStream,
  input: NodeJS.ReadableStream,
) => Promise<boolean>;

// Loaded only here: the prompt library is not worth its start-up cost on every call.
const askHangup: AskHangup = async (output, input) => {
  const { confirm } = await import("@inquirer/prompts");
  return confirm({ message: "Hang up the call?", default: true }, { output, input });
};

/**
 * What a Ctrl-C during `--wait` does: in a terminal it asks whether to hang up (an aborted
 * question, e.g. a second Ctrl-C, just keeps following the call); elsewhere it hangs up. Under
 * --json the question and the notes go to stderr, so stdout carries only JSON lines.
 */
export async function answerSigint(
  call: Pick<Call, "id" | "hangup">,
  io: Io,
  json: boolean,
  ask: AskHangup = askHangup,
): Promise<"hung-up" | "left" | "kept"> {
  const notes = json ? io.stderr : io.stdout;
  const interactive = Boolean(io.stdin.isTTY && notes.isTTY);
  let hangUp = true;
  if (interactive) {
    try {
      hangUp = await ask(notes, io.stdin);
    } catch {
      return "kept";
    }
  }
  if (hangUp) {
    notes.write("  hanging up…\n");
    await call.hangup();
    return "hung-up";
  }
  notes.write(`  left the call running: hang up with \`dial3cx hangup ${call.id ?? ""}\`\n`);
  return "left";
}

function onSigint(handler: () => Promise<void>): () => void {
  const listener = () => {
    handler().catch((error: Error) => {
      process.stderr.write(`dial3cx: ${error.message}\n`);
    });
  };
  process.on("SIGINT", listener);
  return () => process.off("SIGINT", listener);
}
