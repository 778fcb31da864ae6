// End to end: `dial3cx sim`, `dial3cx demo`, --version, --help and usage errors (exit 2).
import { readFile } from "node:fs/promises";
import { describe, test } from "vitest";
import { accountEnv, makeHome, parseJsonLines, runCli, startCli } from "./cli-helpers.js";

describe.concurrent("dial3cx sim", () => {
  test("prints the ready line, serves a call, exits 0 on SIGTERM", async ({
    expect,
    onTestFinished,
  }) => {
    const home = await makeHome(onTestFinished);
    const sim = await startCli(["sim", "--port", "0", "--answer-after", "50"], { env: home.env });
    onTestFinished(() => {
      sim.child.kill("SIGKILL");
    });
    const ready = await sim.line((l) => l.startsWith("dial3cx sim listening on "));
    expect(ready).toMatch(
      /^dial3cx sim listening on http:\/\/127\.0\.0\.1:\d+ \(3CX V20\) · log in as 100 \/ dial3cx-demo · 2FA: 102 \/ dial3cx-2fa, TOTP secret DIAL3CXSIMULATORTWOFACTORDEMO234$/,
    );
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(ready)![1]!;
    const call = await runCli(["call", "123"], { env: accountEnv(home, { url }) });
    expect(call).toMatchObject({ code: 0, stderr: "" });
    const calls = (await (await fetch(`${url}/__sim/calls`)).json()) as unknown[];
    expect(calls).toHaveLength(1);
    sim.child.kill("SIGTERM");
    expect(await sim.result).toMatchObject({ code: 0, signal: null, stderr: "" });
  });

  test("SIGINT ends it with 0 as well; --pbx-version 18 says V18", async ({
    expect,
    onTestFinished,
  }) => {
    const home = await makeHome(onTestFinished);
    const sim = await startCli(["sim", "--port", "0", "--pbx-version", "18"], { env: home.env });
    onTestFinished(() => {
      sim.child.kill("SIGKILL");
    });
    expect(await sim.line((l) => l.startsWith("dial3cx sim"))).toContain("(3CX V18)");
    sim.child.kill("SIGINT");
    expect(await sim.result).toMatchObject({ code: 0 });
  });

  test("a bad option exits 2", async ({ expect, onTestFinished }) => {
    const home = await makeHome(onTestFinished);
    const run = await runCli(["sim", "--port", "70000"], { env: home.env });
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toMatch(/--port/);
  });
});

describe.concurrent("dial3cx demo", () => {
  test("places a call on an in-process simulator and follows it to its end", async ({
    expect,
    onTestFinished,
  }) => {
    const home = await makeHome(onTestFinished);
    const run = await runCli(["demo"], { env: home.env, timeoutMs: 30_000 });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toContain("$ dial3cx devices");
    expect(run.stdout).toContain("Calling +49 30 123456 on Yealink T46S (ext 100)");
    expect(run.stdout).toMatch(/\n {2}connected\n/);
    // The warm path at work: after `devices`, `call --wait` needs only the websocket for the
    // call's progress, RequestMyInfo and MakeCall.
    const sent = /\n {2}ended after \d+:\d\d\n {2}\((\d+) requests? to the PBX\)\n/.exec(
      run.stdout,
    );
    expect(sent, run.stdout).not.toBeNull();
    expect(Number(sent![1])).toBeLessThanOrEqual(3);
    expect(run.stdout).toContain("The PBX saw: MakeCall to 004930123456");
  }, 40_000);
});

describe.concurrent("dial3cx usage", () => {
  test("--version prints the package version", async ({ expect, onTestFinished }) => {
    const home = await makeHome(onTestFinished);
    const manifest = JSON.parse(
      await readFile(new URL("../package.json", import.meta.url), "utf8"),
    ) as { version: string };
    const run = await runCli(["--version"], { env: home.env });
    expect(run).toEqual({ code: 0, signal: null, stdout: `${manifest.version}\n`, stderr: "" });
  });

  test("--help exits 0 and lists the commands", async ({ expect, onTestFinished }) => {
    const home = await makeHome(onTestFinished);
    const run = await runCli(["--help"], { env: home.env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    for (const command of ["call", "devices", "status", "watch", "hangup", "login", "logout"]) {
      expect(run.stdout).toMatch(new RegExp(`\\n {2}${command} `));
    }
  });

  test.for([
    { args: ["bogus"], says: "unknown command 'bogus'" },
    { args: ["call"], says: "missing required argument 'number'" },
    { args: ["call", "123", "--nope"], says: "unknown option '--nope'" },
    { args: ["sim", "--pbx-version", "19"], says: "Allowed choices are 20, 18" },
    { args: [], says: "Usage: dial3cx" },
  ])("dial3cx $args exits 2", async ({ args, says }, { expect, onTestFinished }) => {
    const home = await makeHome(onTestFinished);
    const run = await runCli(args, { env: home.env });
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toContain(says);
  });

  test("usage errors with --json: a JSON error on stdout, exit 2", async ({
    expect,
    onTestFinished,
  }) => {
    const home = await makeHome(onTestFinished);
    const run = await runCli(["call", "--json"], { env: home.env });
    expect(run).toMatchObject({ code: 2, stderr: "" });
    expect(parseJsonLines(run.stdout)).toEqual([
      { error: { code: "usage", message: "missing required argument 'number'" } },
    ]);
  });

  test("a bad flag value exits 2 before anything is sent", async ({ expect, onTestFinished }) => {
    const home = await makeHome(onTestFinished);
    const run = await runCli(["call", "123", "--pbx", "ftp://pbx", "--extension", "100"], {
      env: home.env,
    });
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toMatch(/^dial3cx: --pbx /);
  });
});
