// End to end: `dial3cx open <uri>`, the tel: handler's entry point, through the built CLI against
// the simulator: notifications (a recording notify-send first on PATH), the log file, names from
// vCards, deduplication of double clicks across processes, --confirm, the gateway handoff, and the
// handler installed with the real xdg-mime whose Exec line places the call.
import { execFile, spawn } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { describe, test } from "vitest";
import { parseDesktopExec } from "../src/features/desktop/handler/index.js";
import { appPaths } from "../src/features/settings/paths.js";
import {
  accountEnv,
  type Cleanup,
  cliBin,
  httpRequests,
  MAKE_CALL,
  makeHome,
  runCli,
  startSimAndHome,
} from "./cli-helpers.js";
import {
  configureAddressBooks,
  notificationTexts,
  readLog,
  StandIns,
  startEnvGateway,
  writeConfig,
} from "./desktop-helpers.js";

const ADA = "tel:+49-30-123456";

/** A simulator, a HOME logged in to it, and a recording notify-send first on `env`'s PATH. */
async function withNotifySend(cleanup: Cleanup) {
  const { sim, home, env } = await startSimAndHome(cleanup);
  const standIns = new StandIns(home);
  const notifySend = await standIns.add("notify-send");
  return { sim, home, standIns, notifySend, env: standIns.env(env) };
}

describe.concurrent("dial3cx open", () => {
  test("places the call, names the contact from the vCards, notifies and logs", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home, notifySend, env } = await withNotifySend(onTestFinished);
    await configureAddressBooks(home);

    const run = await runCli(["open", "tel:+49-40-555123"], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    const message = "Calling Charlotte Brontë (+49 40 555123) on Yealink T46S";
    expect(run.stdout).toBe(`${message}\n`);
    expect(await notifySend.runs()).toEqual([
      ["--app-name=dial3cx", "--icon=call-start", "--urgency=normal", "--", message],
    ]);
    expect(await sim.calls()).toEqual([
      expect.objectContaining({
        destination: "004940555123",
        device: expect.stringMatching(/^sip:100@/),
      }),
    ]);

    const [entry, ...more] = await readLog(home);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      msg: message,
      outcome: "called",
      scheme: "tel",
      number: "+49 40 555123",
      name: "Charlotte Brontë",
      via: "session",
      device: "Yealink T46S",
    });
    const logFile = appPaths(home.env).logFile;
    expect((await stat(logFile)).mode & 0o777).toBe(0o600);
    const text = await readFile(logFile, "utf8");
    expect(text).not.toContain("tel:");
    expect(text).not.toContain("dial3cx-demo");
  });

  test("not logged in: the notification says how to fix it", async ({ expect, onTestFinished }) => {
    const home = await makeHome(onTestFinished);
    const standIns = new StandIns(home);
    const notifySend = await standIns.add("notify-send");
    const run = await runCli(["open", ADA], { env: standIns.env(home.env) });
    expect(run).toMatchObject({ code: 3, stdout: "" });
    expect(run.stderr).toBe("dial3cx: Not logged in: run dial3cx login.\n");
    expect(await notifySend.runs()).toEqual([
      expect.arrayContaining(["--urgency=critical", "Not logged in: run dial3cx login."]),
    ]);
    expect(await readLog(home)).toEqual([
      expect.objectContaining({ outcome: "failed", code: "not_logged_in", level: 50 }),
    ]);
  });

  test("a link that is not a number: Cannot dial …, nothing sent", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, notifySend, env } = await withNotifySend(onTestFinished);
    const run = await runCli(["open", "tel:+1-800-FLOWERS"], { env });
    expect(run).toMatchObject({ code: 2 });
    const [text] = await notificationTexts(notifySend);
    expect(text).toMatch(/^Cannot dial "\+1-800-FLOWERS": it contains letters/);
    expect(await sim.requests()).toEqual([]);
  });

  test("without notify-send the outcome is still logged", async ({ expect, onTestFinished }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    // No stand-in, and a PATH without the real notify-send.
    const env = { ...accountEnv(home, sim), PATH: join(home.dir, "no-tools") };
    const run = await runCli(["open", "callto:123"], { env });
    expect(run).toMatchObject({ code: 0, stdout: "Calling 123 on Yealink T46S\n" });
    expect(await readLog(home)).toEqual([
      expect.objectContaining({ outcome: "called", notified: "notify-send not found" }),
    ]);
  });

  test("clicked twice: two handlers started at once dial once", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home, notifySend, env } = await withNotifySend(onTestFinished);
    // A window no loaded test machine outlasts: the third click must fall inside it.
    await writeConfig(home, "dedupe_seconds = 60\n");
    const runs = await Promise.all([
      runCli(["open", ADA], { env }),
      runCli(["open", ADA], { env }),
    ]);
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    expect(await sim.calls()).toHaveLength(1);
    expect((await notificationTexts(notifySend)).sort()).toEqual([
      "Already calling +49 30 123456 (clicked twice)",
      "Calling +49 30 123456 on Yealink T46S",
    ]);
    // The same number written differently is the same call.
    const third = await runCli(["open", "tel:0049301234%2056"], { env });
    expect(third.stdout).toBe("Already calling +49 30 123456 (clicked twice)\n");
    expect(await sim.calls()).toHaveLength(1);
  });

  test("dedupe_seconds: after the window the number is dialled again", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home, env } = await withNotifySend(onTestFinished);
    await writeConfig(home, "dedupe_seconds = 0.5\n");
    expect((await runCli(["open", ADA], { env })).code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await runCli(["open", ADA], { env })).stdout).toMatch(/^Calling /);
    expect(await sim.calls()).toHaveLength(2);
  });

  test("--confirm: Cancel in zenity dials nothing and sends nothing", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, standIns, notifySend, env } = await withNotifySend(onTestFinished);
    const zenity = await standIns.add("zenity", { exitCode: 1 });
    const run = await runCli(["open", ADA, "--confirm"], { env });
    expect(run).toMatchObject({ code: 1, stdout: "Not calling +49 30 123456: cancelled\n" });
    expect(await zenity.runs()).toEqual([
      expect.arrayContaining(["--question", "--text=Call +49 30 123456?"]),
    ]);
    expect(await sim.requests()).toEqual([]);
    expect(await notifySend.runs()).toEqual([]);
    // Cancelled is not dialled: a second click right away asks again.
    await standIns.add("zenity", { exitCode: 0 });
    expect((await runCli(["open", ADA, "--confirm"], { env })).code).toBe(0);
    expect(await sim.calls()).toHaveLength(1);
  });

  test("confirm = true in the config asks too; Call dials", async ({ expect, onTestFinished }) => {
    const { sim, home, standIns, env } = await withNotifySend(onTestFinished);
    await writeConfig(home, "confirm = true\n");
    const zenity = await standIns.add("zenity", { exitCode: 0 });
    const run = await runCli(["open", ADA], { env });
    expect(run).toMatchObject({ code: 0, stdout: "Calling +49 30 123456 on Yealink T46S\n" });
    expect(await zenity.runs()).toHaveLength(1);
    expect(await sim.calls()).toHaveLength(1);
  });

  test("a feature code link is always asked about; Cancel dials nothing", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, standIns, notifySend, env } = await withNotifySend(onTestFinished);
    const zenity = await standIns.add("zenity", { exitCode: 1 });
    // Call forwarding to another number, no --confirm and no confirm in the config.
    const forward = "tel:*21*0049301234%23";
    const run = await runCli(["open", forward], { env });
    expect(run).toMatchObject({ code: 1, stdout: "Not calling *21*0049301234#: cancelled\n" });
    expect(await zenity.runs()).toEqual([
      expect.arrayContaining(["--question", "--text=Dial PBX feature code *21*0049301234#?"]),
    ]);
    expect(await sim.requests()).toEqual([]);
    expect(await notifySend.runs()).toEqual([]);
    // Call in the dialog dials it.
    await standIns.add("zenity", { exitCode: 0 });
    expect((await runCli(["open", forward], { env })).code).toBe(0);
    expect(await sim.calls()).toEqual([
      expect.objectContaining({ destination: "*21*0049301234#" }),
    ]);
  });

  test("a feature code link with no dialog tool is not dialled", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const env = { ...accountEnv(home, sim), PATH: join(home.dir, "no-tools") };
    const run = await runCli(["open", "tel:*21*0049301234%23"], { env });
    expect(run).toMatchObject({
      code: 1,
      stdout:
        "Not calling *21*0049301234#: cannot ask for confirmation (install zenity or kdialog)\n",
    });
    expect(await sim.requests()).toEqual([]);
    expect(await readLog(home)).toEqual([
      expect.objectContaining({ outcome: "cancelled", notified: "notify-send not found" }),
    ]);
  });

  test("insecure = true is in the log and in the notification", async ({
    expect,
    onTestFinished,
  }) => {
    const { home, notifySend, env } = await withNotifySend(onTestFinished);
    await writeConfig(home, "insecure = true\n");
    const run = await runCli(["open", ADA], { env });
    expect(run).toMatchObject({ code: 0, stdout: "Calling +49 30 123456 on Yealink T46S\n" });
    expect(await notifySend.runs()).toEqual([
      [
        "--app-name=dial3cx",
        "--icon=call-start",
        "--urgency=normal",
        "--",
        "Calling +49 30 123456 on Yealink T46S",
        "(TLS verification is OFF)",
      ],
    ]);
    expect(await readLog(home)).toEqual([
      expect.objectContaining({
        level: 40,
        msg: expect.stringMatching(/^TLS certificate verification is OFF \(insecure = true\)/),
      }),
      expect.objectContaining({ outcome: "called" }),
    ]);
  });

  test("with a gateway running, a click is its one MakeCall", async ({
    expect,
    onTestFinished,
  }) => {
    const setup = await withNotifySend(onTestFinished);
    const { sim, home, notifySend } = setup;
    const env = { ...setup.env, XDG_RUNTIME_DIR: join(home.dir, "run") };
    await startEnvGateway(env, onTestFinished);
    const before = (await sim.requests()).length;

    const run = await runCli(["open", ADA], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    const sent = httpRequests((await sim.requests()).slice(before));
    expect(sent).toEqual([expect.objectContaining({ messageId: MAKE_CALL, status: 200 })]);
    expect(await notificationTexts(notifySend)).toEqual(["Calling +49 30 123456 on Yealink T46S"]);
    expect(await readLog(home)).toEqual([expect.objectContaining({ via: "gateway" })]);
    // No session of its own: nothing cached.
    await expect(stat(home.cacheFile)).rejects.toThrow(/ENOENT/);
  });
});

const haveXdgMime = await promisify(execFile)("xdg-mime", ["--version"]).then(
  () => true,
  () => false,
);

describe.runIf(haveXdgMime && process.platform === "linux")("the installed tel: handler", () => {
  test("xdg-mime names dial3cx, and its Exec line places the call", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const standIns = new StandIns(home);
    const notifySend = await standIns.add("notify-send");
    const env = standIns.env({
      ...accountEnv(home, sim),
      XDG_DATA_DIRS: join(home.dir, "system-data"),
      XDG_CONFIG_DIRS: join(home.dir, "system-config"),
      DIAL3CX_EXE: await cliBin(),
      // The Exec line runs bin/dial3cx.js itself: its `#!/usr/bin/env node` needs node on PATH.
      PATH: `${standIns.dir}:${dirname(process.execPath)}:${process.env.PATH}`,
    });
    const install = await runCli(["handler", "install"], { env });
    expect(install).toMatchObject({ code: 0 });

    const query = await promisify(execFile)(
      "xdg-mime",
      ["query", "default", "x-scheme-handler/tel"],
      {
        env,
      },
    );
    expect(query.stdout.trim()).toBe("dial3cx.desktop");
    const desktop = await readFile(
      join(home.dir, "data", "applications", "dial3cx.desktop"),
      "utf8",
    );
    const execLine = desktop.split("\n").find((line) => line.startsWith("Exec="))!;
    const [command, ...args] = parseDesktopExec(execLine, ADA);
    expect(args).toEqual(["open", ADA]);

    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(command!, args, { env, stdio: "ignore" });
      child.once("error", reject);
      child.once("exit", resolve);
    });
    expect(code).toBe(0);
    expect(await sim.calls()).toEqual([expect.objectContaining({ destination: "004930123456" })]);
    expect(await notificationTexts(notifySend)).toEqual(["Calling +49 30 123456 on Yealink T46S"]);
  });
});
