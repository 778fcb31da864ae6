// `dial3cx completion bash|zsh|fish`: prints the completion script for the shell, generated from
// the command tree main.ts built (see ../completion/).
import { appPaths } from "../../features/settings/paths.js";
import { VERSION } from "../../version.js";
import { type CommandLike, completionScript, type Shell } from "../completion/index.js";
import type { Io } from "../context.js";

export async function runCompletion(shell: Shell, program: CommandLike, io: Io): Promise<number> {
  const script = completionScript(shell, program, {
    cacheFile: appPaths(io.env).cacheFile,
    version: VERSION,
  });
  io.stdout.write(script);
  return 0;
}
