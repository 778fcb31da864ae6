// The tel:/callto:/sip: handler on Linux and other XDG desktops: a NoDisplay desktop file in
// $XDG_DATA_HOME/applications, made the default through xdg-mime (which writes the user's
// mimeapps.list). Install records each scheme's previous default first; uninstall puts it back.
import { constants } from "node:fs";
import { access, mkdir, open, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../../../errors.js";
import { readIfExists } from "../../settings/secure-file.js";
import { DESKTOP_FILE_NAME, desktopEntryText, quoteExecArg } from "./desktop-entry.js";
import {
  deleteHandlerState,
  type HandlerState,
  type PreviousDefault,
  readHandlerState,
  writeHandlerState,
} from "./handler-state.js";
import {
  applicationsDir,
  entryApps,
  mimeappsListPath,
  readDefaultEntry,
  withDefaultEntry,
} from "./mimeapps.js";
import { runTool, ToolFailedError, ToolMissingError } from "./tools.js";
import {
  type HandlerReport,
  type HandlerStatus,
  type InstallOptions,
  SCHEMES,
  type Scheme,
  type SchemeChange,
  type SchemeRestore,
  type UninstallAction,
  type UninstallReport,
} from "./types.js";

export interface LinuxHandlerReport extends HandlerReport {
  desktopFile: string;
}

export const schemeMimeType = (scheme: Scheme): string => `x-scheme-handler/${scheme}`;

export async function installLinuxHandler(options: InstallOptions): Promise<LinuxHandlerReport> {
  const { env, schemes } = options;
  await checkExecutable(options.exePath);
  // Built first: a path that cannot be written in a desktop file stops us before any change.
  const entryText = desktopEntryText(options);
  const dir = applicationsDir(env);
  const desktopFile = path.join(dir, DESKTOP_FILE_NAME);
  const before = await queryDefaults(schemes, env);
  const mimeappsText = (await readIfExists(mimeappsListPath(env))) ?? "";
  const oldState = await readHandlerState(env);
  const dropped = SCHEMES.filter(
    (scheme) => oldState?.schemes[scheme] !== undefined && !schemes.includes(scheme),
  );

  const state: HandlerState = { version: 1, platform: "linux", location: desktopFile, schemes: {} };
  for (const scheme of schemes) {
    state.schemes[scheme] = previousDefault(scheme, before.get(scheme), mimeappsText, oldState);
  }
  // Schemes this install no longer covers keep their record until they are handed back below.
  for (const scheme of dropped) state.schemes[scheme] = oldState?.schemes[scheme];
  await writeHandlerState(env, state);

  await writeFileAtomic(desktopFile, entryText);
  for (const scheme of schemes) {
    await xdgMime(["default", DESKTOP_FILE_NAME, schemeMimeType(scheme)], env);
  }
  const notes = await updateDesktopDatabase(dir, env);
  if (dropped.length > 0) {
    await releaseSchemes(dropped, state, env);
    for (const scheme of dropped) delete state.schemes[scheme];
    await writeHandlerState(env, state);
    notes.push(
      `No longer handling ${dropped.map((s) => `${s}:`).join(", ")} (previous defaults put back).`,
    );
  }

  const after = await queryDefaults(schemes, env);
  const changes: SchemeChange[] = schemes.map((scheme) => {
    const previous = state.schemes[scheme]?.previous;
    const now = after.get(scheme) ?? "";
    return { scheme, ...(previous ? { previous } : {}), now, isDial3cx: now === DESKTOP_FILE_NAME };
  });
  notes.push(...defaultsNotTaken(changes), ...(await launchNotes(options.exePath)));
  return { platform: "linux", location: desktopFile, desktopFile, schemes: changes, notes };
}

export async function uninstallLinuxHandler(env: NodeJS.ProcessEnv): Promise<UninstallReport> {
  const state = await readHandlerState(env);
  const notes: string[] = [];
  const actions = await releaseSchemes(SCHEMES, state, env);

  const removed: string[] = [];
  const dir = applicationsDir(env);
  const candidates = new Set([path.join(dir, DESKTOP_FILE_NAME)]);
  // Only ever a file named dial3cx.desktop, even if the record says otherwise.
  if (state && path.basename(state.location) === DESKTOP_FILE_NAME) candidates.add(state.location);
  for (const file of candidates) {
    if (await exists(file)) {
      await rm(file, { force: true });
      removed.push(file);
    }
  }
  if (removed.length > 0) notes.push(...(await updateDesktopDatabase(dir, env)));
  await deleteHandlerState(env);

  const now = await queryDefaultsForReport(env, notes);
  const schemes: SchemeRestore[] = SCHEMES.flatMap((scheme) => {
    const action = actions.get(scheme);
    if (action === undefined) return [];
    const previous = state?.schemes[scheme]?.previous;
    const current = now.get(scheme);
    return [
      { scheme, action, ...(previous ? { previous } : {}), ...(current ? { now: current } : {}) },
    ];
  });
  if (removed.length === 0 && schemes.length === 0) {
    notes.push("dial3cx was not installed as a handler: nothing to undo.");
  }
  return { platform: "linux", removed, schemes, notes };
}

export async function linuxHandlerStatus(env: NodeJS.ProcessEnv): Promise<HandlerStatus> {
  const desktopFile = path.join(applicationsDir(env), DESKTOP_FILE_NAME);
  const current = await queryDefaults(SCHEMES, env);
  return {
    platform: "linux",
    location: desktopFile,
    installed: await exists(desktopFile),
    schemes: SCHEMES.map((scheme) => {
      const handler = current.get(scheme);
      return {
        scheme,
        ...(handler ? { current: handler } : {}),
        isDial3cx: handler === DESKTOP_FILE_NAME,
      };
    }),
  };
}

/** What to record for a scheme before dial3cx takes it over. */
function previousDefault(
  scheme: Scheme,
  queried: string | undefined,
  mimeappsText: string,
  oldState: HandlerState | undefined,
): PreviousDefault {
  const userEntry = readDefaultEntry(mimeappsText, schemeMimeType(scheme));
  // Installing again: dial3cx is not "the previous default"; keep what the first install saw.
  if (userEntry !== undefined && entryApps(userEntry)[0] === DESKTOP_FILE_NAME) {
    return oldState?.schemes[scheme] ?? {};
  }
  return {
    ...(queried && queried !== DESKTOP_FILE_NAME ? { previous: queried } : {}),
    ...(userEntry !== undefined ? { userEntry } : {}),
  };
}

/**
 * Hands each scheme back: where dial3cx is still the user's default, the recorded mimeapps.list
 * entry is written back, or dial3cx's entry removed when there was none (the system default
 * then applies again). A scheme someone else has taken over since is left alone.
 */
async function releaseSchemes(
  schemes: readonly Scheme[],
  state: HandlerState | undefined,
  env: NodeJS.ProcessEnv,
): Promise<Map<Scheme, UninstallAction>> {
  const file = mimeappsListPath(env);
  const original = await readIfExists(file);
  let text = original ?? "";
  const actions = new Map<Scheme, UninstallAction>();
  for (const scheme of schemes) {
    const mime = schemeMimeType(scheme);
    const record = state?.schemes[scheme];
    const apps = entryApps(readDefaultEntry(text, mime) ?? "");
    if (!apps.includes(DESKTOP_FILE_NAME)) {
      if (record !== undefined) actions.set(scheme, "left");
      continue;
    }
    const others = apps.filter((app) => app !== DESKTOP_FILE_NAME);
    const withoutUs = others.length > 0 ? `${others.join(";")};` : undefined;
    if (apps[0] !== DESKTOP_FILE_NAME) {
      text = withDefaultEntry(text, mime, withoutUs);
      actions.set(scheme, "left");
    } else if (record?.userEntry !== undefined) {
      text = withDefaultEntry(text, mime, record.userEntry);
      actions.set(scheme, "restored");
    } else {
      text = withDefaultEntry(text, mime, withoutUs);
      actions.set(scheme, "removed");
    }
  }
  if (original !== undefined && text !== original) await writeFile(file, text);
  return actions;
}

async function queryDefaults(
  schemes: readonly Scheme[],
  env: NodeJS.ProcessEnv,
): Promise<Map<Scheme, string | undefined>> {
  const result = new Map<Scheme, string | undefined>();
  for (const scheme of schemes) {
    const { stdout } = await xdgMime(["query", "default", schemeMimeType(scheme)], env);
    const handler = stdout.split("\n", 1)[0]?.trim();
    result.set(scheme, handler === "" ? undefined : handler);
  }
  return result;
}

/** Uninstall still works without xdg-mime; the report just cannot say what applies now. */
async function queryDefaultsForReport(
  env: NodeJS.ProcessEnv,
  notes: string[],
): Promise<Map<Scheme, string | undefined>> {
  try {
    return await queryDefaults(SCHEMES, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    notes.push(error.message);
    return new Map();
  }
}

async function xdgMime(args: string[], env: NodeJS.ProcessEnv) {
  try {
    return await runTool("xdg-mime", args, env);
  } catch (error) {
    if (error instanceof ToolMissingError) {
      throw new ConfigError(
        "xdg-mime was not found: install xdg-utils (Debian/Ubuntu: `sudo apt install xdg-utils`), then try again.",
      );
    }
    if (error instanceof ToolFailedError) throw new ConfigError(error.message);
    throw error;
  }
}

/** Refreshes mimeinfo.cache, which some desktops list handlers from. Optional: notes only. */
async function updateDesktopDatabase(dir: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  try {
    await runTool("update-desktop-database", [dir], env);
    return [];
  } catch (error) {
    if (error instanceof ToolMissingError) {
      return [
        "update-desktop-database was not found (Debian/Ubuntu: desktop-file-utils): skipped; the default set through xdg-mime works without it.",
      ];
    }
    if (error instanceof ToolFailedError) return [`Skipped refreshing the cache: ${error.message}`];
    throw error;
  }
}

function defaultsNotTaken(changes: SchemeChange[]): string[] {
  return changes
    .filter((change) => !change.isDial3cx)
    .map(
      (change) =>
        `xdg-mime reports ${change.now || "no handler"} for ${change.scheme}: links, not dial3cx. ` +
        "A desktop-specific setting (such as ~/.config/<desktop>-mimeapps.list) may take precedence.",
    );
}

/** Warnings about things that would make a click fail silently later, when no terminal is open. */
async function launchNotes(exePath: string): Promise<string[]> {
  const notes: string[] = [];
  if (quoteExecArg(exePath) !== exePath) {
    notes.push(
      `The path ${exePath} has to be quoted in the desktop file. Desktops that follow the spec ` +
        "(GNOME, KDE, Xfce) handle that, but xdg-open without a desktop environment splits it at " +
        "spaces: installing dial3cx under a path without spaces avoids this.",
    );
  }
  if ((await firstLine(exePath)).startsWith("#!/usr/bin/env node") && !(await nodeOnSystemPath())) {
    notes.push(
      `${exePath} runs \`node\` from PATH, and there is none in /usr/local/bin, /usr/bin or /bin. ` +
        `If your desktop session's PATH lacks ${path.dirname(process.execPath)}, clicks will fail: ` +
        `link it (\`sudo ln -s ${process.execPath} /usr/local/bin/node\`) or add it to PATH in ~/.profile.`,
    );
  }
  return notes;
}

async function nodeOnSystemPath(): Promise<boolean> {
  for (const dir of ["/usr/local/bin", "/usr/bin", "/bin"]) {
    if (await isExecutable(path.join(dir, "node"))) return true;
  }
  return false;
}

async function firstLine(file: string): Promise<string> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(128);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString("utf8").split("\n", 1)[0] ?? "";
  } finally {
    await handle.close();
  }
}

async function checkExecutable(exePath: string): Promise<void> {
  if (!path.isAbsolute(exePath)) {
    throw new ConfigError(`The dial3cx path must be absolute, got ${exePath}.`);
  }
  if (!(await isExecutable(exePath))) {
    throw new ConfigError(
      `${exePath} is not an executable file: the desktop would not be able to start it (try \`chmod +x ${exePath}\`).`,
    );
  }
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** The desktop file is not secret (0644), but a half-written one must never be read. */
async function writeFileAtomic(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temp, text, { mode: 0o644 });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
