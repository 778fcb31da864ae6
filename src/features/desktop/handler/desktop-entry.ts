// Desktop Entry files (freedesktop.org Desktop Entry Specification 1.5): writing dial3cx's
// handler entry with its `Exec` line quoted by the spec's rules, and reading an `Exec` line back
// into the argv a launcher would run for a URI, the way the end-to-end tests check it.
import { BadInputError, ConfigError } from "../../../errors.js";
import type { Scheme } from "./types.js";

export const DESKTOP_FILE_NAME = "dial3cx.desktop";

/** Characters the spec reserves: an argument containing one must be quoted. */
const RESERVED = /[ \t\n"'\\><~|&;$*?#()`]/;

/**
 * One Exec argument as it is written in the file. Quoting is only added when the spec requires
 * it, because xdg-utils' own fallback (xdg-mime's check that the handler exists, and xdg-open
 * without a desktop environment) splits Exec on spaces and does not understand quotes.
 */
export function quoteExecArg(arg: string): string {
  if (hasControlCharacter(arg)) {
    throw new ConfigError(
      `Cannot write ${JSON.stringify(arg)} in a desktop file: it contains a control character.`,
    );
  }
  const quoted = arg === "" || RESERVED.test(arg) ? `"${arg.replace(/["`$\\]/g, "\\$&")}"` : arg;
  // `%` starts a field code, so a literal one is doubled. Then the string-level escape rule
  // (applied by readers before unquoting) doubles every backslash once more.
  return quoted.replace(/%/g, "%%").replace(/\\/g, "\\\\");
}

/** Control characters would need string-level escapes that no launcher agrees on. */
export function hasControlCharacter(text: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point.
  return /[\u0000-\u001f\u007f]/.test(text);
}

/** The value of the Exec key: `<exe> open %u`, plus `--confirm` when asked. */
export function buildExecValue(exePath: string, confirm = false): string {
  const parts = [quoteExecArg(exePath), "open", "%u"];
  if (confirm) parts.push("--confirm");
  return parts.join(" ");
}

export interface DesktopEntryOptions {
  exePath: string;
  schemes: Scheme[];
  confirm?: boolean;
}

export function desktopEntryText(options: DesktopEntryOptions): string {
  const mimeTypes = options.schemes.map((scheme) => `x-scheme-handler/${scheme};`).join("");
  return [
    "[Desktop Entry]",
    "Type=Application",
    "Name=dial3cx",
    "Comment=Click-to-call on your 3CX desk phone",
    `Exec=${buildExecValue(options.exePath, options.confirm)}`,
    `MimeType=${mimeTypes}`,
    "NoDisplay=true",
    "Terminal=false",
    "",
  ].join("\n");
}

/**
 * The keys of the `[Desktop Entry]` group, values with the string-level escapes still in
 * place (as the Exec parser expects them). Other groups, comments and blank lines are skipped.
 */
export function parseDesktopEntry(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  let inMainGroup = false;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("[")) {
      inMainGroup = line === "[Desktop Entry]";
      continue;
    }
    const equals = line.indexOf("=");
    if (!inMainGroup || equals < 0) continue;
    const key = line.slice(0, equals).trim();
    // The first occurrence wins; the spec forbids duplicates anyway.
    if (!entries.has(key)) entries.set(key, line.slice(equals + 1).trimStart());
  }
  return entries;
}

/**
 * The argv a spec-following launcher runs for `uri`, from an Exec value (or a whole `Exec=` line).
 * `%u %U %f %F` become the URI as one argument, `%%` a percent sign; `%i %c %k` and the
 * deprecated codes expand to nothing (this entry has no icon). Without a URI field code the URI
 * is appended, as xdg-open does.
 */
export function parseDesktopExec(line: string, uri: string): string[] {
  const value = line.replace(/^\s*Exec\s*=\s*/, "");
  const argv: string[] = [];
  let placedUri = false;
  for (const token of splitExecValue(unescapeString(value))) {
    if (!token.quoted && /^%[uUfF]$/.test(token.text)) {
      argv.push(uri);
      placedUri = true;
      continue;
    }
    if (!token.quoted && /^%[ickdDnNvm]$/.test(token.text)) continue;
    const expanded = expandFieldCodes(token.text, uri);
    placedUri ||= expanded.placedUri;
    argv.push(expanded.text);
  }
  if (argv.length === 0) throw new BadInputError("The Exec line is empty.", "usage");
  if (!placedUri) argv.push(uri);
  return argv;
}

/** The string-type escapes (`\s \n \t \r \\`), applied before the Exec quoting rules. */
function unescapeString(value: string): string {
  const replacements: Record<string, string> = { s: " ", n: "\n", t: "\t", r: "\r", "\\": "\\" };
  return value.replace(/\\(.)/g, (whole, char: string) => replacements[char] ?? whole);
}

interface ExecToken {
  text: string;
  /** Any part of it was inside double quotes: field codes there are not expanded. */
  quoted: boolean;
}

function splitExecValue(value: string): ExecToken[] {
  const tokens: ExecToken[] = [];
  let current: ExecToken | undefined;
  let inQuotes = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (inQuotes) {
      const next = value[i + 1];
      if (char === "\\" && next !== undefined && '"`$\\'.includes(next)) {
        current!.text += next;
        i++;
      } else if (char === '"') {
        inQuotes = false;
      } else {
        current!.text += char;
      }
    } else if (char === " " || char === "\t") {
      if (current) tokens.push(current);
      current = undefined;
    } else {
      current ??= { text: "", quoted: false };
      if (char === '"') {
        inQuotes = true;
        current.quoted = true;
      } else {
        current.text += char;
      }
    }
  }
  if (inQuotes) throw new BadInputError("The Exec line has an unterminated quote.", "usage");
  if (current) tokens.push(current);
  return tokens;
}

function expandFieldCodes(text: string, uri: string): { text: string; placedUri: boolean } {
  let placedUri = false;
  const expanded = text.replace(/%(.?)/g, (_whole, code: string) => {
    if (code === "%") return "%";
    if ("uUfF".includes(code) && code !== "") {
      placedUri = true;
      return uri;
    }
    if (code !== "" && "ickdDnNvm".includes(code)) return "";
    throw new BadInputError(`The Exec line has an invalid field code "%${code}".`, "usage");
  });
  return { text: expanded, placedUri };
}
