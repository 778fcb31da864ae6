// esbuild bundle of the CLI: one chunk per lazily loaded subcommand. Used by the build and, so
// that CLI tests never run a stale bundle, by the test suite's global setup.
import { existsSync, renameSync, rmSync } from "node:fs";
import { build } from "esbuild";

/** Builds into a fresh folder and swaps it in, so a CLI running meanwhile never sees half a build. */
export async function bundleCli() {
  const fresh = `dist/cli-${process.pid}-${Date.now()}`;
  await build({
    // entry.ts runs a warm click without the commander tree (main.ts, loaded by it otherwise).
    entryPoints: { main: "src/cli/entry.ts" },
    outdir: fresh,
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
  const old = `${fresh}-old`;
  if (existsSync("dist/cli")) renameSync("dist/cli", old);
  renameSync(fresh, "dist/cli");
  rmSync(old, { recursive: true, force: true });
}
