// Where this dial3cx is installed: the folder holding the package.json named "dial3cx", found by
// walking up from a module's own location, which is src/… in development, dist/lib/… for the
// library and dist/cli/chunks/… once bundled. Used for bin/dial3cx.js and the dialer page's files.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "./errors.js";

const PACKAGE_NAME = "dial3cx";

/** The package root at or above `startDir`, or undefined when there is none. */
export function findPackageRootFrom(startDir: string): string | undefined {
  for (let dir = path.resolve(startDir); ; dir = path.dirname(dir)) {
    if (packageName(dir) === PACKAGE_NAME) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The package root above the file `from` (default: this module). */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  const root = findPackageRootFrom(path.dirname(from));
  if (root === undefined) {
    throw new ConfigError(`dial3cx's package.json was not found above ${from}.`);
  }
  return root;
}

/** Absolute path of the `dial3cx` executable script of this installation. */
export function dial3cxBin(): string {
  return path.join(packageRoot(), "bin", "dial3cx.js");
}

function packageName(dir: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(dir, "package.json"), "utf8");
  } catch {
    return undefined;
  }
  try {
    const name = (JSON.parse(text) as { name?: unknown } | null)?.name;
    return typeof name === "string" ? name : undefined;
  } catch {
    // Someone else's broken package.json on the way up is not ours to judge.
    return undefined;
  }
}
