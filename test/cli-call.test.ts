// End to end: `dial3cx call` against the simulator — output, --json, --dry-run, device choice,
// --wait, and numbers refused before anything is sent. Failures and the warm path: cli-call-errors.
import { describe, test } from "vitest";
import {
  accountEnv,
  MAKE_CALL,
  makeHome,
  parseJsonLines,
  runCli,
  startCli,
  startSimAndHome,
} from "./cli-helpers.js";

const YEALINK = "sip:100@192.168.178.20:5062;rinstance=a1";
const WINDOWS_APP = "sip:100@192.168.178.34:51470;rinstance=7c1e2f9a4b3d5e60";

describe.concurrent("dial3cx call", () => {
  test("rings the desk phone and places exactly one call", async ({ expect, onTestFinished }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    const run = await runCli(["call", "+49 30 123456"], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toBe("Calling +49 30 123456 on Yealink T46S (ext 100)\n");
    const calls = await sim.calls();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      extension: "100",
      destination: "004930123456",
      device: YEALINK,
    });
  });

  test("--json prints one object describing the call", async ({ expect, onTestFinished }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    const run = await runCli(["call", "+49 30 123456", "--json"], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(parseJsonLines(run.stdout)).toEqual([
      {
        to: "004930123456",
        toE164: "+4930123456",
        display: "+49 30 123456",
        device: "Yealink T46S",
        contact: YEALINK,
        extension: "100",
        state: "dialing",
        via: "session",
        id: expect.any(String),
        duplicate: false,
      },
    ]);
    expect(await sim.calls()).toHaveLength(1);
  });

  test("an unquoted number in several words is one number", async ({ expect, onTestFinished }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    const run = await runCli(["call", "+49", "30", "123456"], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toBe("Calling +49 30 123456 on Yealink T46S (ext 100)\n");
    expect((await sim.calls()).map((c) => c.destination)).toEqual(["004930123456"]);
  });

  test("a name that matches no contact says so, not that it has letters", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    const run = await runCli(["call", "zzyzx"], { env });
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toBe(
      'dial3cx: No contact matches "zzyzx", and it is not a number: check the name (dial3cx contacts search zzyzx) or type the digits.\n',
    );
    expect(await sim.calls()).toEqual([]);
  });

  test("a mistyped --code exits 2 before anything is sent", async ({ expect, onTestFinished }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const env = accountEnv(home, sim, "102");
    const run = await runCli(["call", "123", "--code", "12"], { env });
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toContain("A 2FA code is 6 digits");
    const json = await runCli(["call", "123", "--code", "12345a", "--json"], { env });
    expect(json).toMatchObject({ code: 2, stderr: "" });
    expect(parseJsonLines(json.stdout)).toEqual([
      { error: { code: "usage", message: expect.stringContaining("A 2FA code is 6 digits") } },
    ]);
    expect(await sim.requests()).toEqual([]);
  });

  test("--dry-run shows the number and device and dials nothing", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    const text = await runCli(["call", "+49 (0)30 123456", "--dry-run"], { env });
    expect(text).toMatchObject({ code: 0, stderr: "" });
    expect(text.stdout).toBe(
      "Would call +49 30 123456 (dialling 004930123456) on Yealink T46S (ext 100). Nothing was dialled.\n",
    );
    const json = await runCli(["call", "+49 (0)30 123456", "--dry-run", "--json"], { env });
    expect(json).toMatchObject({ code: 0 });
    expect(parseJsonLines(json.stdout)).toEqual([
      expect.objectContaining({ to: "004930123456", device: "Yealink T46S", dryRun: true }),
    ]);
    expect(await sim.calls()).toEqual([]);
    const sent = (await sim.requests()).filter((r) => r.messageId === MAKE_CALL);
    expect(sent).toEqual([]);
  });

  test.for([
    { device: "2", name: "3CX app (Windows)", contact: WINDOWS_APP },
    { device: "yealink", name: "Yealink T46S", contact: YEALINK },
    { device: WINDOWS_APP, name: "3CX app (Windows)", contact: WINDOWS_APP },
  ])(
    "--device $device rings $name",
    async ({ device, name, contact }, { expect, onTestFinished }) => {
      const { sim, env } = await startSimAndHome(onTestFinished);
      const run = await runCli(["call", "123", "--device", device], { env });
      expect(run).toMatchObject({ code: 0, stderr: "" });
      expect(run.stdout).toBe(`Calling 123 on ${name} (ext 100)\n`);
      expect((await sim.calls()).map((c) => c.device)).toEqual([contact]);
    },
  );

  test("an unknown --device exits 4 and lists the choices", async ({ expect, onTestFinished }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    const run = await runCli(["call", "123", "--device", "nokia"], { env });
    expect(run).toMatchObject({ code: 4 });
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/--device/);
    expect(run.stderr).toContain("1 Yealink T46S");
    expect(run.stderr).toContain("2 3CX app (Windows)");
    const json = await runCli(["call", "123", "--device", "nokia", "--json"], { env });
    expect(json).toMatchObject({ code: 4 });
    expect(parseJsonLines(json.stdout)).toEqual([
      { error: { code: "device_not_found", message: expect.stringContaining("Yealink T46S") } },
    ]);
    expect(await sim.calls()).toEqual([]);
  });

  test("a device from DIAL3CX_DEVICE that matches nothing is not called --device", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const env = { ...accountEnv(home, sim), DIAL3CX_DEVICE: "bogus" };
    const run = await runCli(["call", "123"], { env });
    expect(run).toMatchObject({ code: 4, stdout: "" });
    expect(run.stderr).toMatch(
      /^dial3cx: No registered device matches "bogus": pass --device, one of: 1 Yealink T46S/,
    );
    expect(await sim.calls()).toEqual([]);
  });

  test("--wait --json and Ctrl-C without a terminal: hangs up, stdout stays JSON", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished, { answerAfterMs: 600_000 });
    const cli = await startCli(["call", "123", "--wait", "--json"], { env });
    onTestFinished(() => {
      cli.child.kill("SIGKILL");
    });
    await cli.line((line) => line.includes('"state":"dialing"'));
    cli.child.kill("SIGINT");
    const run = await cli.result;
    expect(run).toMatchObject({ code: 0, stderr: "  hanging up…\n" });
    const states = parseJsonLines(run.stdout).map((line) => (line as { state: string }).state);
    expect(states.at(-1)).toBe("ended");
    expect((await sim.calls()).map((c) => c.state)).toEqual(["ended"]);
  });

  test("--wait follows the call: ringing, connected, ended", async ({ expect, onTestFinished }) => {
    const { sim, env } = await startSimAndHome(onTestFinished, {
      answerAfterMs: 150,
      hangupAfterMs: 150,
    });
    const run = await runCli(["call", "+49 30 123456", "--wait"], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout.split("\n")).toEqual([
      "Calling +49 30 123456 on Yealink T46S (ext 100)",
      "  ringing your phone",
      "  connected",
      expect.stringMatching(/^ {2}ended after 0:0\d$/),
      "",
    ]);
    expect(await sim.calls()).toEqual([expect.objectContaining({ state: "ended" })]);
  });

  test("--wait --json prints one object per state", async ({ expect, onTestFinished }) => {
    const { env } = await startSimAndHome(onTestFinished, {
      answerAfterMs: 100,
      hangupAfterMs: 100,
    });
    const run = await runCli(["call", "123", "--wait", "--json"], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    const states = parseJsonLines(run.stdout).map((line) => (line as { state: string }).state);
    expect(states).toEqual(["dialing", "connected", "ended"]);
  });
});

describe.concurrent("dial3cx call: bad numbers are refused before anything is sent", () => {
  // Plain words ("abc") are looked up as contact names first: see cli-contacts.test.ts.
  const BAD = ["49+30", "tel:+1-800-FLOWERS", "", "12345678901234567890123456789012345", "ftp:123"];

  test.for(BAD)(
    "%j exits 2 with one line on stderr",
    async (number, { expect, onTestFinished }) => {
      const { sim, env } = await startSimAndHome(onTestFinished);
      const run = await runCli(["call", number], { env });
      expect(run).toMatchObject({ code: 2 });
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/^dial3cx: [^\n]+\n$/);
      expect(await sim.requests()).toEqual([]);
    },
  );

  test.for(BAD)("%j with --json: the error object on stdout, exit 2", async (number, ctx) => {
    const { expect, onTestFinished } = ctx;
    const { sim, env } = await startSimAndHome(onTestFinished);
    const run = await runCli(["call", number, "--json"], { env });
    expect(run).toMatchObject({ code: 2 });
    expect(run.stderr).toBe("");
    expect(parseJsonLines(run.stdout)).toEqual([
      { error: { code: "bad_number", message: expect.any(String) } },
    ]);
    expect(await sim.requests()).toEqual([]);
  });

  test("letters: the message says why", async ({ expect, onTestFinished }) => {
    const home = await makeHome(onTestFinished);
    const run = await runCli(["call", "tel:+1-800-FLOWERS"], {
      env: { ...home.env, DIAL3CX_PBX: "http://127.0.0.1:9", DIAL3CX_EXTENSION: "100" },
    });
    expect(run).toMatchObject({ code: 2 });
    expect(run.stderr).toMatch(/letters/);
  });
});
