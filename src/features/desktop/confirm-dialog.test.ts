import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { confirmCall } from "./confirm-dialog.js";
import { writeStandIn } from "./desktop-testing.js";

const dirs: string[] = [];
/** A session bus address: whether anything listens there is for the stand-ins to say. */
const BUS = { DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" };
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A PATH holding only the stand-ins: no real dialog tool can answer. */
async function binDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "dial3cx-confirm-"));
  dirs.push(dir);
  return dir;
}

describe("confirmCall", () => {
  it("asks with zenity first; OK is a call, with the text as Pango-safe markup", async () => {
    const dir = await binDir();
    const zenity = await writeStandIn(dir, "zenity", { exitCode: 0 });
    const kdialog = await writeStandIn(dir, "kdialog", { exitCode: 1 });
    const answer = await confirmCall("Call Smith & <Co> (+1 212)?", { env: { PATH: dir } });
    expect(answer).toEqual({ answer: "call", via: "zenity" });
    expect(await zenity.runs()).toEqual([
      [
        "--question",
        "--title=dial3cx",
        "--text=Call Smith &amp; &lt;Co&gt; (+1 212)?",
        "--ok-label=Call",
        "--cancel-label=Cancel",
        "--timeout=60",
      ],
    ]);
    expect(await kdialog.runs()).toEqual([]);
  });

  it.for([
    { code: 1, what: "Cancel or a closed window" },
    { code: 5, what: "the timeout" },
    { code: 255, what: "an error (no display)" },
  ])("zenity exiting $code ($what) is no", async ({ code }) => {
    const dir = await binDir();
    await writeStandIn(dir, "zenity", { exitCode: code });
    expect(await confirmCall("Call?", { env: { PATH: dir } })).toEqual({
      answer: "cancel",
      via: "zenity",
    });
  });

  it("uses kdialog when zenity is not installed", async () => {
    const dir = await binDir();
    const kdialog = await writeStandIn(dir, "kdialog", { exitCode: 0 });
    expect(await confirmCall("Call Ada?", { env: { PATH: dir } })).toEqual({
      answer: "call",
      via: "kdialog",
    });
    expect(await kdialog.runs()).toEqual([
      ["--title", "dial3cx", "--yes-label", "Call", "--no-label", "Cancel", "--yesno", "Call Ada?"],
    ]);
  });

  it("falls back to a notification with Call and Cancel buttons", async () => {
    const dir = await binDir();
    const notifySend = await writeStandIn(dir, "notify-send", { stdout: "call\n" });
    expect(await confirmCall("Call Ada?", { env: { PATH: dir, ...BUS } })).toEqual({
      answer: "call",
      via: "notify-send",
    });
    const [argv] = await notifySend.runs();
    expect(argv).toEqual(expect.arrayContaining(["--action=call=Call", "--action=cancel=Cancel"]));
  });

  it("a dismissed notification is no", async () => {
    const dir = await binDir();
    await writeStandIn(dir, "notify-send", { stdout: "" });
    expect((await confirmCall("Call?", { env: { PATH: dir, ...BUS } })).answer).toBe("cancel");
  });

  it("asks the notification server first: without buttons, unavailable at once", async () => {
    const dir = await binDir();
    const notifySend = await writeStandIn(dir, "notify-send", { delaySeconds: 20 });
    const gdbus = await writeStandIn(dir, "gdbus", { stdout: "(['body', 'body-markup'],)\n" });
    const started = Date.now();
    const env = { PATH: dir, ...BUS };
    expect(await confirmCall("Call?", { env })).toEqual({
      answer: "unavailable",
      via: "zenity, kdialog, notify-send (the notification server shows no buttons)",
    });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await notifySend.runs()).toEqual([]);
    expect((await gdbus.runs())[0]).toContain("org.freedesktop.Notifications.GetCapabilities");
    // A server with actions is used.
    await writeStandIn(dir, "gdbus", { stdout: "(['actions', 'body'],)\n" });
    await writeStandIn(dir, "notify-send", { stdout: "call\n" });
    expect((await confirmCall("Call?", { env })).answer).toBe("call");
  });

  it("no session bus: unavailable at once, notify-send never waited for", async () => {
    const dir = await binDir();
    const notifySend = await writeStandIn(dir, "notify-send", { delaySeconds: 20 });
    const env = { PATH: dir, DBUS_SESSION_BUS_ADDRESS: "disabled:" };
    expect(await confirmCall("Call?", { env })).toEqual({
      answer: "unavailable",
      via: "zenity, kdialog, notify-send (no desktop session bus)",
    });
    expect(await notifySend.runs()).toEqual([]);
  });

  it("no tool at all: unavailable (the caller does not dial)", async () => {
    const dir = await binDir();
    expect((await confirmCall("Call?", { env: { PATH: dir } })).answer).toBe("unavailable");
  });

  it("no answer within the time is no", async () => {
    const dir = await binDir();
    await writeStandIn(dir, "kdialog", { delaySeconds: 5 });
    const started = Date.now();
    const answer = await confirmCall("Call?", { env: { PATH: dir }, timeoutMs: 300 });
    expect(answer).toEqual({ answer: "cancel", via: "kdialog" });
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it("on macOS, only a pressed Call button (not a timeout) is yes", async () => {
    const dir = await binDir();
    await writeStandIn(dir, "osascript", { stdout: "button returned:Call, gave up:false\n" });
    const env = { PATH: dir };
    expect((await confirmCall("Call?", { env, platform: "darwin" })).answer).toBe("call");
    await writeStandIn(dir, "osascript", { stdout: "button returned:, gave up:true\n" });
    expect((await confirmCall("Call?", { env, platform: "darwin" })).answer).toBe("cancel");
  });
});
