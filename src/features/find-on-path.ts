// Where a desktop tool (notify-send, zenity, rofi, fzf…) is on PATH, looked up before starting it:
// starting a tool that is not there still costs a process fork, 5–25 ms of a click. Shared by the
// pickers and the desktop tools.
import { access, constants } from "node:fs/promises";
import path from "node:path";

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
