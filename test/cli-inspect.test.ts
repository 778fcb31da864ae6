// End to end: `dial3cx devices`, `status`, `watch` and `hangup` against the simulator.
import { describe, type ExpectStatic, test } from "vitest";
import {
  accountEnv,
  type Cleanup,
  makeHome,
  parseJsonLines,
  REQUEST_MY_INFO,
  type RunningCli,
  runCli,
  startCli,
  startSimAndHome,
  type TestSim,
} from "./cli-helpers.js";

/** Calls stay up until hung up: nobody answers within a test's lifetime. */
const NEVER_ANSWERED = { answerAfterMs: 600_000 };
/** Calls answered after 100 ms and hung up 100 ms later. */
const QUICK_CALLS = { answerAfterMs: 100, hangupAfterMs: 100 };
/** RequestDropCall's MyPhone message id. */
const DROP_CALL = 115;

describe.concurrent("dial3cx devices and status", () => {
  test("devices lists the registrations, numbered", async ({ expect, onTestFinished }) => {
    const { env } = await startSimAndHome(onTestFinished);
    const run = await runCli(["devices"], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ *1 +Yealink T46S +sip:100@192\.168\.178\.20:5062;rinstance=a1 /);
    expect(lines[1]).toMatch(/^ *2 +3CX app \(Windows\) +sip:100@192\.168\.178\.34:51470/);
  });

  test("devices --json", async ({ expect, onTestFinished }) => {
    const { env } = await startSimAndHome(onTestFinished);
    const run = await runCli(["devices", "--json"], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    const [devices] = parseJsonLines(run.stdout) as [Array<Record<string, unknown>>];
    expect(devices).toEqual([
      {
        id: expect.any(String),
        name: "Yealink T46S",
        kind: "desk-phone",
        contact: "sip:100@192.168.178.20:5062;rinstance=a1",
        sourceAddress: "192.168.178.20:5062",
        userAgent: "Yealink SIP-T46S",
        expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      expect.objectContaining({ name: "3CX app (Windows)", kind: "softphone" }),
    ]);
  });

  test("status shows the extension, presence, devices and calls", async ({
    expect,
    onTestFinished,
  }) => {
    const { env } = await startSimAndHome(onTestFinished, NEVER_ANSWERED);
    const idle = await runCli(["status"], { env });
    expect(idle).toMatchObject({ code: 0, stderr: "" });
    expect(idle.stdout).toMatch(/^Extension 100 \(Erika Mustermann\)\n/);
    expect(idle.stdout).toMatch(/\nPresence {2}Available\n/);
    expect(idle.stdout).toContain("Yealink T46S");
    expect(idle.stdout).toMatch(/\nCalls {5}none\n$/);
    await placeCalls(expect, env, ["123"]);
    const busy = await runCli(["status", "--json"], { env });
    expect(busy).toMatchObject({ code: 0, stderr: "" });
    const [status] = parseJsonLines(busy.stdout);
    expect(status).toMatchObject({
      extension: "100",
      name: "Erika Mustermann",
      presence: "Available",
      devices: [
        expect.objectContaining({ name: "Yealink T46S" }),
        expect.objectContaining({ name: "3CX app (Windows)" }),
      ],
      calls: [{ id: expect.any(String), number: "123", incoming: false, state: "dialing" }],
    });
  });
});

describe.concurrent("dial3cx watch", () => {
  test("--json prints call events until SIGINT, then exits 0", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished, QUICK_CALLS);
    const watch = await startWatching(["watch", "--json"], env, sim, onTestFinished);
    const caller = await makeHome(onTestFinished);
    await placeCalls(expect, accountEnv(caller, sim), ["123"]);
    const created = JSON.parse(await watch.line((l) => l.includes('"call.created"')));
    expect(created).toEqual({
      time: expect.stringMatching(/^\d{4}-/),
      event: "call.created",
      call: { id: expect.any(String), state: "dialing", number: "123", incoming: false },
    });
    await watch.line((l) => l.includes('"call.ended"'));
    watch.child.kill("SIGINT");
    const result = await watch.result;
    expect(result).toMatchObject({ code: 0, stderr: "" });
    const events = parseJsonLines(result.stdout).map((e) => (e as { event: string }).event);
    expect(events).toEqual(["call.created", "call.updated", "call.ended"]);
  });

  test("a dropped websocket: watch reconnects and keeps reporting calls", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished, QUICK_CALLS);
    const watch = await startWatching(["watch", "--json"], env, sim, onTestFinished);
    const sockets = async () =>
      (await sim.requests()).filter((r) => r.path === "/ws/webclient" && r.note === "START");
    await sim.faults({ dropWebsockets: true });
    await watch.line((l) => l.includes('"connection.reconnecting"'));
    await watch.line((l) => l.includes('"connection.open"'));
    expect(await sockets()).toHaveLength(2);
    const caller = await makeHome(onTestFinished);
    await placeCalls(expect, accountEnv(caller, sim), ["123"]);
    await watch.line((l) => l.includes('"call.ended"'));
    watch.child.kill("SIGINT");
    expect(await watch.result).toMatchObject({ code: 0, stderr: "" });
  });

  test("text mode says what it watches; SIGTERM ends it with 0", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    const watch = await startWatching(["watch"], env, sim, onTestFinished);
    await new Promise((resolve) => setTimeout(resolve, 100));
    watch.child.kill("SIGTERM");
    const result = await watch.result;
    expect(result).toMatchObject({ code: 0, stdout: "" });
    expect(result.stderr).toBe("Watching extension 100; Ctrl-C to stop.\n");
  });
});

describe.concurrent("dial3cx hangup", () => {
  test("hangs up the only call", async ({ expect, onTestFinished }) => {
    const { sim, env } = await startSimAndHome(onTestFinished, NEVER_ANSWERED);
    await placeCalls(expect, env, ["123"]);
    const run = await runCli(["hangup"], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toMatch(/^Hung up #\d+\.\n$/);
    expect((await sim.calls()).map((c) => c.state)).toEqual(["ended"]);
  });

  test("--all hangs up every call; --json lists them", async ({ expect, onTestFinished }) => {
    const { sim, env } = await startSimAndHome(onTestFinished, NEVER_ANSWERED);
    await placeCalls(expect, env, ["123", "124"]);
    const run = await runCli(["hangup", "--all", "--json"], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    const [result] = parseJsonLines(run.stdout) as [{ hungUp: string[] }];
    expect(result.hungUp).toHaveLength(2);
    expect((await sim.calls()).map((c) => c.state)).toEqual(["ended", "ended"]);
  });

  test("several calls and no id: exit 2, the calls listed, none hung up", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished, NEVER_ANSWERED);
    await placeCalls(expect, env, ["123", "124"]);
    const run = await runCli(["hangup"], { env });
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toMatch(/^dial3cx: 2 calls are active: name one, or pass --all\.\n/);
    expect(run.stderr).toContain("to 123");
    expect(run.stderr).toContain("to 124");
    expect((await sim.calls()).map((c) => c.state)).not.toContain("ended");
  });

  test("several calls and no id with --json: a usage error on stdout, exit 2", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished, NEVER_ANSWERED);
    await placeCalls(expect, env, ["123", "124"]);
    const run = await runCli(["hangup", "--json"], { env });
    expect(run).toMatchObject({ code: 2, stderr: "" });
    expect(parseJsonLines(run.stdout)).toEqual([
      {
        error: { code: "usage", message: "2 calls are active: name one, or pass --all." },
        calls: [
          expect.objectContaining({ number: "123" }),
          expect.objectContaining({ number: "124" }),
        ],
      },
    ]);
    expect((await sim.calls()).map((c) => c.state)).not.toContain("ended");
  });

  test("--all with a call id is a usage error, nothing sent", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    const run = await runCli(["hangup", "--all", "2"], { env });
    expect(run).toMatchObject({
      code: 2,
      stdout: "",
      stderr: "dial3cx: --all and a call id cannot be combined.\n",
    });
    expect(await sim.requests()).toEqual([]);
  });

  test("an id that is not an active call, or not a number: exit 2, no hang-up sent", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished, NEVER_ANSWERED);
    await placeCalls(expect, env, ["123", "124"]);
    const [status] = parseJsonLines((await runCli(["status", "--json"], { env })).stdout) as [
      { calls: Array<{ id: string }> },
    ];
    const active = status.calls.map((c) => `#${c.id}`).join(", ");
    const run = await runCli(["hangup", "999"], { env });
    expect(run).toMatchObject({
      code: 2,
      stdout: "",
      stderr: `dial3cx: No active call #999; active: ${active}\n`,
    });
    const json = await runCli(["hangup", "abc", "--json"], { env });
    expect(json).toMatchObject({ code: 2, stderr: "" });
    expect(parseJsonLines(json.stdout)).toEqual([
      { error: { code: "usage", message: `No active call #abc; active: ${active}` } },
    ]);
    expect((await sim.requests()).filter((r) => r.messageId === DROP_CALL)).toEqual([]);
    expect((await sim.calls()).map((c) => c.state)).not.toContain("ended");
  });

  test("a call id hangs up that call only", async ({ expect, onTestFinished }) => {
    const { sim, env } = await startSimAndHome(onTestFinished, NEVER_ANSWERED);
    await placeCalls(expect, env, ["123", "124"]);
    const [status] = parseJsonLines((await runCli(["status", "--json"], { env })).stdout) as [
      { calls: Array<{ id: string; number: string }> },
    ];
    const second = status.calls.find((c) => c.number === "124")!;
    const run = await runCli(["hangup", second.id], { env });
    expect(run).toMatchObject({ code: 0, stderr: "", stdout: `Hung up #${second.id}.\n` });
    const states = Object.fromEntries((await sim.calls()).map((c) => [c.destination, c.state]));
    expect(states["124"]).toBe("ended");
    expect(states["123"]).not.toBe("ended");
  });

  test("no call: says so and exits 0", async ({ expect, onTestFinished }) => {
    const { env } = await startSimAndHome(onTestFinished);
    const run = await runCli(["hangup"], { env });
    expect(run).toMatchObject({ code: 0, stderr: "", stdout: "No active call.\n" });
  });
});

/** Places a call to each number in turn, each expected to exit 0. */
async function placeCalls(
  expect: ExpectStatic,
  env: NodeJS.ProcessEnv,
  numbers: string[],
): Promise<void> {
  for (const number of numbers) {
    expect(await runCli(["call", number], { env })).toMatchObject({ code: 0 });
  }
}

/** Starts `dial3cx <args>` (killed when the test ends) and waits until it asked for MyInfo. */
async function startWatching(
  args: string[],
  env: NodeJS.ProcessEnv,
  sim: TestSim,
  cleanup: Cleanup,
): Promise<RunningCli> {
  const watch = await startCli(args, { env });
  cleanup(() => {
    watch.child.kill("SIGKILL");
  });
  await until(async () => (await sim.requests()).some((r) => r.messageId === REQUEST_MY_INFO));
  return watch;
}

/** Polls `check` until it is true (at most `timeoutMs`). */
async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
