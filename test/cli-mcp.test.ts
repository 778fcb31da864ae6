// End to end: `dial3cx mcp` driven by the MCP SDK's own Client over stdio (the built CLI as a child
// process) against the simulator: the tool list, contact search, calls with the user asked
// through elicitation (accepted, declined, no way to ask, turned off by the setting), bad input
// that must dial nothing, hanging up, a running gateway, and a PBX that goes away and comes back.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  type CallToolResult,
  ElicitRequestSchema,
  type ElicitResult,
} from "@modelcontextprotocol/sdk/types.js";
import { describe, test } from "vitest";
import {
  accountEnv,
  type Cleanup,
  cliBin,
  MAKE_CALL,
  makeHome,
  runCli,
  startSimAndHome,
  TestSim,
} from "./cli-helpers.js";
import { startEnvGateway, writeConfig } from "./desktop-helpers.js";

interface McpOptions {
  /** How the "user" answers "Call …?"; without it the client cannot ask (no elicitation). */
  answer?: ElicitResult["action"];
}

interface McpRun {
  client: Client;
  /** The questions the server asked the user. */
  questions: string[];
  stderr(): string;
  /** Transport errors: anything on stdout that is not a protocol message shows up here. */
  errors: Error[];
  tool(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

async function startMcp(
  env: NodeJS.ProcessEnv,
  cleanup: Cleanup,
  options: McpOptions = {},
  args: string[] = [],
): Promise<McpRun> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [await cliBin(), "mcp", ...args],
    env: env as Record<string, string>,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const errors: Error[] = [];
  const questions: string[] = [];
  const client = new Client(
    { name: "dial3cx-test", version: "1.0.0" },
    { capabilities: options.answer ? { elicitation: { form: {} } } : {} },
  );
  if (options.answer) {
    const action = options.answer;
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      questions.push(request.params.message);
      return action === "accept" ? { action, content: {} } : { action };
    });
  }
  await client.connect(transport);
  transport.onerror = (error) => errors.push(error);
  const close = () => client.close();
  cleanup(close);
  return {
    client,
    questions,
    stderr: () => stderr,
    errors,
    close,
    tool: async (name, toolArgs = {}) =>
      (await client.callTool({ name, arguments: toolArgs })) as CallToolResult,
  };
}

function text(result: CallToolResult): string {
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("");
}

async function makeCalls(sim: TestSim): Promise<number> {
  return (await sim.requests()).filter((entry) => entry.messageId === MAKE_CALL).length;
}

describe.concurrent("dial3cx mcp", { timeout: 60_000 }, () => {
  test("lists its tools with schemas and annotations", async ({ expect, onTestFinished }) => {
    const { env } = await startSimAndHome(onTestFinished);
    const mcp = await startMcp(env, onTestFinished);
    const { tools } = await mcp.client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect([...byName.keys()].sort()).toEqual([
      "call",
      "call_history",
      "get_status",
      "hang_up",
      "list_calls",
      "list_devices",
      "search_contacts",
    ]);
    for (const tool of tools) {
      expect(tool.description?.length).toBeGreaterThan(40);
      expect(tool.inputSchema.type).toBe("object");
      expect(tool.outputSchema?.type).toBe("object");
    }
    for (const name of [
      "search_contacts",
      "list_devices",
      "get_status",
      "list_calls",
      "call_history",
    ]) {
      expect(byName.get(name)?.annotations?.readOnlyHint).toBe(true);
    }
    expect(byName.get("call")?.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: false,
    });
    expect(byName.get("hang_up")?.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
    });
    expect(byName.get("call")?.inputSchema).toMatchObject({
      properties: { to: { type: "string", minLength: 1 }, device: { type: "string" } },
      required: ["to"],
    });
    expect(byName.get("search_contacts")?.inputSchema).toMatchObject({
      properties: { query: { type: "string" }, limit: { type: "integer", minimum: 1 } },
      required: ["query"],
    });
    expect(byName.get("hang_up")?.inputSchema.required ?? []).toEqual([]);

    await mcp.close();
    expect(mcp.errors).toEqual([]);
  });

  test("answers on stdout with protocol messages only, and exits 0 when stdin ends", async ({
    expect,
    onTestFinished,
  }) => {
    const { env } = await startSimAndHome(onTestFinished);
    const initialize = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "raw", version: "1" },
      },
    };
    const run = await runCli(["mcp"], { env, stdin: `${JSON.stringify(initialize)}\n` });
    expect(run).toMatchObject({ code: 0, signal: null });
    const lines = run.stdout.split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      jsonrpc: "2.0",
      id: 1,
      result: { serverInfo: { name: "dial3cx" }, capabilities: { tools: {} } },
    });
    expect(run.stderr).toBe("dial3cx mcp: serving extension 100 over stdio\n");
  });

  test("the host going away while the user is asked: nothing is dialled, the server exits", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    const child = spawn(process.execPath, [await cliBin(), "mcp"], {
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    onTestFinished(() => {
      child.kill("SIGKILL");
    });
    const exited = new Promise<[number | null, string | null]>((resolve) =>
      child.once("exit", (code, signal) => resolve([code, signal])),
    );
    let stdout = "";
    const asked = new Promise<void>((resolve) => {
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
        if (stdout.includes('"elicitation/create"')) resolve();
      });
    });
    const send = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`);
    send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: { elicitation: {} },
        clientInfo: { name: "raw", version: "1" },
      },
    });
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "call", arguments: { to: "101" } },
    });
    await asked;
    const started = Date.now();
    child.stdin.end();
    expect(await exited).toEqual([0, null]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await makeCalls(sim)).toBe(0);
  });

  test("search_contacts finds a misspelled name without its accents in the PBX phone book", async ({
    expect,
    onTestFinished,
  }) => {
    const { env } = await startSimAndHome(onTestFinished);
    const mcp = await startMcp(env, onTestFinished);
    const result = await mcp.tool("search_contacts", { query: "jurgen muler" });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      matches: [
        { name: "Jürgen Müller", number: "089 1234567", numberType: "work", source: "pbx" },
        { name: "Jürgen Müller", number: "0171 2345678", numberType: "mobile", source: "pbx" },
      ],
      notes: [],
    });
    expect(text(result)).toContain("Jürgen Müller (Müller Bau GmbH), work: 089 1234567");

    const none = await mcp.tool("search_contacts", { query: "qqqxxq" });
    expect(none.isError).toBeFalsy();
    expect(text(none)).toBe('No contact matches "qqqxxq".');
    expect(mcp.errors).toEqual([]);
  });

  test("call: the user is asked, accepts, and exactly one call is placed", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    const mcp = await startMcp(env, onTestFinished, { answer: "accept" });
    const result = await mcp.tool("call", { to: "Ada Lovelace" });
    expect(text(result)).toMatch(/^Calling Ada Lovelace \(\+49 30 123456\) on Yealink T46S/);
    expect(result.isError).toBeFalsy();
    expect(mcp.questions).toEqual([
      "Call Ada Lovelace, +49 30 123456 (dialling 004930123456), on Yealink T46S?",
    ]);
    expect(result.structuredContent).toMatchObject({
      placed: true,
      dialled: "004930123456",
      toE164: "+4930123456",
      name: "Ada Lovelace",
      device: "Yealink T46S",
      extension: "100",
      via: "session",
      callId: expect.any(String),
    });
    expect(await makeCalls(sim)).toBe(1);
    const calls = await sim.calls();
    expect(calls).toEqual([expect.objectContaining({ destination: "004930123456" })]);

    const listed = await mcp.tool("list_calls");
    const { callId } = result.structuredContent as { callId: string };
    expect(listed.structuredContent).toMatchObject({ calls: [{ id: callId, incoming: false }] });
  });

  test("call_history: missed calls, and call back offered only for numbers", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    for (const from of ["+44 20 7946 0001", "anonymous"]) {
      const response = await fetch(new URL("/__sim/calls", sim.url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ from, to: "100", hangupAfter: 20 }),
      });
      expect(response.ok).toBe(true);
    }
    const mcp = await startMcp(env, onTestFinished);
    let calls: { number: string; missed: boolean; callback: boolean }[] = [];
    const deadline = Date.now() + 10_000;
    while (calls.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const result = await mcp.tool("call_history", { missed_only: true });
      expect(result.isError).toBeFalsy();
      calls = (result.structuredContent as { calls: typeof calls }).calls;
    }
    expect(calls).toHaveLength(2);
    expect(calls.every((call) => call.missed)).toBe(true);
    const byNumber = new Map(calls.map((call) => [call.number, call.callback]));
    expect(byNumber.get("anonymous")).toBe(false);
    expect([...byNumber.entries()].filter(([n]) => n !== "anonymous")).toEqual([
      ["+44 20 7946 0001", true],
    ]);
    expect(await makeCalls(sim)).toBe(0);
    const bad = await mcp.tool("call_history", { limit: 0 });
    expect(bad.isError).toBe(true);
  });

  test("call: the user declines and nothing is placed", async ({ expect, onTestFinished }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    const mcp = await startMcp(env, onTestFinished, { answer: "decline" });
    const result = await mcp.tool("call", { to: "+44 20 7946 0958", device: "2" });
    expect(result.isError).toBeFalsy();
    expect(mcp.questions).toEqual([
      "Call Charles Babbage, +44 20 7946 0958 (dialling 00442079460958), on 3CX app (Windows)?",
    ]);
    expect(text(result)).toBe("Not called: the user declined. Nothing was dialled.");
    expect(result.structuredContent).toEqual({
      placed: false,
      answer: "decline",
      number: "00442079460958",
      display: "+44 20 7946 0958",
      name: "Charles Babbage",
    });
    expect(await makeCalls(sim)).toBe(0);
  });

  test('mcp_calls = "deny" places nothing, and says how to allow calls', async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env, home } = await startSimAndHome(onTestFinished);
    await writeConfig(home, 'mcp_calls = "deny"\n');
    const mcp = await startMcp(env, onTestFinished, { answer: "accept" });
    const result = await mcp.tool("call", { to: "101" });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('mcp_calls = "deny"');
    expect(text(result)).toContain('set mcp_calls = "ask"');
    expect(mcp.questions).toEqual([]);
    expect(await makeCalls(sim)).toBe(0);
    const status = await mcp.tool("get_status");
    expect(status.structuredContent).toMatchObject({ mcpCalls: "deny" });
  });

  test('"ask" on a host that cannot ask refuses; "allow" calls without asking', async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env, home } = await startSimAndHome(onTestFinished);
    const asking = await startMcp(env, onTestFinished);
    const refused = await asking.tool("call", { to: "101" });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain('set mcp_calls = "allow" in');
    expect(refused.structuredContent).toMatchObject({ error: { code: "rejected", exitCode: 4 } });
    // Refused before anything else: not even a login.
    expect(await sim.requests()).toEqual([]);

    await writeConfig(home, 'mcp_calls = "allow"\n');
    const allowed = await startMcp(env, onTestFinished);
    const placed = await allowed.tool("call", { to: "tel:101" });
    expect(placed.isError).toBeFalsy();
    expect(placed.structuredContent).toMatchObject({ placed: true, dialled: "101" });
    expect(await makeCalls(sim)).toBe(1);
  });

  test("bad input is a tool error with the CLI's message, and dials nothing", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    const mcp = await startMcp(env, onTestFinished, { answer: "accept" });
    const cases: Array<[string, RegExp]> = [
      ["*55", /feature codes .* are never dialled/],
      ["#31#030123456", /feature codes/],
      ["tel:%2A55", /feature codes/],
      ["4".repeat(40), /it has 40 digits; at most 32 can be dialled/],
      ["+49 30 123\u0007456", /control character U\+0007/],
      ["Ada\u001bLovelace", /control character U\+001B/],
      ["tel:+1-800-FLOWERS", /it contains letters/],
      ["call me maybe", /No contact matches "call me maybe", and it is not a number/],
      ["Müller", /"Müller" matches 2 numbers/],
      ["", /./],
    ];
    for (const [to, message] of cases) {
      const result = await mcp.tool("call", { to });
      expect(result.isError, to).toBe(true);
      expect(text(result), to).toMatch(message);
    }
    const several = await mcp.tool("call", { to: "Müller" });
    expect(several.structuredContent).toMatchObject({
      error: { code: "bad_number", exitCode: 2 },
      matches: [
        { name: "Jürgen Müller", number: "089 1234567" },
        { name: "Jürgen Müller", number: "0171 2345678" },
      ],
    });
    const noDevice = await mcp.tool("call", { to: "101", device: "fax machine" });
    expect(noDevice.isError).toBe(true);
    expect(noDevice.structuredContent).toMatchObject({ error: { code: "device_not_found" } });
    // The SDK checks the schema: a tool error as well, not a protocol error.
    const noTo = await mcp.tool("call", {});
    expect(noTo.isError).toBe(true);
    expect(text(noTo)).toMatch(/to/);
    const zero = await mcp.tool("search_contacts", { query: "ada", limit: 0 });
    expect(zero.isError).toBe(true);
    const badHangup = await mcp.tool("hang_up", { call_id: "999" });
    expect(text(badHangup)).toBe("No active call #999; active: none.");
    expect(mcp.questions).toEqual([]);
    expect(await makeCalls(sim)).toBe(0);
    expect((await mcp.tool("list_devices")).isError).toBeFalsy();
    expect(mcp.errors).toEqual([]);
  });

  test("a refused login is never tried again; not logged in is a tool error", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const mcp = await startMcp(accountEnv(home, sim, "101", "wrong"), onTestFinished, {
      answer: "accept",
    });
    const first = await mcp.tool("get_status");
    expect(first.isError).toBe(true);
    expect(first.structuredContent).toMatchObject({ error: { code: "auth", exitCode: 3 } });
    const again = await mcp.tool("call", { to: "101" });
    expect(again.structuredContent).toMatchObject({ error: { code: "auth" } });
    const search = await mcp.tool("search_contacts", { query: "ada" });
    expect(search.isError).toBeFalsy();
    expect((search.structuredContent as { notes: string[] }).notes[0]).toMatch(
      /^PBX phone book unavailable: /,
    );
    expect((await sim.requests()).map((r) => r.path)).toEqual([
      "/webclient/api/Login/GetAccessToken",
    ]);

    const nobody = await startMcp(home.env, onTestFinished);
    const status = await nobody.tool("list_calls");
    expect(status.isError).toBe(true);
    expect(text(status)).toBe("Not logged in: run `dial3cx login`.");
    expect(nobody.errors).toEqual([]);
  });

  test("hang_up ends the call", async ({ expect, onTestFinished }) => {
    const { sim, env } = await startSimAndHome(onTestFinished, { answerAfterMs: 100 });
    const mcp = await startMcp(env, onTestFinished, { answer: "accept" });
    const placed = await mcp.tool("call", { to: "101" });
    const { callId } = placed.structuredContent as { callId: string };
    expect(callId).toEqual(expect.any(String));
    const hung = await mcp.tool("hang_up", {});
    expect(hung.isError).toBeFalsy();
    expect(hung.structuredContent).toEqual({ hungUp: [callId] });
    expect(text(hung)).toBe(`Hung up call #${callId}.`);
    await expect.poll(async () => (await sim.calls())[0]?.state).toBe("ended");
    await expect
      .poll(async () => (await mcp.tool("list_calls")).structuredContent)
      .toEqual({
        calls: [],
      });
    expect(text(await mcp.tool("hang_up"))).toBe("No active call.");
  });

  test("survives a PBX that goes away and comes back on the same address", async ({
    expect,
    onTestFinished,
  }) => {
    const first = await TestSim.start(onTestFinished);
    const home = await makeHome(onTestFinished);
    const env = accountEnv(home, first);
    await writeConfig(home, 'mcp_calls = "allow"\n');
    const mcp = await startMcp(env, onTestFinished);
    expect((await mcp.tool("get_status")).structuredContent).toMatchObject({
      extension: "100",
      connection: "open",
    });
    const port = Number(new URL(first.url).port);
    await first.stop();

    const down = await mcp.tool("call", { to: "101" });
    expect(down.isError).toBe(true);
    expect(down.structuredContent).toMatchObject({ error: { exitCode: 5 } });
    expect((await mcp.tool("search_contacts", { query: "ada" })).isError).toBeFalsy();

    const second = await TestSim.start(onTestFinished, { port });
    // Back: the phone book answers again, and a call is placed once on the new PBX.
    await expect
      .poll(
        async () => (await mcp.tool("search_contacts", { query: "ada" })).structuredContent?.notes,
        { timeout: 15_000, interval: 500 },
      )
      .toEqual([]);
    const placed = await mcp.tool("call", { to: "101" });
    expect(text(placed)).toMatch(/^Calling Max Mustermann \(101\) on Yealink T46S/);
    expect(await makeCalls(second)).toBe(1);
    expect(mcp.errors).toEqual([]);
  });
});

// Alone, not among the concurrent tests: the gateway runs in this test's process, and a gateway
// slower than the hand-off's time limits is (rightly) passed over for the server's own session.
describe("dial3cx mcp with a running gateway", { timeout: 60_000 }, () => {
  test("a running gateway places the call", async ({ expect, onTestFinished }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const env = { ...accountEnv(home, sim), XDG_RUNTIME_DIR: join(home.dir, "run") };
    await startEnvGateway(env, onTestFinished);
    const mcp = await startMcp(env, onTestFinished, { answer: "accept" });
    const result = await mcp.tool("call", { to: "+49 30 123456" });
    expect(result.structuredContent, mcp.stderr()).toMatchObject({
      placed: true,
      via: "gateway",
      dialled: "004930123456",
      device: "Yealink T46S",
    });
    expect(await makeCalls(sim)).toBe(1);
  });
});
