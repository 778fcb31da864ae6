// Shared by the benchmarks: runs the built `dial3cx` as a user would (a fresh node process each
// time, wall clock from spawn to exit), summarises timings, and checks the build is there.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("..", import.meta.url));
/** The executable measured by default; `--bin` picks another build (e.g. to compare two). */
export const BIN = join(REPO, "bin", "dial3cx.js");

/** Exits with a hint when the code to measure has not been built. */
export function requireBuild(paths = ["dist/cli/main.cjs"]) {
  const missing = paths.filter((path) => !existsSync(join(REPO, path)));
  if (missing.length > 0) {
    process.stderr.write(`bench: ${missing.join(", ")} missing: run \`npm run build\` first.\n`);
    process.exit(1);
  }
}

/**
 * Runs `node <args>` once; resolves with the wall time in ms and the output. Rejects when the
 * process fails, so a broken build never passes for a fast one.
 */
export function timeNode(args, env) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk) => {
      stderr += chunk;
    });
    child.once("error", reject);
    child.once("close", (code, signal) => {
      const ms = performance.now() - started;
      if (code === 0) resolve({ ms, stdout, stderr });
      else reject(new Error(`node ${args.join(" ")} exited ${code ?? signal}:\n${stderr}`));
    });
  });
}

/** Median and p90 (linear interpolation between ranks), in ms with one decimal. */
export function summarise(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => {
    const rank = (sorted.length - 1) * q;
    const low = Math.floor(rank);
    const high = Math.min(low + 1, sorted.length - 1);
    return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
  };
  const round = (ms) => Math.round(ms * 10) / 10;
  return {
    runs: sorted.length,
    medianMs: round(at(0.5)),
    p90Ms: round(at(0.9)),
    minMs: round(sorted[0]),
  };
}

/** An environment with a throw-away HOME (and XDG dirs), no keyring, no inherited DIAL3CX_*. */
export async function tempHome() {
  const dir = await mkdtemp(join(tmpdir(), "dial3cx-bench-"));
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, "config"),
    XDG_STATE_HOME: join(dir, "state"),
    XDG_DATA_HOME: join(dir, "data"),
    // No Secret Service: the keyring fails fast instead of waiting on D-Bus.
    DBUS_SESSION_BUS_ADDRESS: "disabled:",
  };
  return { dir, env, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** `node bin/dial3cx.js --version`, `runs` times; the version printed is checked. */
export async function measureVersion(runs, env, expected, bin = BIN) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const { ms, stdout } = await timeNode([bin, "--version"], env);
    if (stdout.trim() !== expected) throw new Error(`--version printed ${JSON.stringify(stdout)}`);
    samples.push(ms);
  }
  return summarise(samples);
}

/** `node -e 0`: what any Node process costs on this machine, for scale. */
export async function measureBareNode(runs, env) {
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push((await timeNode(["-e", "0"], env)).ms);
  return summarise(samples);
}
