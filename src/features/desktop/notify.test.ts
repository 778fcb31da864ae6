import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeStandIn } from "./desktop-testing.js";
import { escapeMarkup, notify, notifySendArgs } from "./notify.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function binDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "dial3cx-notify-"));
  dirs.push(dir);
  return dir;
}

describe("notifySendArgs", () => {
  it("names the app, an icon and the urgency, then the texts after --", () => {
    expect(
      notifySendArgs({ summary: "Calling Ada", body: "<b>x</b> & y", urgency: "low" }),
    ).toEqual([
      "--app-name=dial3cx",
      "--icon=call-start",
      "--urgency=low",
      "--",
      "Calling Ada",
      "&lt;b&gt;x&lt;/b&gt; &amp; y",
    ]);
  });

  it("asks for the actions and waits for one", () => {
    const args = notifySendArgs({
      summary: "Call?",
      actions: [
        { id: "call", label: "Call" },
        { id: "cancel", label: "Cancel" },
      ],
    });
    expect(args).toEqual([
      "--app-name=dial3cx",
      "--icon=call-start",
      "--urgency=normal",
      "--action=call=Call",
      "--action=cancel=Cancel",
      "--wait",
      "--",
      "Call?",
    ]);
  });

  it("keeps a summary that starts with a dash from being read as an option", () => {
    const args = notifySendArgs({ summary: "-u critical" });
    expect(args.indexOf("--")).toBe(args.indexOf("-u critical") - 1);
  });

  it("escapes exactly the markup characters", () => {
    expect(escapeMarkup(`Müller & <Söhne> "GmbH"`)).toBe(`Müller &amp; &lt;Söhne&gt; "GmbH"`);
  });
});

describe("notify", () => {
  it("runs notify-send from PATH with the argv, no shell", async () => {
    const dir = await binDir();
    const tool = await writeStandIn(dir, "notify-send");
    const summary = "Calling O'Brien $(touch /tmp/x) (+1 212 555 0147)";
    const result = await notify({ summary, urgency: "critical" }, { env: { PATH: dir } });
    expect(result).toEqual({ shown: true });
    expect(await tool.runs()).toEqual([
      ["--app-name=dial3cx", "--icon=call-start", "--urgency=critical", "--", summary],
    ]);
  });

  it("keeps dial3cx's secrets out of the tool's environment", async () => {
    const dir = await binDir();
    const seen = path.join(dir, "env");
    await writeFile(path.join(dir, "notify-send"), `#!/bin/sh\ncommand -p env > '${seen}'\n`);
    await chmod(path.join(dir, "notify-send"), 0o755);
    const env = { PATH: dir, DIAL3CX_PASSWORD: "pw-secret", DIAL3CX_API_KEY: "key-secret" };
    expect(await notify({ summary: "Calling Ada" }, { env })).toEqual({ shown: true });
    const text = await readFile(seen, "utf8");
    expect(text).toContain(`PATH=${dir}\n`);
    expect(text).not.toMatch(/DIAL3CX_PASSWORD|DIAL3CX_API_KEY|secret/);
  });

  it("reports the action the user picked", async () => {
    const dir = await binDir();
    await writeStandIn(dir, "notify-send", { stdout: "call\n" });
    const result = await notify(
      { summary: "Call?", actions: [{ id: "call", label: "Call" }] },
      { env: { PATH: dir } },
    );
    expect(result).toEqual({ shown: true, action: "call" });
  });

  it("says why when notify-send is missing or fails, without throwing", async () => {
    const empty = await binDir();
    expect(await notify({ summary: "x" }, { env: { PATH: empty } })).toEqual({
      shown: false,
      problem: "notify-send not found",
    });
    await writeStandIn(empty, "notify-send", { exitCode: 1 });
    expect(await notify({ summary: "x" }, { env: { PATH: empty } })).toMatchObject({
      shown: false,
      problem: expect.stringMatching(/notify-send failed \(1\)/),
    });
  });

  it("runs osascript on macOS with the texts as AppleScript strings", async () => {
    const dir = await binDir();
    const tool = await writeStandIn(dir, "osascript");
    await notify(
      { summary: 'Calling "Ada"', body: "b\\x" },
      { env: { PATH: dir }, platform: "darwin" },
    );
    expect(await tool.runs()).toEqual([
      ["-e", 'display notification "b\\\\x" with title "dial3cx" subtitle "Calling \\"Ada\\""'],
    ]);
  });

  it("shows nothing on Windows", async () => {
    expect(await notify({ summary: "x" }, { env: {}, platform: "win32" })).toMatchObject({
      shown: false,
    });
  });
});
