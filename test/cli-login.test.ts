// End to end: `dial3cx login` (non-interactive, --password-stdin) and `logout`: what they write,
// with which modes, over plain HTTP and TLS, and that a saved login serves the next `call`.
import { existsSync } from "node:fs";
import { appendFile, readFile, stat } from "node:fs/promises";
import { parse } from "smol-toml";
import { describe, test } from "vitest";
import {
  httpRequests,
  MAKE_CALL,
  makeHome,
  parseJsonLines,
  runCli,
  startSimAndHome,
  type TempHome,
  type TestSim,
  writeTempFile,
} from "./cli-helpers.js";

function login(home: TempHome, sim: TestSim, password: string, extra: string[] = []) {
  const args = ["login", "--pbx", sim.url, "--extension", "100", "--password-stdin", ...extra];
  return runCli(args, { env: home.env, stdin: `${password}\n` });
}

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describe.concurrent("dial3cx login", () => {
  test("--password-stdin verifies, saves config.toml and the session, not the password", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const run = await login(home, sim, "dial3cx-demo");
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toBe(
      [
        `Logged in as 100 (Erika Mustermann) on ${sim.url}.`,
        `Settings saved in ${home.configFile}.`,
        "Devices: Yealink T46S, 3CX app (Windows)",
        "",
      ].join("\n"),
    );
    // No Secret Service in the test environment: the user is told where the password must live.
    expect(run.stderr).toMatch(/password was NOT stored/);
    expect(run.stderr).toMatch(/password_command/);
    expect(parse(await readFile(home.configFile, "utf8"))).toEqual({
      pbx: sim.url,
      extension: "100",
    });
    expect(await modeOf(home.configFile)).toBe(0o600);
    expect(await modeOf(home.cacheFile)).toBe(0o600);
    const cache = JSON.parse(await readFile(home.cacheFile, "utf8"));
    expect(cache).toMatchObject({ version: 2, sessions: [{ pbx: sim.url, extension: "100" }] });
    expect(JSON.stringify(cache)).not.toContain("dial3cx-demo");
  });

  test("the next call uses the saved login and session: one request, no password", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    expect(await login(home, sim, "dial3cx-demo")).toMatchObject({ code: 0 });
    const before = (await sim.requests()).length;
    const run = await runCli(["call", "123"], { env: home.env });
    expect(run).toMatchObject({
      code: 0,
      stderr: "",
      stdout: "Calling 123 on Yealink T46S (ext 100)\n",
    });
    const sent = (await sim.requests()).slice(before);
    expect(sent).toEqual([expect.objectContaining({ messageId: MAKE_CALL, status: 200 })]);
  });

  test("--json reports the login", async ({ expect, onTestFinished }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const run = await login(home, sim, "dial3cx-demo", ["--json"]);
    expect(run).toMatchObject({ code: 0 });
    expect(parseJsonLines(run.stdout)).toEqual([
      {
        pbx: sim.url,
        configFile: home.configFile,
        stored: "not-stored",
        extension: "100",
        devices: ["Yealink T46S", "3CX app (Windows)"],
      },
    ]);
  });

  test("a wrong password: exit 3, one login request, nothing saved", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const run = await login(home, sim, "not-the-password");
    expect(run).toMatchObject({ code: 3, stdout: "" });
    expect(run.stderr).toMatch(/will not retry/);
    expect(httpRequests(await sim.requests())).toHaveLength(1);
    expect(existsSync(home.configFile)).toBe(false);
    expect(existsSync(home.cacheFile)).toBe(false);
  });

  test("without a password on stdin or in the environment: exit 2", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const args = ["login", "--pbx", sim.url, "--extension", "100"];
    const run = await runCli(args, { env: home.env });
    expect(run).toMatchObject({ code: 2 });
    expect(run.stderr).toMatch(/--password-stdin/);
    expect(await sim.requests()).toEqual([]);
  });

  test("--password-stdin with nothing on stdin: exit 2, says so", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const args = ["login", "--pbx", sim.url, "--extension", "100", "--password-stdin"];
    const run = await runCli(args, { env: home.env, stdin: "" });
    expect(run).toMatchObject({
      code: 2,
      stdout: "",
      stderr: "dial3cx: Standard input was empty: pipe the password into --password-stdin.\n",
    });
    expect(await sim.requests()).toEqual([]);
    expect(existsSync(home.configFile)).toBe(false);
  });

  test("https:// on a plain-HTTP port: exit 5, says the port does not speak https", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const { host } = new URL(sim.url);
    const https = `https://${host}`;
    const run = await runCli(["login", "--pbx", https, "--extension", "100", "--password-stdin"], {
      env: home.env,
      stdin: "dial3cx-demo\n",
    });
    const says = `${host} does not speak https: check the URL (for a plain-http PBX on this machine, use http://${host}).`;
    expect(run).toMatchObject({ code: 5, stdout: "", stderr: `dial3cx: ${says}\n` });
    // The HTTP layer says the same when a command (not login) meets such a port.
    const env = {
      ...home.env,
      DIAL3CX_PBX: https,
      DIAL3CX_EXTENSION: "100",
      DIAL3CX_PASSWORD: "x",
    };
    const call = await runCli(["call", "123", "--json"], { env });
    expect(call).toMatchObject({ code: 5 });
    expect(parseJsonLines(call.stdout)).toEqual([{ error: { code: "tls", message: says } }]);
    expect(existsSync(home.configFile)).toBe(false);
  });

  test("an untrusted certificate: exit 5, the fingerprint shown, nothing saved", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished, { tls: true });
    const run = await login(home, sim, "dial3cx-demo");
    expect(run).toMatchObject({ code: 5, stdout: "" });
    expect(run.stderr).toContain(`SHA-256 fingerprint: ${sim.sim.fingerprint}`);
    expect(run.stderr).toContain(`--fingerprint ${sim.sim.fingerprint}`);
    expect(await sim.requests()).toEqual([]);
    expect(existsSync(home.configFile)).toBe(false);
  });

  test("--fingerprint pins the certificate in config.toml; later calls use it", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished, { tls: true });
    const fingerprint = sim.sim.fingerprint!;
    const run = await login(home, sim, "dial3cx-demo", ["--fingerprint", fingerprint]);
    expect(run).toMatchObject({ code: 0 });
    expect(parse(await readFile(home.configFile, "utf8"))).toEqual({
      pbx: sim.url,
      extension: "100",
      fingerprint,
    });
    const call = await runCli(["call", "123"], { env: home.env });
    expect(call).toMatchObject({ code: 0, stderr: "" });
    expect(await sim.calls()).toHaveLength(1);
  });

  test("--ca FILE is saved as an absolute path", async ({ expect, onTestFinished }) => {
    const { sim, home } = await startSimAndHome(onTestFinished, { tls: true });
    const ca = await writeTempFile(home, "pbx-ca.pem", sim.sim.certPem!);
    const run = await login(home, sim, "dial3cx-demo", ["--ca", ca]);
    expect(run).toMatchObject({ code: 0 });
    expect(parse(await readFile(home.configFile, "utf8"))).toMatchObject({ ca });
    expect(await runCli(["call", "123"], { env: home.env })).toMatchObject({ code: 0 });
  });
});

describe.concurrent("dial3cx logout", () => {
  test("forgets the settings and the session", async ({ expect, onTestFinished }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    expect(await login(home, sim, "dial3cx-demo")).toMatchObject({ code: 0 });
    expect(existsSync(home.cacheFile)).toBe(true);
    const run = await runCli(["logout"], { env: home.env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toBe("Logged out: session and settings forgotten.\n");
    expect(existsSync(home.cacheFile)).toBe(false);
    const config = parse(await readFile(home.configFile, "utf8"));
    expect(config).toEqual({});
    const call = await runCli(["call", "123"], { env: home.env });
    expect(call).toMatchObject({ code: 3 });
    expect(call.stderr).toMatch(/dial3cx login/);
  });

  test("keeps the user's other settings", async ({ expect, onTestFinished }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    expect(await login(home, sim, "dial3cx-demo")).toMatchObject({ code: 0 });
    await appendFile(home.configFile, 'default_region = "DE"\n');
    const run = await runCli(["logout", "--json"], { env: home.env });
    expect(run).toMatchObject({ code: 0 });
    expect(parseJsonLines(run.stdout)).toEqual([{ loggedOut: true, passwordRemoved: false }]);
    expect(parse(await readFile(home.configFile, "utf8"))).toEqual({ default_region: "DE" });
  });

  test("when not logged in, still succeeds", async ({ expect, onTestFinished }) => {
    const home = await makeHome(onTestFinished);
    const run = await runCli(["logout"], { env: home.env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
  });
});
