// External pickers for `dial3cx pick`: rofi, fzf or dmenu read the candidates as lines on stdin
// and print the chosen line. Which one runs by default: rofi when a display is set and rofi is
// installed, else fzf when installed, else the built-in prompt (the CLI's, in a terminal).
import { spawn } from "node:child_process";
import { access, constants } from "node:fs/promises";
import path from "node:path";
import { BadInputError } from "../../errors.js";
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

/** The absolute path of `tool` on PATH, if it is an executable file there. */
export async function findOnPath(
  tool: string,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, tool);
    const found = await access(candidate, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (found) return candidate;
  }
  return undefined;
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
 * (Escape: fzf exits 130, rofi and dmenu 1). Its interface goes to the terminal or the display;
 * dial3cx's secrets stay out of its environment.
 */
export function runPicker(
  name: PickerName,
  lines: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const child = spawn(name, pickerArgs(name), {
      env: withoutSecrets(env),
      stdio: ["pipe", "pipe", "inherit"],
    });
    let chosen = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      chosen += chunk;
    });
    // A picker may exit before reading everything (the user was quick): not an error.
    child.stdin.on("error", () => undefined);
    child.stdin.end(lines.length > 0 ? `${lines.join("\n")}\n` : "");
    child.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new BadInputError(`${name} is not installed (not found on PATH).`, "usage")
          : error,
      ),
    );
    child.once("close", (code) => {
      const line = chosen.split("\n")[0]?.replace(/\r$/, "") ?? "";
      resolve(code === 0 && line.trim() !== "" ? line : undefined);
    });
  });
}
