// Test support for the desktop integration: stand-ins for notify-send, zenity, kdialog, fzf and
// rofi, written as small shell scripts into a directory the tests put first on PATH. Each records
// its argv (one line per run, arguments separated by \x1f) and answers as told. Tests may give a
// PATH of stand-ins only, so the scripts run other tools with `command -p` (the default PATH).
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

export interface StandIn {
  /** The script's path. */
  file: string;
  /** Every run's argv, oldest first. */
  runs(): Promise<string[][]>;
}

export interface StandInBehaviour {
  /** Printed on stdout. */
  stdout?: string;
  exitCode?: number;
  /** Read stdin and print its first line containing this text (an fzf/rofi stand-in). */
  pickLineWith?: string;
  /** Wait this long before answering (e.g. a dialog the user takes time over). */
  delaySeconds?: number;
}

const SEPARATOR = "\x1f";

function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Writes `<dir>/<name>`, a stand-in for the tool of that name. */
export async function writeStandIn(
  dir: string,
  name: string,
  behaviour: StandInBehaviour = {},
): Promise<StandIn> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  const log = `${file}.runs`;
  const lines = [
    "#!/bin/sh",
    `{ printf 'run\\037'; for arg in "$@"; do printf '%s\\037' "$arg"; done; printf '\\n'; } >> ${shQuote(log)}`,
  ];
  // Its own stdio: a sleep left behind when the tool is killed must not hold our pipes open.
  if (behaviour.delaySeconds) {
    lines.push(`command -p sleep ${behaviour.delaySeconds} </dev/null >/dev/null 2>&1`);
  }
  if (behaviour.pickLineWith !== undefined) {
    lines.push(`command -p grep -m 1 -F -- ${shQuote(behaviour.pickLineWith)} || exit 1`);
  }
  if (behaviour.stdout !== undefined) lines.push(`printf '%s' ${shQuote(behaviour.stdout)}`);
  lines.push(`exit ${behaviour.exitCode ?? 0}`, "");
  await writeFile(file, lines.join("\n"));
  await chmod(file, 0o755);
  return {
    file,
    runs: async () => {
      const text = await readFile(log, "utf8").catch(() => "");
      return text
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => line.split(SEPARATOR).slice(1, -1));
    },
  };
}
