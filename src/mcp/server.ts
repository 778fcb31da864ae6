// `dial3cx mcp`: a Model Context Protocol server over stdio, so that AI assistants (Claude
// Desktop, VS Code, Cursor…) can look up contacts, place calls on the user's phone and follow
// them. Owns the MCP wiring: the tool list (schemas, descriptions, annotations), turning answers
// and errors into tool results, asking the user through elicitation, and the server's lifetime
// (it ends when the host closes stdin). What each tool does is in tools.ts. Loaded only by this
// command: the SDK costs ~0.3 s to import.
//
// Nothing but protocol messages goes to stdout; notes go to stderr, which hosts keep as a log.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { Dial3cxError } from "../errors.js";
import type { AccountOptions } from "../features/calls/account.js";
import { VERSION } from "../version.js";
import { McpSession } from "./session.js";
import {
  type Confirmation,
  callHistoryTool,
  callTool,
  DetailedError,
  getStatusTool,
  hangUpTool,
  listCallsTool,
  listDevicesTool,
  searchContactsTool,
  type ToolAnswer,
  type ToolContext,
} from "./tools.js";

export interface McpServerOptions {
  account: AccountOptions;
  configFile: string;
  /** Hand calls to a running `dial3cx serve` (default true). */
  gateway?: boolean;
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

/** How long the user may take to answer "Call …?". */
const CONFIRM_TIMEOUT_MS = 120_000;

const INSTRUCTIONS = `dial3cx places calls on the user's 3CX phone system. \`call\` rings one of the user's own phones (desk phone or 3CX app) first; when they pick it up, the PBX dials the other party. The user confirms each call unless their settings say otherwise. Use \`search_contacts\` to find a number, \`get_status\` or \`list_calls\` to follow calls, \`hang_up\` to end one.`;

/** Serves until the host closes stdin (or a signal), then saves and closes the session. */
export async function runMcpServer(options: McpServerOptions): Promise<void> {
  const stderr = options.stderr ?? process.stderr;
  const log = (line: string) => stderr.write(`dial3cx mcp: ${line}\n`);
  const session = new McpSession(options.account, log);
  const server = new McpServer(
    { name: "dial3cx", title: "dial3cx: click-to-call for 3CX", version: VERSION },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS },
  );
  // Aborted when the host goes: a question still open is dropped and nothing more is dialled.
  const shutdown = new AbortController();
  const context = (request: AbortSignal): ToolContext => {
    const signal = AbortSignal.any([request, shutdown.signal]);
    return {
      settings: options.account.settings,
      paths: { ...options.account.paths, configFile: options.configFile },
      session,
      gateway: options.gateway !== false,
      log,
      signal,
      canConfirm: () => canAsk(server),
      confirm: (message) => confirm(server, message, signal),
    };
  };
  const inflight = new Set<Promise<unknown>>();
  registerTools(server, context, log, inflight);

  const stdin = options.stdin ?? process.stdin;
  const transport = new StdioServerTransport(
    stdin as NodeJS.ReadStream & { fd: 0 },
    (options.stdout ?? process.stdout) as NodeJS.WriteStream & { fd: 1 },
  );
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = () => resolve();
  });
  // Tools still running finish first (a call being placed is not cut off), then the server closes.
  const stop = () => {
    if (shutdown.signal.aborted) return;
    shutdown.abort();
    Promise.allSettled([...inflight])
      .then(() => server.close())
      .catch(() => undefined);
  };
  // The host going away closes stdin: that is the end of the session.
  stdin.once("end", stop);
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  server.server.onerror = (error) => log(`protocol error: ${error.message}`);
  try {
    await server.connect(transport);
    log(`serving extension ${options.account.settings.extension ?? "(not logged in)"} over stdio`);
    await closed;
  } finally {
    stdin.off("end", stop);
    process.off("SIGTERM", stop);
    process.off("SIGINT", stop);
    await session.close();
  }
}

/** The host declared form elicitation (an empty capability is the older spelling of it). */
function canAsk(server: McpServer): boolean {
  const elicitation = server.server.getClientCapabilities()?.elicitation;
  return (
    elicitation !== undefined &&
    (elicitation.form !== undefined || Object.keys(elicitation).length === 0)
  );
}

async function confirm(
  server: McpServer,
  message: string,
  signal: AbortSignal,
): Promise<Confirmation> {
  const result = await server.server.elicitInput(
    { mode: "form", message, requestedSchema: { type: "object", properties: {} } },
    { signal, timeout: CONFIRM_TIMEOUT_MS },
  );
  return result.action;
}

// What the tools answer as structured content (also checked by the SDK on every answer).
const nullableString = z.string().nullable();
const deviceSchema = z.object({
  id: z.string(),
  name: z.string().describe("Friendly name, e.g. Yealink T46S"),
  kind: z.string(),
  contact: z.string().describe("The device's SIP contact"),
  sourceAddress: nullableString,
  userAgent: nullableString,
  expiresAt: nullableString,
});
const callSchema = z.object({
  id: z.string(),
  state: z.enum(["dialing", "ringing", "connected", "transferring", "ended"]),
  number: z.string().describe("The other party's number as the PBX shows it"),
  name: z.string().optional(),
  incoming: z.boolean(),
});
const outputs = {
  search_contacts: {
    matches: z.array(
      z.object({
        name: z.string(),
        organization: nullableString,
        number: z.string(),
        numberType: z.string(),
        source: z.enum(["vcard", "pbx"]),
        match: z.enum(["number", "name", "fuzzy"]),
      }),
    ),
    notes: z.array(z.string()).describe("What could not be searched, and why"),
  },
  list_devices: { devices: z.array(deviceSchema) },
  get_status: {
    pbx: nullableString,
    extension: z.string(),
    name: nullableString,
    presence: nullableString,
    dnd: z.boolean(),
    missedCalls: z.number(),
    devices: z.array(deviceSchema),
    calls: z.array(callSchema),
    connection: z.enum(["open", "reconnecting", "closed", "none"]),
    mcpCalls: z.enum(["ask", "allow", "deny"]),
  },
  list_calls: { calls: z.array(callSchema) },
  call: {
    placed: z.boolean().describe("false: the user declined, nothing was dialled"),
    answer: z.enum(["decline", "cancel"]).optional().describe("Why not placed"),
    number: z.string().optional().describe("What would have been dialled (not placed)"),
    dialled: z.string().optional().describe("The symbols actually dialled (placed)"),
    toE164: nullableString.optional(),
    display: z.string(),
    name: nullableString.describe("The contact's name, when known"),
    device: z.string().optional(),
    extension: z.string().optional(),
    callId: nullableString.optional().describe("For list_calls and hang_up"),
    via: z.enum(["gateway", "session"]).optional(),
    duplicate: z.boolean().optional().describe("The same number was called moments ago"),
  },
  hang_up: { hungUp: z.array(z.string()) },
  call_history: {
    calls: z.array(
      z.object({
        direction: z.enum(["incoming", "outgoing", "unknown"]),
        missed: z.boolean(),
        number: z.string().describe("The other party as the PBX shows it (may be `anonymous`)"),
        name: z.string().optional(),
        time: z.string().optional(),
        durationSeconds: z.number().optional(),
        source: z.enum(["pbx", "journal"]),
        callback: z.boolean().describe("Whether the number can be called back"),
      }),
    ),
  },
};

type Handler<A> = (context: ToolContext, args: A) => Promise<ToolAnswer>;

function registerTools(
  server: McpServer,
  context: (signal: AbortSignal) => ToolContext,
  log: (line: string) => void,
  inflight: Set<Promise<unknown>>,
): void {
  const run =
    <A>(handler: Handler<A>) =>
    async (args: A, extra: { signal: AbortSignal }): Promise<CallToolResult> => {
      const running = handler(context(extra.signal), args);
      inflight.add(running);
      try {
        const answer = await running;
        return { content: [{ type: "text", text: answer.text }], structuredContent: answer.data };
      } catch (error) {
        return toolError(error, log);
      } finally {
        inflight.delete(running);
      }
    };
  const withoutArgs =
    (handler: Handler<Record<string, never>>) => (extra: { signal: AbortSignal }) =>
      run(handler)({}, extra);

  server.registerTool(
    "search_contacts",
    {
      title: "Search contacts",
      description:
        "Find people and their phone numbers in the user's address books (vCards) and the phone system's phone book. Matches names loosely (case, accents and small typos: `muller` finds Müller), organizations, and numbers. Returns one entry per number.",
      inputSchema: {
        query: z
          .string()
          .max(256)
          .describe('A name, part of one, an organization or a number; "" lists everyone.'),
        limit: z
          .number()
          .int()
          .min(1)
          .max(100)
          .optional()
          .describe("At most this many numbers (default 20)."),
      },
      outputSchema: outputs.search_contacts,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    run(searchContactsTool),
  );

  server.registerTool(
    "list_devices",
    {
      title: "List devices",
      description:
        "The user's phones registered on their extension (desk phones, 3CX apps), in the order `call`'s `device` counts them.",
      outputSchema: outputs.list_devices,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    withoutArgs(listDevicesTool),
  );

  server.registerTool(
    "get_status",
    {
      title: "Get status",
      description:
        "The user's extension: presence, missed calls, registered devices, active calls, and whether calls need the user's confirmation.",
      outputSchema: outputs.get_status,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    withoutArgs(getStatusTool),
  );

  server.registerTool(
    "list_calls",
    {
      title: "List calls",
      description:
        "The user's active calls (ringing, connected) with their ids, for following a call or hanging one up.",
      outputSchema: outputs.list_calls,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    withoutArgs(listCallsTool),
  );

  server.registerTool(
    "call_history",
    {
      title: "Call history",
      description:
        "Recent calls of the user's extension, newest first: direction, missed or not, the other party's number and name, time. `callback` says whether a number can be called back (pass it to `call`).",
      inputSchema: {
        missed_only: z.boolean().optional().describe("Only calls nobody answered"),
        limit: z.number().int().min(1).max(100).optional().describe("At most this many (20)"),
      },
      outputSchema: outputs.call_history,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    run(callHistoryTool),
  );

  server.registerTool(
    "call",
    {
      title: "Call",
      description:
        "Call someone from the user's phone: the user's own phone rings first, and when they pick it up the phone system dials `to`. Asks the user to confirm first (unless their settings allow calls without asking). `to` is a phone number in any common format, a tel: URI, an internal extension, or a contact's name that matches exactly one number (use search_contacts when unsure). Feature codes (*…, #…) are refused. The result says which number was actually dialled.",
      inputSchema: {
        to: z
          .string()
          .min(1)
          .max(1000)
          .describe('A number ("+44 20 7946 0958", "030 123456", "101"), a tel: URI, or a name.'),
        device: z
          .string()
          .max(256)
          .optional()
          .describe(
            "Which of the user's phones rings: a name or number from list_devices. Default: the user's configured device.",
          ),
      },
      outputSchema: outputs.call,
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    },
    run(callTool),
  );

  server.registerTool(
    "hang_up",
    {
      title: "Hang up",
      description:
        "End an active call: the one given by `call_id` (from list_calls or call), or the only active call when there is just one.",
      inputSchema: {
        call_id: z
          .string()
          .max(64)
          .optional()
          .describe(
            "The call's id, as list_calls shows it. Optional when only one call is active.",
          ),
      },
      outputSchema: outputs.hang_up,
      annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: false },
    },
    run(hangUpTool),
  );
}

/** A tool error: the CLI's message and code, never a crashed server. */
function toolError(error: unknown, log: (line: string) => void): CallToolResult {
  if (error instanceof Dial3cxError) {
    const details = error instanceof DetailedError ? error.details : {};
    return {
      isError: true,
      content: [{ type: "text", text: error.message }],
      structuredContent: {
        error: { code: error.code, message: error.message, exitCode: error.exitCode },
        ...details,
      },
    };
  }
  const text = error instanceof Error ? error.message : String(error);
  log(`internal error: ${error instanceof Error ? (error.stack ?? text) : text}`);
  return {
    isError: true,
    content: [{ type: "text", text: `dial3cx internal error: ${text}` }],
    structuredContent: { error: { code: "internal", message: text, exitCode: 1 } },
  };
}
