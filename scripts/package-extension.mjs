// `npm run package:extension`: bundles the extension afresh, writes one zip per browser
// (dist/extension/dial3cx-<browser>-<version>.zip, to load or to upload to a store), and runs
// `web-ext lint` on the Firefox build, which must pass without errors or warnings. The zips are
// reproducible: files in name order, one fixed timestamp. fflate writes them (no zip binary).
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { zipSync } from "fflate";
import { bundleExtension, EXTENSION_TARGETS } from "./bundle-extension.mjs";

const FIXED_TIME = new Date("2000-01-01T00:00:00Z");

/** Zips every file under `dir` (no folders inside the extension today, but kept general). */
export function zipDirectory(dir) {
  const files = {};
  const walk = (folder, prefix) => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full, `${prefix}${entry.name}/`);
      else files[`${prefix}${entry.name}`] = [readFileSync(full), { mtime: FIXED_TIME }];
    }
  };
  walk(dir, "");
  return zipSync(files, { level: 9 });
}

/** Runs `web-ext lint` on a built extension; resolves to its JSON summary. */
export async function lintExtension(dir) {
  const bin = path.resolve("node_modules/web-ext/bin/web-ext.js");
  const run = promisify(execFile);
  let stdout;
  try {
    ({ stdout } = await run(
      process.execPath,
      [bin, "lint", "--source-dir", dir, "--output", "json", "--no-input", "--no-config-discovery"],
      { maxBuffer: 16 * 1024 * 1024 },
    ));
  } catch (error) {
    // web-ext exits non-zero when it finds errors; its report is still on stdout.
    stdout = error.stdout;
    if (!stdout) throw error;
  }
  return JSON.parse(stdout);
}

export async function packageExtension() {
  await bundleExtension();
  const { version } = JSON.parse(readFileSync("package.json", "utf8"));
  const written = [];
  for (const target of EXTENSION_TARGETS) {
    const file = `dist/extension/dial3cx-${target}-${version}.zip`;
    writeFileSync(file, zipDirectory(`dist/extension/${target}`));
    written.push(file);
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const file of await packageExtension()) console.log(`wrote ${file}`);
  const report = await lintExtension("dist/extension/firefox");
  const { errors, warnings, notices } = report.summary;
  for (const item of [...report.errors, ...report.warnings]) {
    console.error(`web-ext lint: ${item.code}: ${item.message} (${item.file ?? "manifest"})`);
  }
  console.log(
    `web-ext lint (Firefox build): ${errors} errors, ${warnings} warnings, ${notices} notices`,
  );
  if (errors > 0 || warnings > 0) process.exitCode = 1;
}
