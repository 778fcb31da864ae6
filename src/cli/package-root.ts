// Where this dial3cx is installed: the folder holding its package.json, found from this module's
// own location, which is src/cli/… in development and dist/cli/chunks/… once bundled.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "dial3cx") {
      return dir;
    }
  }
  throw new Error(`dial3cx's package.json was not found above ${from}`);
}

/** Absolute path of the `dial3cx` executable script of this installation. */
export function dial3cxBin(): string {
  return join(packageRoot(), "bin", "dial3cx.js");
}
