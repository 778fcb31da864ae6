// Build: esbuild bundles the CLI and the dialer page, tsc emits the library with declarations.
// Runs from `npm install` through the `prepare` script.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { buildMan } from "./build-man.mjs";
import { bundleCli } from "./bundle-cli.mjs";
import { bundleWeb } from "./bundle-web.mjs";

rmSync("dist", { recursive: true, force: true });
await bundleCli();
await bundleWeb();
buildMan();
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], {
  stdio: "inherit",
});
