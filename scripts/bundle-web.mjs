// The dialer page (`dial3cx serve` at `/`): esbuild bundles src/web/app.ts for browsers into
// dist/web/app.js next to index.html and style.css. No CDN, no external fonts. Used by the build
// and, so that tests never serve a stale page, by the test suite's global setup.
import { copyFileSync, mkdirSync } from "node:fs";
import { build } from "esbuild";

export async function bundleWeb() {
  mkdirSync("dist/web", { recursive: true });
  await build({
    entryPoints: ["src/web/app.ts"],
    outfile: "dist/web/app.js",
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2020",
    minify: true,
    legalComments: "none",
    logLevel: "warning",
  });
  for (const file of ["index.html", "style.css"]) {
    copyFileSync(`src/web/${file}`, `dist/web/${file}`);
  }
}
