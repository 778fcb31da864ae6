// The browser extension (extension/): esbuild bundles the service worker, the content script,
// the popup and the options page for browsers, once per target, into dist/extension/chromium
// and dist/extension/firefox, each with its own manifest.json. No CDN, no remote code. Used by
// the build and, so that tests never load a stale extension, by the test suite's global setup.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { build } from "esbuild";
import { manifestFor } from "../extension/manifest.mjs";

export const EXTENSION_TARGETS = ["chromium", "firefox"];
const ENTRIES = ["background", "content", "popup", "options"];
const STATIC = ["popup.html", "options.html", "ui.css", "content.css"];

export async function bundleExtension() {
  const { version } = JSON.parse(readFileSync("package.json", "utf8"));
  for (const target of EXTENSION_TARGETS) {
    const out = `dist/extension/${target}`;
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    await build({
      entryPoints: Object.fromEntries(ENTRIES.map((name) => [name, `extension/src/${name}.ts`])),
      outdir: out,
      bundle: true,
      format: "iife",
      platform: "browser",
      target: target === "firefox" ? "firefox142" : "chrome116",
      minify: true,
      legalComments: "none",
      logLevel: "warning",
    });
    for (const file of STATIC) copyFileSync(`extension/static/${file}`, `${out}/${file}`);
    writeFileSync(
      `${out}/manifest.json`,
      `${JSON.stringify(manifestFor(target, version), null, 2)}\n`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await bundleExtension();
