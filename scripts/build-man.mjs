// The man page dial3cx.1, generated at build time from the commander definitions: each command's
// own --help text (as the built CLI prints it), plus the exit codes from README.md. Written to
// dist/man/dial3cx.1, which package.json's `man` installs.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const MAN_PAGE = path.join(ROOT, "dist", "man", "dial3cx.1");

/** Builds the page from the CLI at `bin` (default: this checkout's) and writes it to `outFile`. */
export function buildMan(outFile = MAN_PAGE, bin = path.join(ROOT, "bin", "dial3cx.js")) {
  const help = (args) =>
    execFileSync(process.execPath, [bin, ...args, "--help"], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", COLUMNS: "80" },
    });
  const version = execFileSync(process.execPath, [bin, "--version"], { encoding: "utf8" }).trim();
  const top = help([]);
  const description = top.split("\n\n")[1]?.trim() ?? "";
  const sections = [];
  const visit = (names) => {
    const text = help(names);
    const subcommands = commandNames(text);
    // A group (`contacts`) is described by its subcommands.
    if (names.length > 0 && subcommands.length === 0) sections.push({ names, text });
    for (const name of subcommands) visit([...names, name]);
  };
  visit([]);
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const exitCodes = /### Exit codes\n\n([\s\S]*?)\n\n/.exec(readme)?.[1] ?? "";
  const lines = [
    `.TH DIAL3CX 1 "" "dial3cx ${version}" "User Commands"`,
    ".SH NAME",
    `dial3cx \\- ${roff(description)}`,
    ".SH SYNOPSIS",
    ".B dial3cx",
    "\\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]",
    ".SH DESCRIPTION",
    roff(description),
    "Every command has its own section below, as `dial3cx help <command>` prints it.",
    ".SH COMMANDS",
    ...sections.flatMap(({ names, text }) => [
      `.SS "dial3cx ${names.join(" ")}"`,
      ".nf",
      ...text.trimEnd().split("\n").map(roffLine),
      ".fi",
    ]),
    ".SH EXIT STATUS",
    roff(exitCodes.replace(/\s*\n\s*/g, " ").replace(/`/g, "")),
    ".SH FILES",
    ".TP",
    ".I $XDG_CONFIG_HOME/dial3cx/config.toml",
    "settings (see README.md)",
    ".TP",
    ".I $XDG_STATE_HOME/dial3cx/session.json",
    "the cached PBX session (mode 0600; never the password)",
    ".SH SEE ALSO",
    "README.md of the dial3cx package",
    "",
  ];
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, lines.join("\n"));
  return outFile;
}

/** The command names listed under "Commands:" in a help text, without `help`. */
function commandNames(text) {
  const block = /\nCommands:\n([\s\S]*?)(?:\n\n|$)/.exec(text)?.[1] ?? "";
  return block
    .split("\n")
    .map((line) => /^ {2}([a-z][\w-]*)/.exec(line)?.[1])
    .filter((name) => name !== undefined && name !== "help");
}

/** Text for a roff paragraph: backslashes escaped, no line starting with a control character. */
function roff(text) {
  return text.replace(/\\/g, "\\e").replace(/^([.'])/gm, "\\&$1");
}

function roffLine(line) {
  return roff(line).replace(/^-/, "\\-");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) buildMan();
