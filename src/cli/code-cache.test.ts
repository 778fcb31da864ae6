// Each load runs in a Node process of its own, as a click does: within one process V8 reuses what
// it compiled already and would never consult the cache on disk.
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let root: string;
/** code-cache.ts as CommonJS, for the child processes. */
let loader: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "dial3cx-code-cache-"));
  loader = path.join(root, "code-cache.cjs");
  await build({
    entryPoints: [path.join(import.meta.dirname, "code-cache.ts")],
    outfile: loader,
    bundle: true,
    platform: "node",
    format: "cjs",
    logLevel: "warning",
  });
});
afterAll(() => rm(root, { recursive: true, force: true }));

let count = 0;
async function bundle(source: string) {
  const dir = path.join(root, `bundle-${count++}`);
  await mkdir(dir);
  const file = path.join(dir, "fast.cjs");
  await writeFile(file, source);
  return { dir, file, cacheDir: path.join(dir, "cache", "code-cache") };
}

/** Loads `file` in a fresh process, calls its `run()`, saves the cache; what it returned. */
async function load(file: string, cacheDir: string | undefined) {
  const script = `
    const path = require("node:path");
    const { loadWithCodeCache } = require(${JSON.stringify(loader)});
    const importer = (specifier) => import(path.join(${JSON.stringify(path.dirname(file))}, specifier));
    const loaded = loadWithCodeCache(${JSON.stringify(file)}, ${JSON.stringify(cacheDir)}, importer);
    Promise.resolve(loaded.exports.run()).then((value) => {
      loaded.saveCache();
      process.stdout.write(JSON.stringify({ value, cacheUsed: loaded.cacheUsed }));
    });`;
  const { stdout } = await promisify(execFile)(process.execPath, ["-e", script]);
  return JSON.parse(stdout) as { value: unknown; cacheUsed: boolean };
}

describe("loadWithCodeCache", () => {
  it("compiles the first time, then runs from the cache it saved (0600 in a 0700 directory)", async () => {
    const { file, cacheDir } = await bundle('exports.run = () => "forty-two";');
    expect(await load(file, cacheDir)).toEqual({ value: "forty-two", cacheUsed: false });
    const [cacheFile] = await readdir(cacheDir);
    expect(cacheFile).toMatch(/^fast-\d+-\d+-\d+-v\d+\.\d+\.\d+-\w+\.v8$/);
    expect((await stat(path.join(cacheDir, cacheFile!))).mode & 0o777).toBe(0o600);
    expect((await stat(cacheDir)).mode & 0o777).toBe(0o700);
    expect(await load(file, cacheDir)).toEqual({ value: "forty-two", cacheUsed: true });
  });

  it("never runs an old build's cache, even for a bundle of the same length", async () => {
    const { file, cacheDir } = await bundle('exports.run = () => "old";');
    await load(file, cacheDir);
    expect(await load(file, cacheDir)).toEqual({ value: "old", cacheUsed: true });
    // V8 knows a source only by its length: the new build must not meet the old cache.
    await writeFile(file, 'exports.run = () => "new";');
    const later = new Date(Date.now() + 5000);
    await utimes(file, later, later);
    expect(await load(file, cacheDir)).toEqual({ value: "new", cacheUsed: false });
    // The old build's cache is gone.
    expect(await readdir(cacheDir)).toHaveLength(1);
  });

  it("does not read a cache others may have written, nor a broken one", async () => {
    const { file, cacheDir } = await bundle('exports.run = () => "mine";');
    await load(file, cacheDir);
    await chmod(cacheDir, 0o777);
    expect(await load(file, cacheDir)).toEqual({ value: "mine", cacheUsed: false });
    await chmod(cacheDir, 0o700);
    const [cacheFile] = await readdir(cacheDir);
    await writeFile(path.join(cacheDir, cacheFile!), "not V8's code cache", { mode: 0o600 });
    expect(await load(file, cacheDir)).toEqual({ value: "mine", cacheUsed: false });
    // Refused, so written again.
    expect(await load(file, cacheDir)).toEqual({ value: "mine", cacheUsed: true });
  });

  it("passes import() on to the caller, also when run from the cache", async () => {
    const { dir, file, cacheDir } = await bundle(
      'exports.run = async () => (await __dial3cx_import("./dep.mjs")).value;',
    );
    await writeFile(path.join(dir, "dep.mjs"), "export const value = 7;");
    expect(await load(file, cacheDir)).toEqual({ value: 7, cacheUsed: false });
    expect(await load(file, cacheDir)).toEqual({ value: 7, cacheUsed: true });
  });

  it("works without a cache directory, and when one cannot be made", async () => {
    const { dir, file } = await bundle('exports.run = () => "still";');
    expect(await load(file, undefined)).toEqual({ value: "still", cacheUsed: false });
    await writeFile(path.join(dir, "blocked"), "a file where a directory should be");
    const blocked = path.join(dir, "blocked", "code-cache");
    expect(await load(file, blocked)).toEqual({ value: "still", cacheUsed: false });
  });
});
