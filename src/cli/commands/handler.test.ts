import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { BadInputError } from "../../errors.js";
import { runHandler } from "./handler.js";

const haveXdgMime = await promisify(execFile)("xdg-mime", ["--version"]).then(
  () => true,
  () => false,
);

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function harness() {
  const root = await mkdtemp(path.join(tmpdir(), "dial3cx-handler-cli-"));
  roots.push(root);
  const exe = path.join(root, "bin", "dial3cx");
  await mkdir(path.dirname(exe), { recursive: true });
  await writeFile(exe, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: root,
    XDG_DATA_HOME: path.join(root, "data"),
    XDG_CONFIG_HOME: path.join(root, "config"),
    XDG_STATE_HOME: path.join(root, "state"),
    XDG_DATA_DIRS: path.join(root, "system-data"),
    XDG_CONFIG_DIRS: path.join(root, "system-config"),
    DIAL3CX_EXE: exe,
  };
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const take = (): string => {
    const text = out;
    out = "";
    return text;
  };
  return { root, exe, io: { stdout, stderr, env }, take };
}

describe.runIf(haveXdgMime && process.platform === "linux")("dial3cx handler", () => {
  it("installs, shows the status and uninstalls, in plain words", async () => {
    const h = await harness();
    const desktopFile = path.join(h.root, "data", "applications", "dial3cx.desktop");

    expect(await runHandler("install", { schemes: "tel,sip" }, h.io)).toBe(0);
    expect(h.take()).toBe(
      [
        "dial3cx now handles tel: and sip: links.",
        `Wrote ${desktopFile}`,
        "  tel:     dial3cx.desktop (no default before)",
        "  sip:     dial3cx.desktop (no default before)",
        "Undo with `dial3cx handler uninstall`.",
        "",
      ].join("\n"),
    );

    expect(await runHandler("status", {}, h.io)).toBe(0);
    expect(h.take()).toBe(
      [
        `dial3cx handler installed: ${desktopFile}`,
        "  tel:     dial3cx.desktop  (dial3cx)",
        "  callto:  (none)",
        "  sip:     dial3cx.desktop  (dial3cx)",
        "",
      ].join("\n"),
    );

    expect(await runHandler("uninstall", {}, h.io)).toBe(0);
    expect(h.take()).toBe(
      [
        `Removed ${desktopFile}`,
        "  tel:     dial3cx removed, now (none)",
        "  sip:     dial3cx removed, now (none)",
        "",
      ].join("\n"),
    );

    expect(await runHandler("status", {}, h.io)).toBe(0);
    expect(h.take()).toContain("dial3cx handler not installed");
  });

  it("prints the reports as JSON with --json", async () => {
    const h = await harness();
    await runHandler("install", { schemes: "tel", confirm: true, json: true }, h.io);
    const report = JSON.parse(h.take());
    expect(report).toMatchObject({
      platform: "linux",
      desktopFile: path.join(h.root, "data", "applications", "dial3cx.desktop"),
      schemes: [{ scheme: "tel", now: "dial3cx.desktop", isDial3cx: true }],
      notes: [],
    });
    await runHandler("status", { json: true }, h.io);
    expect(JSON.parse(h.take()).schemes[0]).toEqual({
      scheme: "tel",
      current: "dial3cx.desktop",
      isDial3cx: true,
    });
  });
});

describe("dial3cx handler flags", () => {
  it("rejects a bad --schemes value before touching anything", async () => {
    const h = await harness();
    await expect(runHandler("install", { schemes: "tel,fax" }, h.io)).rejects.toBeInstanceOf(
      BadInputError,
    );
    expect(h.take()).toBe("");
  });

  it("rejects install-only flags on the other actions", async () => {
    const h = await harness();
    await expect(runHandler("status", { schemes: "tel" }, h.io)).rejects.toThrow(
      /--schemes only applies to `dial3cx handler install`/,
    );
    await expect(runHandler("uninstall", { confirm: true }, h.io)).rejects.toThrow(/--confirm/);
  });
});
