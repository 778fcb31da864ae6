import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeStandIn } from "../desktop/desktop-testing.js";
import { findOnPath } from "../find-on-path.js";
import { choosePicker, pickerArgs, runPicker } from "./picker.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function binDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "dial3cx-picker-"));
  dirs.push(dir);
  return dir;
}

const LINES = ["Ada Lovelace\twork\t+49 30 123456", "Jürgen Müller\tmobile\t0171 2345678"];

describe("choosePicker", () => {
  it("rofi on a display, else fzf, else the built-in prompt", async () => {
    const dir = await binDir();
    expect(await choosePicker(undefined, { PATH: dir, DISPLAY: ":0" })).toBe("builtin");
    await writeStandIn(dir, "fzf");
    expect(await choosePicker(undefined, { PATH: dir, DISPLAY: ":0" })).toBe("fzf");
    await writeStandIn(dir, "rofi");
    expect(await choosePicker(undefined, { PATH: dir, WAYLAND_DISPLAY: "wayland-0" })).toBe("rofi");
    expect(await choosePicker(undefined, { PATH: dir })).toBe("fzf");
  });

  it("--with names one, which must be installed", async () => {
    const dir = await binDir();
    await writeStandIn(dir, "dmenu");
    expect(await choosePicker("dmenu", { PATH: dir })).toBe("dmenu");
    await expect(choosePicker("rofi", { PATH: dir })).rejects.toMatchObject({
      code: "usage",
      message: "rofi is not installed (not found on PATH).",
    });
    await expect(choosePicker("vim", { PATH: dir })).rejects.toMatchObject({ code: "usage" });
  });

  it("finds only executables", async () => {
    const dir = await binDir();
    const tool = await writeStandIn(dir, "fzf");
    expect(await findOnPath("fzf", { PATH: `/nonexistent:${dir}` })).toBe(tool.file);
    expect(await findOnPath("fzf.runs", { PATH: dir })).toBeUndefined();
  });
});

describe("runPicker", () => {
  it("gives the picker the lines on stdin and returns the chosen one", async () => {
    const dir = await binDir();
    const fzf = await writeStandIn(dir, "fzf", { pickLineWith: "Müller" });
    expect(await runPicker("fzf", LINES, { PATH: dir })).toBe(LINES[1]);
    expect(await fzf.runs()).toEqual([pickerArgs("fzf")]);
  });

  it("keeps dial3cx's secrets out of the picker's environment", async () => {
    const dir = await binDir();
    const seen = path.join(dir, "env");
    const script = `#!/bin/sh\ncommand -p env > '${seen}'\ncommand -p head -n 1\n`;
    await writeFile(path.join(dir, "fzf"), script);
    await chmod(path.join(dir, "fzf"), 0o755);
    const env = { PATH: dir, DIAL3CX_PASSWORD: "pw-secret", DIAL3CX_API_KEY: "key-secret" };
    expect(await runPicker("fzf", LINES, env)).toBe(LINES[0]);
    const text = await readFile(seen, "utf8");
    expect(text).toContain(`PATH=${dir}\n`);
    expect(text).not.toMatch(/DIAL3CX_PASSWORD|DIAL3CX_API_KEY|secret/);
  });

  it("nothing chosen (Escape) is undefined", async () => {
    const dir = await binDir();
    await writeStandIn(dir, "fzf", { exitCode: 130 });
    expect(await runPicker("fzf", LINES, { PATH: dir })).toBeUndefined();
    await writeStandIn(dir, "rofi", { pickLineWith: "Nobody" });
    expect(await runPicker("rofi", LINES, { PATH: dir })).toBeUndefined();
  });

  it("a picker that quits without reading its input is no error", async () => {
    const dir = await binDir();
    await writeStandIn(dir, "dmenu", { stdout: "typed 123\n" });
    const many = Array.from({ length: 20_000 }, (_, i) => `Person ${i}\twork\t${i}`);
    expect(await runPicker("dmenu", many, { PATH: dir })).toBe("typed 123");
  });
});
