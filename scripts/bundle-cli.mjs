// esbuild bundle of the CLI: one chunk per lazily loaded subcommand. Used by the build and, so
// that CLI tests never run a stale bundle, by the test suite's global setup.
import { rmSync } from "node:fs";
import { build } from "esbuild";

export async function bundleCli() {
  rmSync("dist/cli", { recursive: true, force: true });
  await build({
    entryPoints: { main: "src/cli/main.ts" },
    outdir: "dist/cli",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    chunkNames: "chunks/[name]-[hash]",
    // Native addon: loaded from node_modules at run time.
    external: ["@napi-rs/keyring"],
    banner: {
      js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
    },
    logLevel: "warning",
  });
}
