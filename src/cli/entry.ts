// The first module of every `dial3cx` process, bundled as CommonJS (dist/cli/main.cjs, required by
// bin/dial3cx.js): a warm click should cost what one Node process and one round trip cost, and
// Node's ES module loader alone costs ~10 ms to start. So the warm path is CommonJS throughout
// (this entry, dist/cli/fast.cjs, dist/cli/errors.cjs), and the ES module loader starts only for
// the full CLI (dist/cli/full/, loaded with import()).
//
// Three cases skip the commander tree: `--version`; `call <number>` and `open <uri>` with no flags
// at all (fast.ts), which load only what that call needs. Everything else, and whatever fast.ts
// leaves (a name to look up, a number it cannot read, a broken config: anything before a byte is
// sent or a line printed), runs the full CLI (main.ts) with the same argv, so behaviour and
// messages are those of the full CLI. DIAL3CX_FAST_PATH=0 turns the fast path off (tests run the
// CLI both ways).
//
// On Node >= 22.1 the compiled code is cached under $XDG_CACHE_HOME/dial3cx (module.enableCompileCache);
// on Node 20 nothing changes.
import * as nodeModule from "node:module";
import { VERSION } from "../version.js";
import type { FastRoute } from "./fast.js";

enableCompileCache(process.env);

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  process.stdout.write(`${VERSION}\n`);
} else {
  const route = process.env.DIAL3CX_FAST_PATH === "0" ? undefined : fastRoute(args);
  if (route === undefined) void runFullCli();
  else {
    // require, not import(): the bundler points it at fast.cjs (scripts/bundle-cli.mjs).
    const { runFast } = require("./fast.js") as typeof import("./fast.js");
    void runFast(route).then((code) => {
      if (code === undefined) return runFullCli();
      process.exitCode = code;
    });
  }
}

function runFullCli(): Promise<unknown> {
  return import("./main.js");
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
  if (typeof enable !== "function") return;
  const home = env.HOME ?? env.USERPROFILE;
  const cacheHome = env.XDG_CACHE_HOME || (home ? `${home}/.cache` : undefined);
  if (!cacheHome) return;
  try {
    enable(`${cacheHome}/dial3cx/compile-cache`);
  } catch {
    // A cache that cannot be made costs only speed.
  }
}
