// What each `dial3cx mcp` tool does, apart from the MCP wiring (server.ts): each takes the tool's
// arguments and answers with a line of text for the assistant and structured data, or throws a
// Dial3cxError with the CLI's message and code. Built on the features the CLI uses: dial strings,
// placeCall (a running gateway first, else the server's own session), the contact search and the
// name lookup of `dial3cx call "<name>"`.
//
// Decisions (the issue leaves these open):
// - `call` checks in this order, and stops at the first that fails, before anything is sent: the
//   input (a number, a URI, or a name matching exactly one number); no feature code (`*…`, `#…`,
//   also when a contact's number is one); the `mcp_calls` setting; the user's answer. The device
//   named in the question is chosen on the server's own session with the same selector the
//   gateway gets.
// - The question names whose number it is when the vCards or the PBX phone book say so (one
//   contact), since assistants mostly pass numbers; that costs a phone-book request per call.
// - The user declining is an answer, not an error: the result says nothing was dialled. A refusal
//   by the setting, or "ask" on a host that cannot ask, is a tool error that says how to allow it.
// - Names with control characters are refused like numbers with them, not looked up.
import { BadInputError, Dial3cxError } from "../errors.js";
import { isCallbackable } from "../features/calls/callback.js";
import { describeCallee, isNameQuery } from "../features/calls/callee.js";
import type { CallInfo, Dial3cxClient } from "../features/calls/client.js";
import { deviceView } from "../features/calls/devices.js";
import { type DialString, parseDialString } from "../features/calls/dialstring.js";
import type { CallHistoryEntry } from "../features/calls/history.js";
import { dialStringOptions, type PlacedCall, placeCall } from "../features/calls/place-call.js";
import {
  foldingPhoneBook,
  nameForNumber,
  numbersForName,
} from "../features/contacts/contact-names.js";
import { type ContactMatch, loadAllContacts, searchContacts } from "../features/contacts/index.js";
import { displayText } from "../features/display-text.js";
import type { Settings } from "../features/settings/config.js";
import type { AppPaths } from "../features/settings/paths.js";
import type { McpSession } from "./session.js";

/** What a tool answers: one text for the assistant (and the user), and the same as data. */
export interface ToolAnswer {
  text: string;
  data: Record<string, unknown>;
}

/** The user's answer to "Call …?". */
export type Confirmation = "accept" | "decline" | "cancel";

export interface ToolContext {
  settings: Settings;
  paths: Pick<AppPaths, "runtimeDir" | "configDir" | "configFile" | "stateDir">;
  session: McpSession;
  /** Hand calls to a running `dial3cx serve` (default true). */
  gateway: boolean;
  /** Whether the host can ask the user (MCP elicitation). */
  canConfirm(): boolean;
  confirm(message: string): Promise<Confirmation>;
  log(line: string): void;
  /** Aborted when the host cancels the tool call: nothing may be dialled after that. */
  signal?: AbortSignal;
}

/** A tool error with data for the assistant (e.g. the numbers a name matched). */
export class DetailedError extends Dial3cxError {
  constructor(
    error: Dial3cxError,
    readonly details: Record<string, unknown>,
  ) {
    super(error.code, error.message, { cause: error.cause });
  }
}

const MAX_TEXT = 256;
const DEFAULT_SEARCH_LIMIT = 20;

// ---- search_contacts ------------------------------------------------------------------------

export async function searchContactsTool(
  context: ToolContext,
  args: { query: string; limit?: number },
): Promise<ToolAnswer> {
  assertPrintable(args.query, "search for");
  const { contacts, notes } = await loadContacts(context, args.query);
  const matches = searchContacts(contacts, args.query, {
    limit: args.limit ?? DEFAULT_SEARCH_LIMIT,
  });
  const lines = matches.map(matchLine);
  const text =
    matches.length === 0
      ? `No contact matches ${JSON.stringify(args.query)}.`
      : `${matches.length} number${matches.length === 1 ? "" : "s"}:\n${lines.join("\n")}`;
  return {
    text: [text, ...notes].join("\n"),
    data: { matches: matches.map(matchData), notes },
  };
}

function matchLine({ contact, number }: ContactMatch): string {
  const organization =
    contact.organization && contact.organization !== contact.name
      ? ` (${contact.organization})`
      : "";
  return `${contact.name}${organization}, ${number.type}: ${number.value}`;
}

function matchData({ contact, number, match }: ContactMatch) {
  return {
    name: contact.name,
    organization: contact.organization ?? null,
    number: number.value,
    numberType: number.type,
    source: contact.source.startsWith("vcard:") ? "vcard" : "pbx",
    match,
  };
}

/** The vCards and, when the session opens, the PBX phone book; notes say what is missing. */
async function loadContacts(context: ToolContext, query: string) {
  const notes: string[] = [];
  let client: Dial3cxClient | undefined;
  if (!context.settings.pbx || !context.settings.extension) {
    notes.push("Not logged in: vCard contacts only (run `dial3cx login` for the PBX phone book).");
  } else {
    try {
      client = await context.session.client();
    } catch (error) {
      if (!(error instanceof Dial3cxError)) throw error;
      notes.push(`PBX phone book unavailable: ${error.message}`);
    }
  }
  const all = await loadAllContacts({
    vcardDirs: context.settings.contacts,
    pbx: client ? foldingPhoneBook(client) : undefined,
    query,
  });
  return { contacts: all.contacts, notes: [...notes, ...all.warnings] };
}

// ---- list_devices, get_status, list_calls ---------------------------------------------------

export async function listDevicesTool(context: ToolContext): Promise<ToolAnswer> {
  const client = await context.session.client();
  const devices = client.devices();
  const text =
    devices.length === 0
      ? "No device is registered on this extension."
      : devices.map((d, i) => `${i + 1}. ${d.name} (${d.contact})`).join("\n");
  return { text, data: { devices: devices.map(deviceView) } };
}

export async function getStatusTool(context: ToolContext): Promise<ToolAnswer> {
  const client = await context.session.client();
  const info = client.extension();
  const name = [info.firstName, info.lastName].filter(Boolean).join(" ");
  const devices = client.devices();
  const calls = client.calls();
  const lines = [
    `Extension ${info.extension}${name ? ` (${name})` : ""} on ${context.settings.pbx}`,
    `Presence: ${info.presence ?? "unknown"}${info.dnd ? ", do not disturb" : ""}`,
    `Missed calls: ${info.missedCalls ?? 0}`,
    `Devices: ${devices.length === 0 ? "none registered" : devices.map((d) => d.name).join(", ")}`,
    `Calls: ${calls.length === 0 ? "none" : calls.map(callLine).join("; ")}`,
    `Placing calls: ${policyText(context.settings.mcpCalls)}`,
  ];
  return {
    text: lines.join("\n"),
    data: {
      pbx: context.settings.pbx ?? null,
      extension: info.extension,
      name: name || null,
      presence: info.presence ?? null,
      dnd: info.dnd ?? false,
      missedCalls: info.missedCalls ?? 0,
      devices: devices.map(deviceView),
      calls,
      connection: context.session.connection,
      mcpCalls: context.settings.mcpCalls,
    },
  };
}

function policyText(policy: Settings["mcpCalls"]): string {
  if (policy === "allow") return "allowed without asking (mcp_calls = allow)";
  if (policy === "deny") return "turned off (mcp_calls = deny)";
  return "the user confirms each call (mcp_calls = ask)";
}

export async function listCallsTool(context: ToolContext): Promise<ToolAnswer> {
  const client = await context.session.client();
  const calls = client.calls();
  const text = calls.length === 0 ? "No active call." : calls.map(callLine).join("\n");
  return { text, data: { calls } };
}

function callLine(call: CallInfo): string {
  const who = call.name ? `${call.name} (${call.number})` : call.number;
  return `#${call.id} ${call.state} ${call.incoming ? "from" : "to"} ${who}`;
}

// ---- call_history -----------------------------------------------------------------------------

export async function callHistoryTool(
  context: ToolContext,
  args: { missed_only?: boolean; limit?: number },
): Promise<ToolAnswer> {
  const client = await context.session.client();
  const entries = await client.callHistory({
    missed: args.missed_only === true,
    limit: args.limit,
  });
  // Only a number can be called back: never `anonymous`, an empty caller id or a SIP URI.
  const calls = entries.map((entry) => ({
    ...entry,
    name: entry.name === undefined ? undefined : displayText(entry.name),
    callback: isCallbackable(entry.number),
  }));
  const text =
    calls.length === 0
      ? args.missed_only
        ? "No missed calls."
        : "No calls in the history."
      : calls.map(historyLine).join("\n");
  return { text, data: { calls } };
}

function historyLine(entry: CallHistoryEntry & { callback: boolean }): string {
  const kind = entry.missed ? "missed" : entry.direction;
  const who = entry.name
    ? `${entry.name} (${entry.number || "no caller id"})`
    : entry.number || "no caller id";
  return [entry.time ?? "", kind, who].filter(Boolean).join(" ");
}

// ---- call -----------------------------------------------------------------------------------

interface Target {
  to: DialString;
  /** What the gateway is sent: the text as given, or the contact's number. */
  text: string;
  name?: string;
}

export async function callTool(
  context: ToolContext,
  args: { to: string; device?: string },
): Promise<ToolAnswer> {
  const target = await resolveTarget(context, args.to);
  if (target.to.kind === "feature") {
    throw new BadInputError(
      `Cannot dial ${JSON.stringify(target.to.dial)}: feature codes (*… and #…) change the phone system's settings and are never dialled for an AI assistant; dial it yourself with \`dial3cx call\`.`,
    );
  }
  const policy = context.settings.mcpCalls;
  if (policy === "deny") {
    throw new Dial3cxError(
      "rejected",
      `Calls from AI assistants are turned off (mcp_calls = "deny" in ${context.paths.configFile}). Nothing was dialled; to allow them, set mcp_calls = "ask".`,
    );
  }
  if (policy === "ask" && !context.canConfirm()) {
    throw new Dial3cxError(
      "rejected",
      `This AI assistant's app cannot ask you to confirm a call, and mcp_calls is "ask": nothing was dialled. To let assistants call without asking, set mcp_calls = "allow" in ${context.paths.configFile}.`,
    );
  }
  const client = await context.session.client();
  const name = target.name ?? (await knownName(context, target.to));
  const selector = args.device ?? context.settings.device;
  const device = client.chooseDevice(selector);
  if (policy === "ask") {
    const callee = name ? `${name}, ${target.to.display}` : target.to.display;
    const dialling = sameSymbols(target.to.display, target.to.dial)
      ? ""
      : ` (dialling ${target.to.dial})`;
    const answer = await context.confirm(`Call ${callee}${dialling}, on ${device.name}?`);
    if (answer !== "accept") {
      const why = answer === "decline" ? "declined" : "dismissed the question";
      return {
        text: `Not called: the user ${why}. Nothing was dialled.`,
        data: {
          placed: false,
          answer,
          number: target.to.dial,
          display: target.to.display,
          name: name ?? null,
        },
      };
    }
  }
  if (context.signal?.aborted) {
    throw new Dial3cxError("rejected", "The call request was cancelled: nothing was dialled.");
  }
  const placed = await placeCall({
    to: target.to,
    target: target.text,
    device: selector,
    settings: context.settings,
    paths: context.paths,
    gateway: context.gateway,
    // The server's session stays open for the next tool: placeCall must not close it.
    session: { open: () => context.session.client(), done: async () => {} },
    onGatewaySkipped: (reason) => context.log(`gateway not used: ${reason}`),
  });
  return placedAnswer(placed, name);
}

function placedAnswer(placed: PlacedCall, name: string | undefined): ToolAnswer {
  const callee = describeCallee(placed.display, name);
  const where = `${placed.deviceName} (ext ${placed.extension})`;
  const text = placed.duplicate
    ? `Already calling ${callee} on ${where}: it was called moments ago (dialled ${placed.dial}).`
    : `Calling ${callee} on ${where}: dialled ${placed.dial}${placed.id ? `, call #${placed.id}` : ""}. The phone rings first; the call connects when it is picked up.`;
  return {
    text,
    data: {
      placed: true,
      dialled: placed.dial,
      toE164: placed.e164,
      display: placed.display,
      name: name ?? null,
      device: placed.deviceName,
      extension: placed.extension,
      callId: placed.id,
      via: placed.via,
      duplicate: placed.duplicate,
    },
  };
}

/** "+49 30 123456" and "004930123456" differ; "101" and "101" do not. */
function sameSymbols(display: string, dial: string): boolean {
  return display.replace(/[^0-9*#+]/g, "") === dial;
}

async function resolveTarget(context: ToolContext, input: string): Promise<Target> {
  const options = dialStringOptions(context.settings);
  if (!isNameQuery(input)) {
    return { to: parseDialString(input, options), text: input };
  }
  assertPrintable(input, "call");
  const numberError = tryParse(input, options);
  const { contacts } = await loadContacts(context, input);
  const matches = numbersForName(contacts, input);
  if (matches.length === 0) {
    if (!context.settings.pbx && context.settings.contacts.length === 0) throw numberError;
    throw new BadInputError(
      `No contact matches ${JSON.stringify(input)}, and it is not a number: search with search_contacts, or give the number.`,
    );
  }
  if (matches.length > 1) {
    const entries = matches.map(({ contact, number }) => ({
      name: contact.name,
      numberType: number.type,
      number: number.value,
    }));
    const list = entries.map((e) => `${e.name}, ${e.numberType}: ${e.number}`).join("; ");
    throw new DetailedError(
      new BadInputError(
        `${JSON.stringify(input)} matches ${matches.length} numbers (${list}): call one of them by number.`,
      ),
      { matches: entries },
    );
  }
  const [only] = matches as [(typeof matches)[number]];
  return {
    to: parseDialString(only.number.value, options),
    text: only.number.value,
    name: only.contact.name,
  };
}

/** The dial-string error for a name, kept for when no contact source exists. */
function tryParse(input: string, options: ReturnType<typeof dialStringOptions>): BadInputError {
  try {
    parseDialString(input, options);
    return new BadInputError(`Cannot dial ${JSON.stringify(input)}.`);
  } catch (error) {
    if (error instanceof BadInputError) return error;
    throw error;
  }
}

/**
 * Whose number it is, from the vCards and the PBX phone book, so that the user sees a name in
 * the question (the assistant mostly passes numbers); undefined when unknown or ambiguous.
 */
async function knownName(context: ToolContext, to: DialString): Promise<string | undefined> {
  const { contacts } = await loadContacts(context, "");
  return nameForNumber(contacts, to);
}

/** Names and queries: not too long, and no control characters (they could disguise the text). */
function assertPrintable(text: string, what: string): void {
  if (text.length > MAX_TEXT) {
    throw new BadInputError(
      `Cannot ${what} a text of ${text.length} characters: pass at most ${MAX_TEXT}.`,
    );
  }
  const control = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u.exec(text);
  if (control) {
    const code = (control[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
    throw new BadInputError(
      `Cannot ${what} that text: it contains the control character U+${code}; remove it.`,
    );
  }
}

// ---- hang_up --------------------------------------------------------------------------------

export async function hangUpTool(
  context: ToolContext,
  args: { call_id?: string },
): Promise<ToolAnswer> {
  const client = await context.session.client();
  const calls = client.calls();
  let id: string | undefined;
  if (args.call_id !== undefined) {
    const wanted = args.call_id.replace(/^#/, "");
    if (!calls.some((c) => c.id === wanted)) {
      const active = calls.length === 0 ? "none" : calls.map((c) => `#${c.id}`).join(", ");
      throw new BadInputError(`No active call #${wanted}; active: ${active}.`, "usage");
    }
    id = wanted;
  } else if (calls.length === 1) {
    id = calls[0]!.id;
  } else if (calls.length > 1) {
    throw new DetailedError(
      new BadInputError(
        `${calls.length} calls are active (${calls.map(callLine).join("; ")}): pass call_id.`,
        "usage",
      ),
      { calls },
    );
  }
  if (id === undefined) return { text: "No active call.", data: { hungUp: [] } };
  await client.hangup(id);
  return { text: `Hung up call #${id}.`, data: { hungUp: [id] } };
}
