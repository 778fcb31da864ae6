// The tel:/callto:/sip: handler on Windows: a per-user URL protocol under
// HKCU\Software\Classes\<scheme> whose shell\open\command runs `node dial3cx.js open "%1"`.
// Install exports whatever key it replaces and uninstall imports it back.
// NOT YET TRIED ON A REAL WINDOWS MACHINE: the generators are unit-tested on what they produce;
// the install and uninstall functions only run on win32 and have never been run.
import { mkdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../../../errors.js";
import { appPaths } from "../../settings/paths.js";
import { SECURE_DIR_MODE } from "../../settings/secure-file.js";
import {
  deleteHandlerState,
  type HandlerState,
  type PreviousDefault,
  readHandlerState,
  writeHandlerState,
} from "./handler-state.js";
import { runTool, ToolFailedError } from "./tools.js";
import {
  type HandlerReport,
  type HandlerStatus,
  type InstallOptions,
  SCHEMES,
  type Scheme,
  type SchemeRestore,
  type UninstallReport,
} from "./types.js";

export interface WindowsLauncher {
  /** Absolute path of node.exe: Windows cannot run a .js file through its shebang. */
  nodePath: string;
  /** Absolute path of bin\dial3cx.js. */
  scriptPath: string;
  confirm?: boolean;
}

export interface RegistryValue {
  /** Full key path, e.g. `HKEY_CURRENT_USER\Software\Classes\tel`. */
  key: string;
  /** Value name; undefined is the key's (Default) value. */
  name?: string;
  /** A REG_SZ string. */
  data: string;
}

export const schemeKey = (scheme: Scheme): string =>
  `HKEY_CURRENT_USER\\Software\\Classes\\${scheme}`;
const commandKey = (scheme: Scheme): string => `${schemeKey(scheme)}\\shell\\open\\command`;

/** The command Windows runs, `%1` being the URL. */
export function windowsCommandLine(launcher: WindowsLauncher): string {
  const confirm = launcher.confirm ? " --confirm" : "";
  return `"${launcher.nodePath}" "${launcher.scriptPath}" open "%1"${confirm}`;
}

export function windowsRegistryValues(
  launcher: WindowsLauncher,
  schemes: readonly Scheme[],
): RegistryValue[] {
  return schemes.flatMap((scheme) => [
    { key: schemeKey(scheme), data: `URL:${scheme}` },
    { key: schemeKey(scheme), name: "URL Protocol", data: "" },
    { key: commandKey(scheme), data: windowsCommandLine(launcher) },
  ]);
}

/** The same values as a .reg file (regedit's format; save it as UTF-16LE with a BOM). */
export function windowsRegFile(values: readonly RegistryValue[]): string {
  const lines = ["Windows Registry Editor Version 5.00"];
  let currentKey: string | undefined;
  for (const value of values) {
    if (value.key !== currentKey) {
      lines.push("", `[${value.key}]`);
      currentKey = value.key;
    }
    const name = value.name === undefined ? "@" : regString(value.name);
    lines.push(`${name}=${regString(value.data)}`);
  }
  return `${lines.join("\r\n")}\r\n`;
}

function regString(text: string): string {
  return `"${text.replace(/[\\"]/g, "\\$&")}"`;
}

/** The same values as `reg add` argv arrays (reg takes the HKCU abbreviation). */
export function windowsRegAddCommands(values: readonly RegistryValue[]): string[][] {
  return values.map((value) => [
    "reg",
    "add",
    shortKey(value.key),
    ...(value.name === undefined ? ["/ve"] : ["/v", value.name]),
    "/t",
    "REG_SZ",
    "/d",
    value.data,
    "/f",
  ]);
}

function shortKey(key: string): string {
  return key.replace(/^HKEY_CURRENT_USER\\/, "HKCU\\");
}

export async function installWindowsHandler(
  options: InstallOptions & { nodePath?: string },
): Promise<HandlerReport> {
  assertPlatform();
  const { env, schemes } = options;
  const launcher: WindowsLauncher = {
    nodePath: options.nodePath ?? process.execPath,
    scriptPath: options.exePath,
    confirm: options.confirm ?? false,
  };
  const oldState = await readHandlerState(env);
  const state: HandlerState = {
    version: 1,
    platform: "win32",
    location: "HKEY_CURRENT_USER\\Software\\Classes",
    schemes: {},
  };
  for (const scheme of schemes) {
    state.schemes[scheme] = await backUpScheme(scheme, launcher, env, oldState);
  }
  await writeHandlerState(env, state);

  for (const argv of windowsRegAddCommands(windowsRegistryValues(launcher, schemes))) {
    await reg(argv.slice(1), env);
  }
  const notes: string[] = [];
  const changes = [];
  for (const scheme of schemes) {
    const previous = state.schemes[scheme]?.previous;
    const now = (await queryCommand(scheme, env)) ?? "";
    changes.push({ scheme, ...(previous ? { previous } : {}), now, isDial3cx: isOurs(now) });
    const choice = await userChoice(scheme, env);
    if (choice !== undefined && choice.toLowerCase() !== scheme) {
      notes.push(
        `Windows sends ${scheme}: links to ${choice} (chosen in Settings > Default apps): pick dial3cx there.`,
      );
    }
  }
  return { platform: "win32", location: state.location, schemes: changes, notes };
}

export async function uninstallWindowsHandler(env: NodeJS.ProcessEnv): Promise<UninstallReport> {
  assertPlatform();
  const state = await readHandlerState(env);
  const schemes: SchemeRestore[] = [];
  const removed: string[] = [];
  for (const scheme of SCHEMES) {
    const record = state?.schemes[scheme];
    if (record === undefined) continue;
    const command = await queryCommand(scheme, env);
    if (command === undefined || !isOurs(command)) {
      schemes.push({ scheme, action: "left" });
      continue;
    }
    await reg(["delete", shortKey(schemeKey(scheme)), "/f"], env);
    removed.push(schemeKey(scheme));
    if (record.backupFile) {
      await reg(["import", record.backupFile], env);
      await rm(record.backupFile, { force: true });
    }
    const now = await queryCommand(scheme, env);
    schemes.push({
      scheme,
      action: record.backupFile ? "restored" : "removed",
      ...(record.previous ? { previous: record.previous } : {}),
      ...(now ? { now } : {}),
    });
  }
  await deleteHandlerState(env);
  const notes = state ? [] : ["dial3cx was not installed as a handler: nothing to undo."];
  return { platform: "win32", removed, schemes, notes };
}

export async function windowsHandlerStatus(env: NodeJS.ProcessEnv): Promise<HandlerStatus> {
  assertPlatform();
  const schemes = [];
  for (const scheme of SCHEMES) {
    const current = await queryCommand(scheme, env);
    schemes.push({ scheme, ...(current ? { current } : {}), isDial3cx: isOurs(current) });
  }
  return {
    platform: "win32",
    location: "HKEY_CURRENT_USER\\Software\\Classes",
    installed: schemes.some((s) => s.isDial3cx),
    schemes,
  };
}

/** Records the command a scheme had, and exports its key so uninstall can import it back. */
async function backUpScheme(
  scheme: Scheme,
  launcher: WindowsLauncher,
  env: NodeJS.ProcessEnv,
  oldState: HandlerState | undefined,
): Promise<PreviousDefault> {
  const previous = await queryCommand(scheme, env);
  if (previous === undefined) return {};
  if (previous === windowsCommandLine(launcher) || isOurs(previous)) {
    return oldState?.schemes[scheme] ?? {};
  }
  const stateDir = appPaths(env).stateDir;
  await mkdir(stateDir, { recursive: true, mode: SECURE_DIR_MODE });
  const backupFile = path.join(stateDir, `handler-previous-${scheme}.reg`);
  await reg(["export", shortKey(schemeKey(scheme)), backupFile, "/y"], env);
  await stat(backupFile);
  return { previous, backupFile };
}

/** dial3cx's command names its script and the `open` subcommand. */
function isOurs(command: string | undefined): boolean {
  return command !== undefined && /dial3cx\.js" open "%1"/i.test(command);
}

async function queryCommand(scheme: Scheme, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return queryValue(shortKey(commandKey(scheme)), ["/ve"], env);
}

/** The ProgId the user picked for the scheme, which Windows prefers over Classes. */
async function userChoice(scheme: Scheme, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const key = `HKCU\\Software\\Microsoft\\Windows\\Shell\\Associations\\UrlAssociations\\${scheme}\\UserChoice`;
  return queryValue(key, ["/v", "ProgId"], env);
}

/** A REG_SZ value, or undefined when the key or value does not exist (reg exits 1). */
async function queryValue(
  key: string,
  valueArgs: string[],
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  try {
    const { stdout } = await runTool("reg", ["query", key, ...valueArgs], env);
    return parseRegQueryValue(stdout);
  } catch (error) {
    if (error instanceof ToolFailedError) return undefined;
    throw error;
  }
}

/**
 * The data of the first value in `reg query` output: `    <name>    REG_SZ    <data>`. Matched on
 * the type column because the name of the default value is localised ("(Default)", "(Standard)").
 */
export function parseRegQueryValue(stdout: string): string | undefined {
  const match = /^ +.*? {4}REG_(?:EXPAND_)?SZ {4}(.*)$/m.exec(stdout.replace(/\r/g, ""));
  return match?.[1];
}

async function reg(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  try {
    await runTool("reg", args, env);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`Setting up the Windows handler failed: ${reason}`);
  }
}

function assertPlatform(): void {
  if (process.platform !== "win32") {
    throw new ConfigError("The Windows handler can only be installed on Windows.");
  }
}
