// End to end: `dial3cx call` failing in every way it can (each exit code, TLS trust) and the
// warm path: what reaches the PBX on the second call, after a session expired, with a bad cache.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "vitest";
import { loadScenarioFile } from "../src/sim/index.js";
import {
  accountEnv,
  httpRequests,
  MAKE_CALL,
  makeHome,
  parseJsonLines,
  runCli,
  startSimAndHome,
  TestSim,
  totpCode,
  writeTempFile,
} from "./cli-helpers.js";

describe.concurrent("dial3cx call: exit codes", () => {
  test("a wrong password exits 3 after exactly one login request", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const run = await runCli(["call", "123"], { env: accountEnv(home, sim, "101", "wrong") });
    expect(run).toMatchObject({ code: 3 });
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^dial3cx: [^\n]+\n$/);
    expect(run.stderr).toMatch(/will not retry/);
    expect(run.stderr).toMatch(/block/);
    const log = await sim.requests();
    expect(log.map((r) => r.path)).toEqual(["/webclient/api/Login/GetAccessToken"]);
    expect(await sim.calls()).toEqual([]);
  });

  test("a wrong password with --json: code auth, exit 3", async ({ expect, onTestFinished }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const env = accountEnv(home, sim, "101", "wrong");
    const run = await runCli(["call", "123", "--json"], { env });
    expect(run).toMatchObject({ code: 3 });
    expect(parseJsonLines(run.stdout)).toEqual([
      { error: { code: "auth", message: expect.stringMatching(/block/) } },
    ]);
  });

  test("a blocked address exits 3 and says so", async ({ expect, onTestFinished }) => {
    const { sim, home } = await startSimAndHome(onTestFinished, {
      lockout: { max: 1, windowMs: 600_000 },
    });
    const first = await runCli(["call", "123"], { env: accountEnv(home, sim, "101", "wrong") });
    expect(first).toMatchObject({ code: 3 });
    // Even the right password is refused now, and the CLI must not try again.
    const run = await runCli(["call", "123", "--json"], { env: accountEnv(home, sim, "101") });
    expect(run).toMatchObject({ code: 3 });
    expect(parseJsonLines(run.stdout)).toEqual([
      { error: { code: "blocked", message: expect.stringMatching(/blocks addresses/) } },
    ]);
    const logins = (await sim.requests()).filter((r) => r.path.includes("Login"));
    expect(logins).toHaveLength(2);
  });

  test("2FA: without --code exits 3, with a valid code calls", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const env = accountEnv(home, sim, "102", "dial3cx-2fa");
    const without = await runCli(["call", "123", "--json"], { env });
    expect(without).toMatchObject({ code: 3 });
    expect(parseJsonLines(without.stdout)).toEqual([
      { error: { code: "two_factor_required", message: expect.stringMatching(/--code/) } },
    ]);
    const withCode = await runCli(["call", "123", "--code", totpCode()], { env });
    expect(withCode).toMatchObject({ code: 0, stderr: "" });
    expect(withCode.stdout).toBe("Calling 123 on 3CX app (Android) (ext 102)\n");
    expect(await sim.calls()).toEqual([expect.objectContaining({ extension: "102" })]);
  });

  test("a PBX that does not answer exits 5", async ({ expect, onTestFinished }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    await sim.stop();
    const run = await runCli(["call", "123"], { env });
    expect(run).toMatchObject({ code: 5 });
    expect(run.stderr).toMatch(/^dial3cx: Cannot reach the PBX .*connection refused/);
    const json = await runCli(["call", "123", "--json"], { env });
    expect(json).toMatchObject({ code: 5 });
    expect(parseJsonLines(json.stdout)).toEqual([
      { error: { code: "pbx_unreachable", message: expect.any(String) } },
    ]);
  });

  test("no registered device exits 6", async ({ expect, onTestFinished }) => {
    const home = await makeHome(onTestFinished);
    const scenarioFile = await writeTempFile(
      home,
      "scenario.json",
      JSON.stringify({
        extensions: [{ number: "100", password: "dial3cx-demo", firstName: "Nobody", devices: [] }],
      }),
    );
    const sim = await TestSim.start(onTestFinished, {
      scenario: await loadScenarioFile(scenarioFile),
    });
    const run = await runCli(["call", "123"], { env: accountEnv(home, sim) });
    expect(run).toMatchObject({ code: 6 });
    expect(run.stderr).toMatch(/^dial3cx: No device is registered/);
    expect(await sim.calls()).toEqual([]);
  });

  test("not logged in exits 3 and names `dial3cx login`", async ({ expect, onTestFinished }) => {
    const home = await makeHome(onTestFinished);
    const run = await runCli(["call", "123"], { env: home.env });
    expect(run).toMatchObject({ code: 3 });
    expect(run.stderr).toMatch(/dial3cx login/);
    const json = await runCli(["call", "123", "--json"], { env: home.env });
    expect(json).toMatchObject({ code: 3 });
    expect(parseJsonLines(json.stdout)).toEqual([
      { error: { code: "not_logged_in", message: expect.stringMatching(/dial3cx login/) } },
    ]);
  });

  test("no password anywhere exits 3 and names the fixes", async ({ expect, onTestFinished }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const env = { ...accountEnv(home, sim), DIAL3CX_PASSWORD: undefined };
    const run = await runCli(["call", "123"], { env });
    expect(run).toMatchObject({ code: 3 });
    expect(run.stderr).toMatch(/dial3cx login/);
    expect(await sim.requests()).toEqual([]);
  });
});

describe.concurrent("dial3cx call over TLS", () => {
  test("an untrusted certificate exits 5 and says how to fix it", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished, { tls: true });
    const run = await runCli(["call", "123"], { env });
    expect(run).toMatchObject({ code: 5 });
    expect(run.stderr).toMatch(/^dial3cx: [^\n]+\n$/);
    expect(run.stderr).toMatch(/not trusted/);
    expect(run.stderr).toMatch(/dial3cx login/);
    expect(run.stderr).toMatch(/--ca/);
    expect(await sim.requests()).toEqual([]);
  });

  test("--ca FILE trusts it", async ({ expect, onTestFinished }) => {
    const { sim, home, env } = await startSimAndHome(onTestFinished, { tls: true });
    const ca = await writeTempFile(home, "pbx.pem", sim.sim.certPem!);
    const run = await runCli(["call", "123", "--ca", ca], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(await sim.calls()).toHaveLength(1);
  });

  test("DIAL3CX_CA trusts it too", async ({ expect, onTestFinished }) => {
    const { sim, home, env } = await startSimAndHome(onTestFinished, { tls: true });
    const ca = await writeTempFile(home, "pbx.pem", sim.sim.certPem!);
    const run = await runCli(["call", "123"], {
      env: { ...env, DIAL3CX_CA: ca },
    });
    expect(run).toMatchObject({ code: 0, stderr: "" });
  });

  test("--fingerprint pins it", async ({ expect, onTestFinished }) => {
    const { sim, env } = await startSimAndHome(onTestFinished, { tls: true });
    const args = ["call", "123", "--fingerprint", sim.sim.fingerprint!];
    const run = await runCli(args, { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(await sim.calls()).toHaveLength(1);
  });

  test("a wrong --fingerprint exits 5", async ({ expect, onTestFinished }) => {
    const { sim, env } = await startSimAndHome(onTestFinished, { tls: true });
    const wrong = "AB:".repeat(31).concat("AB");
    const run = await runCli(["call", "123", "--fingerprint", wrong], {
      env,
    });
    expect(run).toMatchObject({ code: 5 });
    expect(run.stderr).toMatch(/fingerprint/i);
    expect(await sim.requests()).toEqual([]);
  });

  test("--insecure works and warns loudly", async ({ expect, onTestFinished }) => {
    const { sim, env } = await startSimAndHome(onTestFinished, { tls: true });
    const run = await runCli(["call", "123", "--insecure"], { env });
    expect(run).toMatchObject({ code: 0 });
    expect(run.stderr).toMatch(/^WARNING: TLS certificate verification is OFF/);
    expect(await sim.calls()).toHaveLength(1);
  });
});

describe.concurrent("dial3cx call: warm path", () => {
  test("a second call sends exactly one request to the PBX", async ({ expect, onTestFinished }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    expect(await runCli(["call", "123"], { env })).toMatchObject({ code: 0 });
    const cold = await sim.requests();
    // Cold: login, session, the websocket for MyInfo, RequestMyInfo, MakeCall.
    expect(httpRequests(cold).length).toBeLessThanOrEqual(5);
    const warm = await runCli(["call", "124"], { env });
    expect(warm).toMatchObject({ code: 0, stderr: "" });
    const sent = (await sim.requests()).slice(cold.length);
    expect(sent).toEqual([expect.objectContaining({ messageId: MAKE_CALL, status: 200 })]);
    expect((await sim.calls()).map((c) => c.destination)).toEqual(["123", "124"]);
  });

  test("an expired session: the next call logs in again and places one call", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    expect(await runCli(["call", "123"], { env })).toMatchObject({ code: 0 });
    await sim.faults({ expireSessions: true });
    const before = (await sim.requests()).length;
    const run = await runCli(["call", "124"], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect((await sim.calls()).map((c) => c.destination)).toEqual(["123", "124"]);
    const sent = (await sim.requests()).slice(before);
    // The MakeCall the PBX refused (session gone), a new login, the same MakeCall once more.
    const makeCalls = sent.filter((r) => r.messageId === MAKE_CALL).map((r) => r.status);
    expect(makeCalls).toHaveLength(2);
    expect(makeCalls.filter((status) => status === 200)).toHaveLength(1);
    expect(makeCalls[0]).not.toBe(200);
    expect(sent.length).toBeLessThanOrEqual(5);
  });

  test("expired tokens and refresh tokens: a full login, still one call", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    expect(await runCli(["call", "123"], { env })).toMatchObject({ code: 0 });
    await sim.faults({ expireSessions: true, expireRefreshTokens: true });
    const run = await runCli(["call", "124"], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect((await sim.calls()).map((c) => c.destination)).toEqual(["123", "124"]);
  });

  test("a cache of another PBX is not used", async ({ expect, onTestFinished }) => {
    const first = await TestSim.start(onTestFinished);
    const second = await TestSim.start(onTestFinished);
    const home = await makeHome(onTestFinished);
    expect(await runCli(["call", "123"], { env: accountEnv(home, first) })).toMatchObject({
      code: 0,
    });
    const run = await runCli(["call", "124"], { env: accountEnv(home, second) });
    expect(run).toMatchObject({ code: 0 });
    expect(await first.calls()).toHaveLength(1);
    expect(await second.calls()).toHaveLength(1);
    // The other PBX's session did not evict the first one's: still one request to it.
    const before = (await first.requests()).length;
    const again = await runCli(["call", "125"], { env: accountEnv(home, first) });
    expect(again).toMatchObject({ code: 0 });
    expect((await first.requests()).slice(before)).toEqual([
      expect.objectContaining({ messageId: MAKE_CALL, status: 200 }),
    ]);
  });

  test("a corrupt cache file is ignored", async ({ expect, onTestFinished }) => {
    const { sim, home, env } = await startSimAndHome(onTestFinished);
    expect(await runCli(["call", "123"], { env })).toMatchObject({ code: 0 });
    await writeFile(home.cacheFile, "{not json", { mode: 0o600 });
    const run = await runCli(["call", "124"], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    await rm(join(home.dir, "state"), { recursive: true, force: true });
    expect(await runCli(["call", "125"], { env })).toMatchObject({ code: 0 });
    expect(await sim.calls()).toHaveLength(3);
  });
});

describe.concurrent("dial3cx call on a 3CX V18", () => {
  test("cold then warm: a call each, the warm one a single request", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished, { pbxVersion: 18 });
    const cold = await runCli(["call", "+49 30 123456"], { env });
    expect(cold).toMatchObject({ code: 0, stderr: "" });
    expect(cold.stdout).toBe("Calling +49 30 123456 on Yealink T46S (ext 100)\n");
    const log = await sim.requests();
    // V20 first: its login path answers 404 on V18, then the V18 login.
    expect(log.map((r) => `${r.path} ${r.status}`).slice(0, 2)).toEqual([
      "/webclient/api/Login/GetAccessToken 404",
      "/webclient/api/Login 200",
    ]);
    expect(await runCli(["call", "124"], { env })).toMatchObject({ code: 0, stderr: "" });
    const sent = (await sim.requests()).slice(log.length);
    expect(sent).toEqual([expect.objectContaining({ messageId: MAKE_CALL, status: 200 })]);
    expect((await sim.calls()).map((c) => c.destination)).toEqual(["004930123456", "124"]);
  });

  test("a wrong password exits 3 without a second login attempt", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished, { pbxVersion: 18 });
    const run = await runCli(["call", "123"], { env: accountEnv(home, sim, "101", "wrong") });
    expect(run).toMatchObject({ code: 3, stdout: "" });
    const logins = (await sim.requests()).filter((r) => r.path === "/webclient/api/Login");
    expect(logins).toHaveLength(1);
  });
});
