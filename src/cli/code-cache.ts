// Loads a CommonJS bundle (dist/cli/fast.cjs) with V8's code cache, which Node 20 keeps for no
// module of its own: compiling the warm click's ~200 KB cost every click ~8 ms, reading back its
// compiled code ~1 ms. The cache is written once the process has run (so it holds the functions
// the click compiled, not only the top level), only when there was none or V8 refused it.
//
// Decisions:
// - One cache file per bundle build and Node: its name carries the bundle's size, mtime and inode,
//   Node's version and the CPU architecture. V8 checks its own version and flags but knows the
//   source only by its length, so a rebuilt bundle must never meet an old file.
// - The file is executable code: it is read only from a directory that is this user's and closed
//   to others, never through a symlink, and written 0600 through a temporary name.
// - The bundle's `import()` calls are rewritten to `__dial3cx_import(…)` by the build: code
//   compiled from a cache loses Node's dynamic-import callback, so the caller passes its own.
// - Anything that goes wrong with the cache costs only speed: the bundle is then compiled as is.
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Script } from "node:vm";

export interface CachedModule<T> {
  exports: T;
  /** The cache was there and V8 took it. */
  cacheUsed: boolean;
  /** Writes the cache when there was none or it was refused; call it when the work is done. */
  saveCache(): void;
}

export type Importer = (specifier: string) => Promise<unknown>;

const WRAPPER_PARAMETERS = "exports, require, module, __filename, __dirname, __dial3cx_import";

export function loadWithCodeCache<T>(
  file: string,
  cacheDir: string | undefined,
  importer: Importer,
): CachedModule<T> {
  const source = readFileSync(file, "utf8");
  const cacheFile = cacheDir === undefined ? undefined : cacheFileFor(file, cacheDir);
  const cachedData = cacheFile === undefined ? undefined : readTrusted(cacheFile);
  const script = new Script(`(function (${WRAPPER_PARAMETERS}) {${source}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const module = { exports: {} as T };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run(module.exports, createRequire(file), module, file, path.dirname(file), importer);
  const cacheUsed = cachedData !== undefined && !script.cachedDataRejected;
  return {
    exports: module.exports,
    cacheUsed,
    saveCache: () => {
      if (cacheFile === undefined || cacheUsed) return;
      try {
        writeCache(cacheFile, script.createCachedData());
      } catch {
        // A cache that cannot be written costs only speed.
      }
    },
  };
}

function cacheFileFor(file: string, cacheDir: string): string | undefined {
  try {
    const { size, mtimeMs, ino } = statSync(file);
    const base = path.basename(file, path.extname(file));
    const build = `${size}-${Math.round(mtimeMs)}-${ino}`;
    return path.join(cacheDir, `${base}-${build}-${process.version}-${process.arch}.v8`);
  } catch {
    return undefined;
  }
}

/** The file's bytes when it and its directory are this user's and closed to others. */
function readTrusted(cacheFile: string): Buffer | undefined {
  try {
    const uid = process.getuid?.();
    const dir = lstatSync(path.dirname(cacheFile));
    const file = lstatSync(cacheFile);
    if (!dir.isDirectory() || !file.isFile()) return undefined;
    if (uid !== undefined && (dir.uid !== uid || file.uid !== uid)) return undefined;
    if ((dir.mode & 0o022) !== 0 || (file.mode & 0o022) !== 0) return undefined;
    return readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

/** Writes the cache through a temporary name, and drops the caches of other builds. */
function writeCache(cacheFile: string, data: Buffer): void {
  const dir = path.dirname(cacheFile);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temporary = `${cacheFile}.${process.pid}.tmp`;
  writeFileSync(temporary, data, { mode: 0o600 });
  renameSync(temporary, cacheFile);
  const prefix = `${path.basename(cacheFile).split("-")[0]}-`;
  for (const name of readdirSync(dir)) {
    if (name.startsWith(prefix) && name.endsWith(".v8") && name !== path.basename(cacheFile)) {
      rmSync(path.join(dir, name), { force: true });
    }
  }
}
