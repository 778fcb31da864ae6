// Running the platform tools the handler installers drive (xdg-mime, update-desktop-database,
// osacompile, reg...): always execFile with an argv, never a shell, with the caller's environment
// (so tests can point HOME and XDG_* at temporary directories) minus dial3cx's secrets.
import { execFile } from "node:child_process";
import { withoutSecrets } from "../../settings/secrets.js";
import { isErrnoCode } from "../../settings/secure-file.js";

export interface ToolResult {
  stdout: string;
  stderr: string;
}

/** The tool is not installed (or not on PATH). */
export class ToolMissingError extends Error {
  readonly tool: string;
  constructor(tool: string) {
    super(`${tool} was not found on PATH`);
    this.tool = tool;
  }
}

/** The tool ran and exited non-zero. */
export class ToolFailedError extends Error {
  readonly tool: string;
  readonly stderr: string;
  constructor(tool: string, args: readonly string[], exitCode: number | string, stderr: string) {
    const detail = stderr.trim() === "" ? "" : `: ${stderr.trim()}`;
    super(`${[tool, ...args].join(" ")} failed (exit ${exitCode})${detail}`);
    this.tool = tool;
    this.stderr = stderr;
  }
}

const TIMEOUT_MS = 30_000;

export function runTool(
  tool: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(
      tool,
      args,
      { env: withoutSecrets(env), timeout: TIMEOUT_MS, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ stdout, stderr });
        } else if (isErrnoCode(error, "ENOENT")) {
          reject(new ToolMissingError(tool));
        } else {
          const code = typeof error.code === "number" ? error.code : (error.signal ?? "?");
          reject(new ToolFailedError(tool, args, code, stderr));
        }
      },
    );
  });
}
