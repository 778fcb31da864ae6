// Where the dial3cx command of this installation lives, for the handler's Exec line: bin/dial3cx.js
// of the package this code belongs to (the shared package-root walk-up, because the code runs
// from src/ in tests and from a bundled dist/cli/chunks/*.js when installed), or DIAL3CX_EXE.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../../../errors.js";
import { findPackageRootFrom } from "../../../package-root.js";

/** `DIAL3CX_EXE` (absolute) when set, else `<package root>/bin/dial3cx.js`. */
export async function resolveDial3cxExe(
  env: NodeJS.ProcessEnv,
  fromUrl: string = import.meta.url,
): Promise<string> {
  const override = env.DIAL3CX_EXE;
  if (override) {
    if (!path.isAbsolute(override)) {
      throw new ConfigError(`DIAL3CX_EXE must be an absolute path, got ${override}.`);
    }
    return override;
  }
  return path.join(
    await findPackageRoot(path.dirname(fileURLToPath(fromUrl))),
    "bin",
    "dial3cx.js",
  );
}

/** The package root at or above `startDir`; the error says how to do without one. */
export async function findPackageRoot(startDir: string): Promise<string> {
  const root = findPackageRootFrom(startDir);
  if (root !== undefined) return root;
  throw new ConfigError(
    `Cannot find the dial3cx package above ${startDir}: set DIAL3CX_EXE to the absolute path of the dial3cx command.`,
  );
}
