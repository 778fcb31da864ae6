// End to end, the built CLI against the simulator: `dial3cx watch --notify` pops a notification
// naming the vCard contact who rings (a recording notify-send first on PATH), opens the CRM URL
// with the encoded number (a recording xdg-open), and a missed call's "Call back" places exactly
// one call; `history --missed --json` lists it; `callback` calls back a number and never a caller
// id that is not one.
import { describe, test } from "vitest";
import {
  accountEnv,
  type Cleanup,
  MAKE_CALL,
  makeHome,
  parseJsonLines,
  type RunningCli,
  runCli,
  startCli,
  startSimAndHome,
  type TestSim,
} from "./cli-helpers.js";
import {
  configureAddressBooks,
  notificationTexts,
  StandIns,
  writeConfig,
} from "./desktop-helpers.js";

/** Charlotte Brontë's work number in the vCards of desktop-helpers (CARDS). */
const CHARLOTTE = "+49 40 555123";
const CRM = "https://crm.example.com/search?phone={e164}&name={name}";

async function ring(sim: TestSim, body: Record<string, unknown>): Promise<number> {
  const response = await fetch(new URL("/__sim/calls", sim.url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ to: "100", ...body }),
  });
  return ((await response.json()) as { id: number }).id;
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function startWatching(env: NodeJS.ProcessEnv, cleanup: Cleanup): Promise<RunningCli> {
  const watch = await startCli(["watch", "--notify"], { env });
  cleanup(() => {
    watch.child.kill("SIGKILL");
  });
  // Ready once it says so (after its listeners are on): a call ringing before that is one it
  // finds already up, and tells no "ringing" for.
  let stderr = "";
  watch.child.stderr?.on("data", (chunk: string) => {
    stderr += chunk;
  });
  await until(async () => stderr.includes("Watching extension 100"));
  return watch;
}

/** The calls the extension placed (not the incoming ones). */
async function placedCalls(sim: TestSim) {
  return (await sim.calls()).filter((call) => !("incoming" in call));
}

describe.concurrent("incoming calls on the desktop", { timeout: 60_000 }, () => {
  test("watch --notify names the vCard contact, opens the CRM URL, and Call back dials once", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home, env: base } = await startSimAndHome(onTestFinished);
    const books = await configureAddressBooks(home);
    await writeConfig(
      home,
      `contacts = [${JSON.stringify(books)}]\non_incoming = ${JSON.stringify(CRM)}\n`,
    );
    const standIns = new StandIns(home);
    // Picks "Call back" on every notification that offers it.
    const notifySend = await standIns.add("notify-send", { stdout: "callback\n" });
    const xdgOpen = await standIns.add("xdg-open");
    const env = standIns.env(base);
    const watch = await startWatching(env, onTestFinished);

    await ring(sim, { from: CHARLOTTE, hangupAfter: 300 });
    await watch.line((l) => l.includes("(missed)"));
    await until(async () => (await placedCalls(sim)).length > 0);
    // Time for a second call, if one were (wrongly) coming.
    await new Promise((resolve) => setTimeout(resolve, 500));

    const texts = await notificationTexts(notifySend);
    expect(texts.slice(0, 2)).toEqual([
      "Charlotte Brontë · +49 40 555123 · on Yealink T46S",
      "Missed call: Charlotte Brontë · +49 40 555123",
    ]);
    const runs = await notifySend.runs();
    expect(runs[1]).toContain("--action=callback=Call back");
    // The call back is a clicked link: its own notification says so.
    expect(texts[2]).toBe("Calling Charlotte Brontë (+49 40 555123) on Yealink T46S");
    expect(await placedCalls(sim)).toEqual([
      expect.objectContaining({ destination: "004940555123" }),
    ]);
    expect(await xdgOpen.runs()).toEqual([
      ["https://crm.example.com/search?phone=%2B4940555123&name=Charlotte%20Bront%C3%AB"],
    ]);

    const history = await runCli(["history", "--missed", "--json"], { env });
    expect(history).toMatchObject({ code: 0, stderr: "" });
    const [entries] = parseJsonLines(history.stdout) as Array<Array<Record<string, unknown>>>;
    expect(entries).toEqual([
      {
        direction: "incoming",
        missed: true,
        number: CHARLOTTE,
        name: "Charlotte Brontë",
        time: expect.any(String),
        source: "pbx",
        callback: true,
      },
    ]);

    watch.child.kill("SIGINT");
    expect((await watch.result).code).toBe(0);
  });

  test("a caller id that is not a number is shown as is and never called back", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home, env: base } = await startSimAndHome(onTestFinished);
    const standIns = new StandIns(home);
    const notifySend = await standIns.add("notify-send", { stdout: "callback\n" });
    const env = standIns.env(base);
    const watch = await startWatching(env, onTestFinished);
    await ring(sim, { from: "anonymous", hangupAfter: 100 });
    await watch.line((l) => l.includes("(missed)"));
    await until(async () => (await notifySend.runs()).length >= 2);
    expect(await notificationTexts(notifySend)).toEqual([
      "anonymous · on Yealink T46S",
      "Missed call: anonymous",
    ]);
    expect((await notifySend.runs()).flat().some((arg) => arg.startsWith("--action"))).toBe(false);

    const callback = await runCli(["callback"], { env });
    expect(callback).toMatchObject({
      code: 1,
      stdout: "",
      stderr:
        'dial3cx: Missed call #1 is from "anonymous", which is not a number to call back: nothing dialled.\n',
    });
    const history = await runCli(["history", "--missed"], { env });
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/^ {2}1 {2}\d{4}-\d\d-\d\d \d\d:\d\d {2}missed {4}anonymous\n$/);
    expect(await placedCalls(sim)).toEqual([]);
    expect((await sim.requests()).filter((r) => r.messageId === MAKE_CALL).length).toBe(0);
    watch.child.kill("SIGINT");
    await watch.result;
  });
});

describe.concurrent("dial3cx callback and history", { timeout: 60_000 }, () => {
  test("callback N calls back the Nth missed call; bad N is a usage error", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    // Older: a number; newer: anonymous.
    await ring(sim, { from: "+44 20 7946 0958", hangupAfter: 10 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await ring(sim, { from: "sip:bob@example.com", hangupAfter: 10 });
    await until(async () => (await sim.calls()).every((c) => c.state === "ended"));

    expect(await runCli(["callback", "0"], { env })).toMatchObject({ code: 2 });
    expect(await runCli(["history", "--limit", "x"], { env })).toMatchObject({ code: 2 });
    expect(await runCli(["callback", "3"], { env })).toMatchObject({
      code: 1,
      stderr: "dial3cx: No missed call #3 (there are 2): nothing to call back.\n",
    });
    const called = await runCli(["callback", "2"], { env });
    expect(called).toMatchObject({ code: 0, stderr: "" });
    expect(called.stdout).toBe(
      "Calling Charles Babbage (+44 20 7946 0958) on Yealink T46S (ext 100)\n",
    );
    // A second call back at once is the same click twice: not dialled again.
    const again = await runCli(["callback", "2"], { env });
    expect(again.stdout).toMatch(/^Already calling Charles Babbage/);
    expect(await placedCalls(sim)).toEqual([
      expect.objectContaining({ destination: "00442079460958" }),
    ]);
  });

  test("history lists direction, number, name and time; falls back to the journal", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    const other = await makeHome(onTestFinished);
    await runCli(["call", "+49 30 123456"], { env: accountEnv(other, sim) });
    await until(async () => (await sim.calls()).length === 1);
    const history = await runCli(["history"], { env });
    expect(history).toMatchObject({ code: 0, stdout: "No calls in the history.\n" });
    await sim.faults({ refuseMessages: [106] });
    const refused = await runCli(["history", "--json"], { env });
    expect(refused.code).toBe(0);
    expect(refused.stderr).toMatch(
      /^dial3cx: The PBX did not give its call history \(.*No such request: 106/,
    );
    expect(parseJsonLines(refused.stdout)).toEqual([[]]);
  });
});
