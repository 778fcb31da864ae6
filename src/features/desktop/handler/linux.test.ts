import { execFile } from "node:child_process";
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../errors.js";
import { DESKTOP_FILE_NAME, parseDesktopEntry, parseDesktopExec } from "./desktop-entry.js";
import { handlerStatePath } from "./handler-state.js";
import { installLinuxHandler, linuxHandlerStatus, uninstallLinuxHandler } from "./linux.js";

const run = promisify(execFile);
const haveTool = (tool: string) =>
  run(tool, ["--version"]).then(
    () => true,
    () => false,
  );
const haveXdgMime = await haveTool("xdg-mime");
const haveXdgOpen = await haveTool("xdg-open");

interface TempDesktop {
  root: string;
  env: NodeJS.ProcessEnv;
  exe: string;
  applications: string;
  mimeapps: string;
}

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

/**
 * A HOME of its own with every XDG directory inside it, system ones included, so neither the
 * machine's handlers nor its desktop (XDG_CURRENT_DESKTOP is not passed) leak into the test.
 */
async function tempDesktop(exeDir = "bin"): Promise<TempDesktop> {
  const root = await mkdtemp(path.join(tmpdir(), "dial3cx-handler-"));
  roots.push(root);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: root,
    XDG_DATA_HOME: path.join(root, "data"),
    XDG_CONFIG_HOME: path.join(root, "config"),
    XDG_STATE_HOME: path.join(root, "state"),
    XDG_DATA_DIRS: path.join(root, "system-data"),
    XDG_CONFIG_DIRS: path.join(root, "system-config"),
  };
  const exe = path.join(root, exeDir, "dial3cx");
  await mkdir(path.dirname(exe), { recursive: true });
  await writeFile(exe, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  const applications = path.join(root, "data", "applications");
  const mimeapps = path.join(root, "config", "mimeapps.list");
  return { root, env, exe, applications, mimeapps };
}

async function queryDefault(env: NodeJS.ProcessEnv, scheme: string): Promise<string> {
  const { stdout } = await run("xdg-mime", ["query", "default", `x-scheme-handler/${scheme}`], {
    env,
  });
  return stdout.trim();
}

/** Another handler, set as the user's default for tel: the way a desktop would. */
async function installOtherHandler(desk: TempDesktop): Promise<void> {
  await mkdir(desk.applications, { recursive: true });
  await writeFile(
    path.join(desk.applications, "other.desktop"),
    "[Desktop Entry]\nType=Application\nName=Other\nExec=/bin/true %u\nMimeType=x-scheme-handler/tel;\n",
  );
  await run("xdg-mime", ["default", "other.desktop", "x-scheme-handler/tel"], { env: desk.env });
}

describe.runIf(haveXdgMime)("Linux handler with the real xdg-mime", () => {
  it("makes dial3cx the default for every scheme and reports it", async () => {
    const desk = await tempDesktop();
    const report = await installLinuxHandler({
      exePath: desk.exe,
      schemes: ["tel", "callto", "sip"],
      env: desk.env,
    });

    expect(await queryDefault(desk.env, "tel")).toBe(DESKTOP_FILE_NAME);
    expect(await queryDefault(desk.env, "callto")).toBe(DESKTOP_FILE_NAME);
    expect(await queryDefault(desk.env, "sip")).toBe(DESKTOP_FILE_NAME);
    expect(report.desktopFile).toBe(path.join(desk.applications, DESKTOP_FILE_NAME));
    expect(report.schemes).toEqual([
      { scheme: "tel", now: DESKTOP_FILE_NAME, isDial3cx: true },
      { scheme: "callto", now: DESKTOP_FILE_NAME, isDial3cx: true },
      { scheme: "sip", now: DESKTOP_FILE_NAME, isDial3cx: true },
    ]);
    expect(report.notes.filter((note) => note.includes("xdg-mime reports"))).toEqual([]);

    const entry = parseDesktopEntry(await readFile(report.desktopFile, "utf8"));
    expect(entry.get("Type")).toBe("Application");
    expect(entry.get("Exec")).toBe(`${desk.exe} open %u`);
    expect(entry.get("MimeType")).toBe(
      "x-scheme-handler/tel;x-scheme-handler/callto;x-scheme-handler/sip;",
    );
    expect(entry.get("NoDisplay")).toBe("true");
    expect(entry.get("Terminal")).toBe("false");
    // update-desktop-database ran: its cache names the handler.
    const cache = await readFile(path.join(desk.applications, "mimeinfo.cache"), "utf8");
    expect(cache).toContain(`x-scheme-handler/tel=${DESKTOP_FILE_NAME};`);
    // The record of previous defaults is private.
    expect((await stat(handlerStatePath(desk.env))).mode & 0o777).toBe(0o600);
  });

  it("shows the status before and after install", async () => {
    const desk = await tempDesktop();
    const before = await linuxHandlerStatus(desk.env);
    expect(before.installed).toBe(false);
    expect(before.schemes.map((s) => s.isDial3cx)).toEqual([false, false, false]);

    await installLinuxHandler({ exePath: desk.exe, schemes: ["tel"], env: desk.env });
    const after = await linuxHandlerStatus(desk.env);
    expect(after.installed).toBe(true);
    expect(after.location).toBe(path.join(desk.applications, DESKTOP_FILE_NAME));
    expect(after.schemes).toEqual([
      { scheme: "tel", current: DESKTOP_FILE_NAME, isDial3cx: true },
      { scheme: "callto", isDial3cx: false },
      { scheme: "sip", isDial3cx: false },
    ]);
  });

  it("restores the previous default on uninstall and removes its own entries", async () => {
    const desk = await tempDesktop();
    await installOtherHandler(desk);
    expect(await queryDefault(desk.env, "tel")).toBe("other.desktop");

    const report = await installLinuxHandler({
      exePath: desk.exe,
      schemes: ["tel", "callto", "sip"],
      env: desk.env,
    });
    expect(report.schemes[0]).toEqual({
      scheme: "tel",
      previous: "other.desktop",
      now: DESKTOP_FILE_NAME,
      isDial3cx: true,
    });
    expect(await queryDefault(desk.env, "tel")).toBe(DESKTOP_FILE_NAME);

    const undo = await uninstallLinuxHandler(desk.env);
    expect(await queryDefault(desk.env, "tel")).toBe("other.desktop");
    expect(await queryDefault(desk.env, "callto")).toBe("");
    expect(undo.schemes).toEqual([
      { scheme: "tel", action: "restored", previous: "other.desktop", now: "other.desktop" },
      { scheme: "callto", action: "removed" },
      { scheme: "sip", action: "removed" },
    ]);
    expect(undo.removed).toEqual([path.join(desk.applications, DESKTOP_FILE_NAME)]);
    expect(await readFile(desk.mimeapps, "utf8")).not.toContain(DESKTOP_FILE_NAME);
    expect(await readdir(path.dirname(handlerStatePath(desk.env)))).toEqual([]);
    expect(await readFile(path.join(desk.applications, "mimeinfo.cache"), "utf8")).not.toContain(
      DESKTOP_FILE_NAME,
    );
  });

  it("keeps the first recorded default when installed twice", async () => {
    const desk = await tempDesktop();
    await installOtherHandler(desk);
    await installLinuxHandler({ exePath: desk.exe, schemes: ["tel"], env: desk.env });
    const again = await installLinuxHandler({
      exePath: desk.exe,
      schemes: ["tel"],
      confirm: true,
      env: desk.env,
    });
    expect(again.schemes[0]?.previous).toBe("other.desktop");
    const entry = parseDesktopEntry(await readFile(again.desktopFile, "utf8"));
    expect(entry.get("Exec")).toBe(`${desk.exe} open %u --confirm`);

    await uninstallLinuxHandler(desk.env);
    expect(await queryDefault(desk.env, "tel")).toBe("other.desktop");
  });

  it("hands back schemes a new install no longer covers", async () => {
    const desk = await tempDesktop();
    await installLinuxHandler({ exePath: desk.exe, schemes: ["tel", "sip"], env: desk.env });
    const report = await installLinuxHandler({
      exePath: desk.exe,
      schemes: ["tel"],
      env: desk.env,
    });
    expect(await queryDefault(desk.env, "tel")).toBe(DESKTOP_FILE_NAME);
    expect(await queryDefault(desk.env, "sip")).toBe("");
    expect(report.notes.join("\n")).toContain("No longer handling sip:");
    expect(parseDesktopEntry(await readFile(report.desktopFile, "utf8")).get("MimeType")).toBe(
      "x-scheme-handler/tel;",
    );
  });

  it("leaves a scheme alone when another handler took it over after install", async () => {
    const desk = await tempDesktop();
    await installLinuxHandler({ exePath: desk.exe, schemes: ["tel"], env: desk.env });
    await installOtherHandler(desk);
    const undo = await uninstallLinuxHandler(desk.env);
    expect(undo.schemes).toEqual([{ scheme: "tel", action: "left", now: "other.desktop" }]);
    expect(await queryDefault(desk.env, "tel")).toBe("other.desktop");
  });

  it("says so when there is nothing to uninstall", async () => {
    const desk = await tempDesktop();
    const undo = await uninstallLinuxHandler(desk.env);
    expect(undo).toEqual({
      platform: "linux",
      removed: [],
      schemes: [],
      notes: ["dial3cx was not installed as a handler: nothing to undo."],
    });
  });

  it("quotes a path with spaces so the Exec line gives back the right argv", async () => {
    const desk = await tempDesktop("my apps/it's $HOME");
    const report = await installLinuxHandler({
      exePath: desk.exe,
      schemes: ["tel"],
      env: desk.env,
    });
    const text = await readFile(report.desktopFile, "utf8");
    const exec = text.split("\n").find((line) => line.startsWith("Exec="));
    expect(exec).toBe(`Exec="${path.dirname(desk.exe).replace("$", "\\\\$")}/dial3cx" open %u`);
    expect(parseDesktopExec(exec!, "tel:+49-30-123456")).toEqual([
      desk.exe,
      "open",
      "tel:+49-30-123456",
    ]);
    expect(report.notes.join("\n")).toContain("has to be quoted");
  });

  it("runs the Exec line with a tel: URI as the launcher would", async () => {
    const desk = await tempDesktop();
    // A stand-in dial3cx that records its argv.
    const argvFile = path.join(desk.root, "argv.json");
    await writeFile(
      desk.exe,
      `#!${process.execPath}\nrequire("node:fs").writeFileSync(${JSON.stringify(argvFile)}, JSON.stringify(process.argv.slice(2)));\n`,
    );
    const report = await installLinuxHandler({
      exePath: desk.exe,
      schemes: ["tel"],
      env: desk.env,
    });
    const exec = parseDesktopEntry(await readFile(report.desktopFile, "utf8")).get("Exec")!;
    const [command, ...args] = parseDesktopExec(exec, "tel:+49-30-123456");
    await run(command!, args, { env: desk.env });
    expect(JSON.parse(await readFile(argvFile, "utf8"))).toEqual(["open", "tel:+49-30-123456"]);
  });

  it.runIf(haveXdgOpen)("is what xdg-open runs for a tel: link, URI verbatim", async () => {
    const desk = await tempDesktop();
    const argvFile = path.join(desk.root, "argv.json");
    await writeFile(
      desk.exe,
      `#!${process.execPath}\nrequire("node:fs").writeFileSync(${JSON.stringify(argvFile)}, JSON.stringify(process.argv.slice(2)));\n`,
    );
    await installLinuxHandler({
      exePath: desk.exe,
      schemes: ["tel"],
      confirm: true,
      env: desk.env,
    });
    // Without a desktop environment xdg-open takes its generic path, which needs a display set
    // (never connected to here).
    await run("xdg-open", ["tel:+49 30%20123456;ext=5"], { env: { ...desk.env, DISPLAY: ":99" } });
    expect(JSON.parse(await readFile(argvFile, "utf8"))).toEqual([
      "open",
      "tel:+49 30%20123456;ext=5",
      "--confirm",
    ]);
  });

  it("notes a missing update-desktop-database instead of failing", async () => {
    const desk = await tempDesktop();
    desk.env.PATH = await pathWithout("update-desktop-database", desk.root);
    const report = await installLinuxHandler({
      exePath: desk.exe,
      schemes: ["tel"],
      env: desk.env,
    });
    expect(await queryDefault(desk.env, "tel")).toBe(DESKTOP_FILE_NAME);
    expect(report.notes.join("\n")).toContain("update-desktop-database was not found");
  });
});

describe("Linux handler errors", () => {
  it("asks for xdg-utils when xdg-mime is missing, before changing anything", async () => {
    const desk = await tempDesktop();
    desk.env.PATH = path.join(desk.root, "empty");
    const install = installLinuxHandler({ exePath: desk.exe, schemes: ["tel"], env: desk.env });
    await expect(install).rejects.toBeInstanceOf(ConfigError);
    await expect(install).rejects.toThrow(/install xdg-utils/);
    await expect(stat(path.join(desk.applications, DESKTOP_FILE_NAME))).rejects.toThrow();
  });

  it("refuses a dial3cx path that is not executable", async () => {
    const desk = await tempDesktop();
    await chmod(desk.exe, 0o644);
    await expect(
      installLinuxHandler({ exePath: desk.exe, schemes: ["tel"], env: desk.env }),
    ).rejects.toThrow(/not an executable file/);
    await expect(
      installLinuxHandler({ exePath: "bin/dial3cx.js", schemes: ["tel"], env: desk.env }),
    ).rejects.toThrow(/must be absolute/);
  });
});

/** A PATH directory holding links to everything on the current PATH except `tool`. */
async function pathWithout(tool: string, root: string): Promise<string> {
  const dir = path.join(root, "path-without");
  await mkdir(dir);
  const seen = new Set<string>([tool]);
  for (const source of (process.env.PATH ?? "").split(":")) {
    const names = await readdir(source).catch(() => [] as string[]);
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      await symlink(path.join(source, name), path.join(dir, name));
    }
  }
  return dir;
}
