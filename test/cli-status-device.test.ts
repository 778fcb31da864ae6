// End to end: `status` names the device each call placed by dial3cx rings on (the PBX's call list
// does not say), for a call placed on the warm fast path (no id: matched by number), with
// --device on the quick call, with --json and --wait (the id known), through a running gateway,
// and none for a call placed elsewhere.
import { readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, test } from "vitest";
import {
  accountEnv,
  makeHome,
  parseJsonLines,
  runCli,
  startCli,
  startSimAndHome,
} from "./cli-helpers.js";
import { startEnvGateway } from "./desktop-helpers.js";

/** Calls stay up until hung up. */
const NEVER_ANSWERED = { answerAfterMs: 600_000 };

interface StatusCall {
  id: string;
  number: string;
  device: string | null;
}

async function statusCalls(env: NodeJS.ProcessEnv): Promise<StatusCall[]> {
  const run = await runCli(["status", "--json"], { env });
  if (run.code !== 0) throw new Error(run.stderr);
  return (parseJsonLines(run.stdout)[0] as { calls: StatusCall[] }).calls;
}

describe.concurrent("status shows each call's device", () => {
  test("calls placed with --device, on the fast path and with --json; none for others", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home, env } = await startSimAndHome(onTestFinished, NEVER_ANSWERED);
    // Caches the session: the calls below take the warm paths.
    expect(await runCli(["devices"], { env })).toMatchObject({ code: 0 });

    // The quick call (one MakeCall, no id learnt) with --device.
    const quick = await runCli(["call", "+49 30 123456", "--device", "3CX app"], { env });
    expect(quick).toMatchObject({ code: 0, stderr: "" });
    expect(quick.stdout).toContain("on 3CX app (Windows)");
    // The fast path (`call <number>` alone), its device from the environment.
    const fast = await runCli(["call", "030 7654321"], {
      env: { ...env, DIAL3CX_DEVICE: "yealink" },
    });
    expect(fast).toMatchObject({ code: 0, stderr: "" });
    // --json learns the PBX's id: the record has it.
    const json = await runCli(["call", "123", "--json", "--device", "yealink"], { env });
    const [placed] = parseJsonLines(json.stdout) as [{ id: string; device: string }];
    expect(placed).toMatchObject({ id: expect.stringMatching(/^\d+$/), device: "Yealink T46S" });
    // Another machine's call (another home): this one does not know its device.
    const other = await runCli(["call", "124"], {
      env: accountEnv(await makeHome(onTestFinished), sim),
    });
    expect(other).toMatchObject({ code: 0 });

    // The record: owner-only, next to the session cache, no number in clear.
    const record = join(dirname(home.cacheFile), "call-devices.jsonl");
    expect((await stat(record)).mode & 0o777).toBe(0o600);
    expect(await readFile(record, "utf8")).not.toMatch(/7654321|123456/);

    expect(await statusCalls(env)).toEqual([
      expect.objectContaining({ number: "004930123456", device: "3CX app (Windows)" }),
      expect.objectContaining({ number: "0307654321", device: "Yealink T46S" }),
      expect.objectContaining({ id: placed.id, number: "123", device: "Yealink T46S" }),
      expect.objectContaining({ number: "124", device: null }),
    ]);
    const text = await runCli(["status"], { env });
    expect(text).toMatchObject({ code: 0, stderr: "" });
    const callLines = text.stdout.slice(text.stdout.indexOf("\nCalls")).split("\n").slice(2);
    expect(callLines.filter(Boolean)).toEqual([
      expect.stringMatching(
        /^ {2}#\d+ +dialing +to Ada Lovelace \(004930123456\) {2}on 3CX app \(Windows\)$/,
      ),
      expect.stringMatching(/^ {2}#\d+ +dialing +to 0307654321 {2}on Yealink T46S$/),
      expect.stringMatching(new RegExp(`^ {2}#${placed.id} +dialing +to 123 {2}on Yealink T46S$`)),
      expect.stringMatching(/^ {2}#\d+ +dialing +to 124$/),
    ]);
  });

  test("a second call to the same number on another device: each call its own device", async ({
    expect,
    onTestFinished,
  }) => {
    const { env } = await startSimAndHome(onTestFinished, NEVER_ANSWERED);
    const first = await runCli(["call", "555", "--json", "--device", "yealink"], { env });
    expect(first).toMatchObject({ code: 0 });
    expect(await runCli(["call", "555", "--device", "3CX app"], { env })).toMatchObject({
      code: 0,
    });
    const [a, b] = await statusCalls(env);
    expect(a).toMatchObject({ number: "555", device: "Yealink T46S" });
    expect(b).toMatchObject({ number: "555", device: "3CX app (Windows)" });
  });

  test("a call handed to a running gateway: status knows its device too", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished, NEVER_ANSWERED);
    const env = { ...accountEnv(home, sim), XDG_RUNTIME_DIR: join(home.dir, "run") };
    await startEnvGateway(env, onTestFinished);
    const run = await runCli(["call", "777", "--device", "3CX app", "--json"], { env });
    expect(parseJsonLines(run.stdout)).toEqual([
      expect.objectContaining({ via: "gateway", device: "3CX app (Windows)" }),
    ]);
    expect(await statusCalls(env)).toEqual([
      expect.objectContaining({ number: "777", device: "3CX app (Windows)" }),
    ]);
  });

  test("call --wait: status shows the device while the call is followed", async ({
    expect,
    onTestFinished,
  }) => {
    const { env } = await startSimAndHome(onTestFinished, NEVER_ANSWERED);
    const waiting = await startCli(["call", "888", "--wait", "--device", "3CX app"], { env });
    onTestFinished(() => {
      waiting.child.kill("SIGKILL");
    });
    // The first state line comes after the MakeCall was answered (and the device recorded).
    await waiting.line((l) => l.startsWith("  "));
    expect(await statusCalls(env)).toEqual([
      expect.objectContaining({ number: "888", device: "3CX app (Windows)" }),
    ]);
    waiting.child.kill("SIGINT");
    expect(await waiting.result).toMatchObject({ code: 0 });
  });
});
