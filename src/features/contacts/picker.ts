// External pickers for `dial3cx pick`: rofi, fzf or dmenu read the candidates as lines on stdin
// and print the chosen line. Which one runs by default: rofi when a display is set and rofi is
// installed, else fzf when installed, else the built-in prompt (the CLI's, in a terminal).
import { spawn } from "node:child_process";
import { BadInputError } from "../../errors.js";
import { findOnPath } from "../find-on-path.js";
import { withoutSecrets } from "../settings/secrets.js";

export const PICKERS = ["fzf", "rofi", "dmenu"] as const;
export type PickerName = (typeof PICKERS)[number];

/** The argv of each picker: a prompt, case-insensitive where it is an option. */
export function pickerArgs(name: PickerName): string[] {
  switch (name) {
    case "rofi":
      return ["-dmenu", "-i", "-p", "Call"];
    case "fzf":
      // Search names and numbers, not the type column.
      return ["--prompt=Call> ", "--delimiter=\t", "--nth=1,3", "--no-multi"];
    case "dmenu":
      return ["-i", "-l", "20", "-p", "Call"];
  }
}

/** `--with`, else the default order; "builtin" when no external picker is there. */
export async function choosePicker(
  requested: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<PickerName | "builtin"> {
  if (requested !== undefined) {
    if (!(PICKERS as readonly string[]).includes(requested)) {
      throw new BadInputError(`--with must be one of ${PICKERS.join(", ")}.`, "usage");
    }
    if (!(await findOnPath(requested, env))) {
      throw new BadInputError(`${requested} is not installed (not found on PATH).`, "usage");
    }
    return requested as PickerName;
  }
  const display = Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
  if (display && (await findOnPath("rofi", env))) return "rofi";
  if (await findOnPath("fzf", env)) return "fzf";
  return "builtin";
}

/**
 * Runs the picker over `lines`; the chosen line, or undefined when the user chose nothing
 * (Escape: fzf exits 130 or 1, rofi and dmenu 1 with nothing on stderr). A picker that fails (fzf's
 * exit 2, or any other non-zero exit with a message on stderr, e.g. rofi without a display) is an
 * error naming the picker and its message, never taken for a cancel. Its interface goes to the
 * terminal or the display; dial3cx's secrets stay out of its environment.
 */
export function runPicker(
  name: PickerName,
  lines: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    // fzf draws on the terminal, so its stderr stays ours; rofi's and dmenu's carry only messages.
    const child = spawn(name, pickerArgs(name), {
      env: withoutSecrets(env),
      stdio: ["pipe", "pipe", name === "fzf" ? "inherit" : "pipe"],
    });
    let chosen = "";
    let errors = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      chosen += chunk;
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      if (errors.length < 4096) errors += chunk;
    });
    // A picker may exit before reading everything (the user was quick): not an error.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(lines.length > 0 ? `${lines.join("\n")}\n` : "");
    child.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new BadInputError(`${name} is not installed (not found on PATH).`, "usage")
          : error,
      ),
    );
    child.once("close", (code, signal) => {
      const message = firstLine(errors);
      const failed =
        signal !== null ||
        (code !== 0 && message !== "") ||
        (name === "fzf" && code === 2) ||
        (code !== null && code > 1 && code !== 130);
      if (failed) {
        const how = signal ? `was killed by ${signal}` : `failed (exit ${code})`;
        reject(
          new BadInputError(
            `The picker ${name} ${how}${message ? `: ${message}` : ""}; fix it, or choose another with --with.`,
            "usage",
          ),
        );
        return;
      }
      const line = chosen.split("\n")[0]?.replace(/\r$/, "") ?? "";
      resolve(code === 0 && line.trim() !== "" ? line : undefined);
    });
  });
}

/** The first non-empty line of a tool's stderr, without control characters, at most 200 chars. */
function firstLine(text: string): string {
  const line = text.split("\n").find((l) => l.trim() !== "") ?? "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  const clean = line.replace(/[\u0000-\u001f\u007f-\u009f]/g, "").trim();
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}
