// The user's mimeapps.list (freedesktop.org MIME Applications Associations): where xdg-mime
// records default handlers. dial3cx reads the entry a scheme had before install and, on
// uninstall, puts it back or removes its own, editing only that one line.
import os from "node:os";
import path from "node:path";

export const DEFAULT_APPLICATIONS = "[Default Applications]";

/** The file `xdg-mime default` writes, resolved the way xdg-mime itself does. */
export function mimeappsListPath(env: NodeJS.ProcessEnv): string {
  const configHome = env.XDG_CONFIG_HOME || path.join(homeDir(env), ".config");
  return path.join(configHome, "mimeapps.list");
}

/** `$XDG_DATA_HOME/applications`, resolved the way xdg-mime does. */
export function applicationsDir(env: NodeJS.ProcessEnv): string {
  const dataHome = env.XDG_DATA_HOME || path.join(homeDir(env), ".local", "share");
  return path.join(dataHome, "applications");
}

function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME || os.homedir();
}

/** The raw value (`a.desktop;b.desktop;`) of `mime` under [Default Applications], if any. */
export function readDefaultEntry(text: string, mime: string): string | undefined {
  let inDefaults = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("[")) inDefaults = line.trimEnd() === DEFAULT_APPLICATIONS;
    else if (inDefaults && line.startsWith(`${mime}=`))
      return line.slice(mime.length + 1).trimEnd();
  }
  return undefined;
}

/** The desktop file ids listed in an entry value, in order. */
export function entryApps(value: string): string[] {
  return value
    .split(";")
    .map((app) => app.trim())
    .filter((app) => app !== "");
}

/**
 * `text` with the [Default Applications] entry for `mime` set to `value`, or removed when
 * `value` is undefined. Everything else (other entries, other groups, comments) is kept as is.
 */
export function withDefaultEntry(text: string, mime: string, value: string | undefined): string {
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  let inDefaults = false;
  let lastDefaultsLine = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith("[")) {
      inDefaults = line.trimEnd() === DEFAULT_APPLICATIONS;
      if (inDefaults && lastDefaultsLine < 0) lastDefaultsLine = i;
      continue;
    }
    if (!inDefaults) continue;
    if (line.startsWith(`${mime}=`)) {
      if (value === undefined) lines.splice(i, 1);
      else lines[i] = `${mime}=${value}`;
      return joinLines(lines);
    }
    if (line.trim() !== "" && lastDefaultsLine >= 0) lastDefaultsLine = i;
  }
  if (value === undefined) return text;
  if (lastDefaultsLine >= 0) {
    lines.splice(lastDefaultsLine + 1, 0, `${mime}=${value}`);
  } else {
    if (lines.length > 0 && lines[lines.length - 1]!.trim() !== "") lines.push("");
    lines.push(DEFAULT_APPLICATIONS, `${mime}=${value}`);
  }
  return joinLines(lines);
}

function joinLines(lines: string[]): string {
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}
