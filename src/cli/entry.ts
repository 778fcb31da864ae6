// The first module of every `dial3cx` process (bundled as dist/cli/main.js). A warm click should
// cost what one Node process and one round trip cost, so three cases skip the commander tree:
// `--version`; `call <number>` and `open <uri>` with no flags at all (fast.ts), which load only
// what that call needs. Everything else, and whatever fast.ts leaves (a name to look up, a number
// it cannot read, a broken config: anything before a byte is sent or a line printed), runs the
// full CLI (main.ts) with the same argv, so behaviour and messages are those of the full CLI.
// DIAL3CX_FAST_PATH=0 turns the fast path off (tests run the CLI both ways).
//
// On Node >= 22.1 the compiled code is cached under $XDG_CACHE_HOME/dial3cx (module.enableCompileCache);
// on Node 20 nothing changes.
import * as nodeModule from "node:module";
import { VERSION } from "../version.js";

enableCompileCache(process.env);

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  process.stdout.write(`${VERSION}\n`);
} else {
  const route = process.env.DIAL3CX_FAST_PATH === "0" ? undefined : fastRoute(args);
  const code = route && (await (await import("./fast.js")).runFast(route));
  if (code === undefined) await import("./main.js");
  else process.exitCode = code;
}

/** `call <words…>` or `open <uri>`, when no argument looks like a flag. */
function fastRoute(argv: string[]) {
  const [command, ...rest] = argv;
  if (rest.length === 0 || rest.some((arg) => arg.startsWith("-"))) return undefined;
  if (command === "call") return { command, target: rest.join(" ") } as const;
  if (command === "open" && rest.length === 1) return { command, target: rest[0]! } as const;
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
