// The first module of every `dial3cx` process, bundled as CommonJS (dist/cli/main.cjs, required by
// bin/dial3cx.js): a warm click should cost what one Node process and one round trip cost, and
// Node's ES module loader alone costs ~10 ms to start. So the warm path is CommonJS throughout
// (this entry, dist/cli/fast.cjs, dist/cli/errors.cjs), and the ES module loader starts only for
// the full CLI (dist/cli/full/, loaded with import()). fast.cjs is loaded with V8's code cache
// under $XDG_CACHE_HOME/dial3cx/code-cache (code-cache.ts).
//
// Three cases skip the commander tree: `--version`; `call <number>` and `open <uri>` with no flags
// at all (fast.ts), which load only what that call needs. Everything else, and whatever fast.ts
// leaves (a name to look up, a number it cannot read, a broken config: anything before a byte is
// sent or a line printed), runs the full CLI (main.ts) with the same argv, so behaviour and
// messages are those of the full CLI. DIAL3CX_FAST_PATH=0 turns the fast path off (tests run the
// CLI both ways).
//
// On Node >= 22.1 the full CLI's compiled code is cached too, under $XDG_CACHE_HOME/dial3cx
// (module.enableCompileCache).
import * as nodeModule from "node:module";
import path from "node:path";
import { VERSION } from "../version.js";
import { loadWithCodeCache } from "./code-cache.js";
import type { FastRoute } from "./fast.js";

enableCompileCache(process.env);

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  process.stdout.write(`${VERSION}\n`);
} else {
  const route = process.env.DIAL3CX_FAST_PATH === "0" ? undefined : fastRoute(args);
  if (route === undefined) void runFullCli();
  else {
    const fast = loadFastPath();
    void fast.exports.runFast(route).then((code) => {
      fast.saveCache();
      if (code === undefined) return runFullCli();
      process.exitCode = code;
    });
  }
}

/** fast.cjs next to this bundle, with V8's code cache (code-cache.ts). */
function loadFastPath() {
  const home = cacheHome(process.env);
  return loadWithCodeCache<typeof import("./fast.js")>(
    path.join(__dirname, "fast.cjs"),
    home === undefined ? undefined : path.join(home, "dial3cx", "code-cache"),
    // Resolved from here, next to fast.cjs: "./full/account.js", "yocto-spinner".
    (specifier) => import(specifier),
  );
}

function runFullCli(): Promise<unknown> {
  return import("./main.js");
}

/** $XDG_CACHE_HOME, else ~/.cache; undefined without a home. */
function cacheHome(env: NodeJS.ProcessEnv): string | undefined {
  const home = env.HOME ?? env.USERPROFILE;
  return env.XDG_CACHE_HOME || (home ? path.join(home, ".cache") : undefined);
}

/** `call <words…>` or `open <uri>`, when no argument looks like a flag. */
function fastRoute(argv: string[]): FastRoute | undefined {
  const [command, ...rest] = argv;
  if (rest.length === 0 || rest.some((arg) => arg.startsWith("-"))) return undefined;
  if (command === "call") return { command, target: rest.join(" ") };
  if (command === "open" && rest.length === 1) return { command, target: rest[0]! };
  return undefined;
}

function enableCompileCache(env: NodeJS.ProcessEnv): void {
  const enable = (nodeModule as { enableCompileCache?: (dir?: string) => unknown })
    .enableCompileCache;
  const home = cacheHome(env);
  if (typeof enable !== "function" || !home) return;
  try {
    enable(path.join(home, "dial3cx", "compile-cache"));
  } catch {
    // A cache that cannot be made costs only speed.
  }
}
