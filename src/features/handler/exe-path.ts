// Where the dial3cx command of this installation lives, for the handler's Exec line: bin/dial3cx.js
// of the package this code belongs to. Found by walking up to the package.json named "dial3cx",
// because the code runs from src/ in tests and from a bundled dist/cli/chunks/*.js when installed.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../../errors.js";

const PACKAGE_NAME = "dial3cx";

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

export async function findPackageRoot(startDir: string): Promise<string> {
  for (let dir = startDir; ; dir = path.dirname(dir)) {
    if ((await packageName(dir)) === PACKAGE_NAME) return dir;
    if (path.dirname(dir) === dir) break;
  }
  throw new ConfigError(
    `Cannot find the dial3cx package above ${startDir}: set DIAL3CX_EXE to the absolute path of the dial3cx command.`,
  );
}

async function packageName(dir: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, "package.json"), "utf8");
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    const name = (parsed as { name?: unknown } | null)?.name;
    return typeof name === "string" ? name : undefined;
  } catch {
    // Someone else's broken package.json on the way up is not ours to judge.
    return undefined;
  }
}
