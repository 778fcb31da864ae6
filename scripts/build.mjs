// Build: esbuild bundles the CLI, the dialer page and the browser extension, tsc emits the library with declarations.
// Runs from `npm install` through the `prepare` script.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { buildMan } from "./build-man.mjs";
import { bundleCli } from "./bundle-cli.mjs";
import { bundleExtension } from "./bundle-extension.mjs";
import { bundleWeb } from "./bundle-web.mjs";

rmSync("dist", { recursive: true, force: true });
await bundleCli();
await bundleWeb();
buildMan();
await bundleExtension();
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], {
  stdio: "inherit",
});
