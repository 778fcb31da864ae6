// End-to-end test harness for the `dial3cx` CLI: runs the real `node bin/dial3cx.js` (no shell)
// with a throw-away HOME against an in-process simulator, and reads what reached the simulator
// through its `/__sim/` control API.
import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdtemp, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { TOTP } from "otpauth";
import { afterAll } from "vitest";
import {
  DEFAULT_TOTP_SECRET,
  type RequestLogEntry,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from "../src/sim/index.js";
import { WireClient } from "../src/sim/testing.js";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const STRICT_PROCESS = new URL("./strict-process.mjs", import.meta.url).href;

/**
 * The CLI the tests run: a private copy of bin/ and dist/cli as the suite's global setup built
 * them. Other runs in the same checkout rebuild dist/cli (rm, then write), and a test spawning
 * the shared copy at that moment would fail with ERR_MODULE_NOT_FOUND.
 */
export function cliBin(): Promise<string> {
  bundle ??= copyBundle();
  return bundle;
}

let bundle: Promise<string> | undefined;
let bundleRoot: string | undefined;

// Registered on the importing test file: its copy goes when its tests are done.
afterAll(async () => {
  if (bundleRoot) await rm(bundleRoot, { recursive: true, force: true });
});

async function copyBundle(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "dial3cx-bin-"));
  bundleRoot = root;
  // Externals (the keyring addon) resolve from here; packageRoot() needs the manifest.
  await symlink(join(REPO, "node_modules"), join(root, "node_modules"));
  await cp(join(REPO, "package.json"), join(root, "package.json"));
  await cp(join(REPO, "bin"), join(root, "bin"), { recursive: true });
  const source = join(REPO, "dist", "cli");
  const copy = join(root, "dist", "cli");
  for (let attempt = 1; ; attempt++) {
    // A copy is good when the build did not change while it was taken and it has every file.
    const before = await listing(source);
    await rm(copy, { recursive: true, force: true });
    await cp(source, copy, { recursive: true }).catch(() => undefined);
    const after = await listing(source);
    const sizes = (lines: string[]) => lines.map((line) => line.replace(/:[^:]*$/, ""));
    const complete =
      before.some((line) => line.startsWith("main.cjs:")) &&
      before.join("\n") === after.join("\n") &&
      sizes(before).join("\n") === sizes(await listing(copy)).join("\n");
    if (complete) return join(root, "bin", "dial3cx.js");
    if (attempt === 40)
      throw new Error("dist/cli is missing or keeps changing: run `npm run build`");
    await new Promise((resolve) => setTimeout(resolve, 250)); // a rebuild is under way
  }
}

/** "path:size:mtime" of every file under `dir`, sorted; empty when `dir` does not exist. */
async function listing(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const lines: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const info = await stat(path).catch(() => undefined);
    if (info) lines.push(`${relative(dir, path)}:${info.size}:${info.mtimeMs}`);
  }
  return lines.sort();
}

/** MyPhone message ids as they appear in the simulator's request log. */
export const MAKE_CALL = 119;
export const REQUEST_MY_INFO = 102;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  /** Written to the child's stdin, which is then closed. Without it stdin is /dev/null. */
  stdin?: string;
  timeoutMs?: number;
  /** Sees the child as soon as it is spawned (e.g. to read /proc/<pid>/cmdline). */
  onSpawn?: (child: ChildProcess) => void;
}

/** A throw-away HOME with its own XDG directories. */
export interface TempHome {
  dir: string;
  configFile: string;
  cacheFile: string;
  env: NodeJS.ProcessEnv;
}

/** Called with a cleanup function; vitest's onTestFinished in practice. */
export type Cleanup = (fn: () => Promise<void> | void) => void;

export async function makeHome(cleanup: Cleanup): Promise<TempHome> {
  const dir = await mkdtemp(join(tmpdir(), "dial3cx-e2e-"));
  cleanup(() => rm(dir, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LANG: "C.UTF-8",
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, "config"),
    XDG_STATE_HOME: join(dir, "state"),
    XDG_DATA_HOME: join(dir, "data"),
    // No Secret Service here: the keyring must fail fast, not hang on a D-Bus connection.
    DBUS_SESSION_BUS_ADDRESS: "disabled:",
    NO_COLOR: "1",
    // `DIAL3CX_FAST_PATH=0 npx vitest run test/` runs every CLI test on the full path only
    // (no fast path, no quick call): `npm run test:paths` runs them both ways.
    ...(process.env.DIAL3CX_FAST_PATH === "0" ? { DIAL3CX_FAST_PATH: "0" } : {}),
    // A gateway is given more than its 150 ms to answer: these tests share a loaded machine.
    DIAL3CX_GATEWAY_WAIT_MS: "5000",
  };
  return {
    dir,
    configFile: join(dir, "config", "dial3cx", "config.toml"),
    cacheFile: join(dir, "state", "dial3cx", "session.json"),
    env,
  };
}

/** Runs `dial3cx <args>` to completion. Never rejects on a non-zero exit. */
export async function runCli(args: string[], options: RunOptions): Promise<CliResult> {
  const { child, result } = await startCli(args, options);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return result.finally(() => clearTimeout(timer));
}

export interface RunningCli {
  child: ChildProcess;
  result: Promise<CliResult>;
  /** Resolves with the first stdout line that matches, or rejects after `timeoutMs`. */
  line(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
}

/** Starts `dial3cx <args>` and returns at once, for long-running commands (watch, sim). */
export async function startCli(args: string[], options: RunOptions): Promise<RunningCli> {
  const child = spawn(process.execPath, ["--import", STRICT_PROCESS, await cliBin(), ...args], {
    env: options.env,
    stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  options.onSpawn?.(child);
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  let stdout = "";
  let stderr = "";
  const waiters = new Set<() => void>();
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    for (const wake of waiters) wake();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const result = new Promise<CliResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      for (const wake of waiters) wake();
      const bug = processBug(code, stderr);
      if (bug) reject(new Error(`dial3cx ${args.join(" ")}: ${bug}\n${stdout}\n${stderr}`));
      else resolve({ code, signal, stdout, stderr });
    });
  });
  const line = (match: (line: string) => boolean, timeoutMs = 10_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = stdout.split("\n").find((l) => l !== "" && match(l));
        if (found !== undefined) done(() => resolve(found));
        else if (child.exitCode !== null || child.signalCode !== null)
          done(() => reject(new Error(`exited before the line came:\n${stdout}\n${stderr}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no such line in ${timeoutMs} ms:\n${stdout}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });
  return { child, result, line };
}

/**
 * What no CLI run may ever show, whatever the test expects: a rejection nobody handled, a
 * promise nobody can settle deciding the exit code (Node's 13), or an internal error.
 */
export function processBug(code: number | null, stderr: string): string | undefined {
  if (stderr.includes("[dial3cx-test] UNHANDLED REJECTION")) return "an unhandled rejection";
  if (code === 13) return "exit 13: an unsettled promise decided the exit code";
  if (stderr.includes("dial3cx: internal error")) return "an internal error";
  return undefined;
}

/** The simulator of one test, with its control API. */
export class TestSim {
  private stopped: Promise<void> | undefined;

  private constructor(
    readonly sim: Simulator,
    private readonly wire: WireClient,
  ) {}

  static async start(cleanup: Cleanup, options: SimulatorOptions = {}): Promise<TestSim> {
    const sim = await startSimulator({ port: 0, ...options });
    const testSim = new TestSim(sim, new WireClient(sim.url, sim.certPem));
    cleanup(() => testSim.stop());
    return testSim;
  }

  get url(): string {
    return this.sim.url;
  }

  async requests(): Promise<RequestLogEntry[]> {
    return this.getJson<RequestLogEntry[]>("/__sim/requests");
  }

  async calls(): Promise<SimCallView[]> {
    return this.getJson<SimCallView[]>("/__sim/calls");
  }

  async faults(body: Record<string, unknown>): Promise<void> {
    const answer = await this.wire.postJson("/__sim/faults", body);
    if (answer.status !== 200) throw new Error(`faults: ${answer.status} ${answer.text}`);
  }

  /** Stops the simulator (idempotent: tests stop it early to see a PBX that is down). */
  stop(): Promise<void> {
    this.stopped ??= this.wire.close().then(() => this.sim.stop());
    return this.stopped;
  }

  private async getJson<T>(path: string): Promise<T> {
    const answer = await this.wire.request("GET", path);
    if (answer.status !== 200) throw new Error(`${path}: ${answer.status}`);
    return JSON.parse(answer.text) as T;
  }
}

export interface SimCallView {
  id: number;
  extension: string;
  destination: string;
  device: string;
  state: string;
  failure: string | null;
}

/** HTTP requests the CLI sent, without the websocket upgrade. */
export function httpRequests(log: RequestLogEntry[]): RequestLogEntry[] {
  return log.filter((entry) => entry.status !== 101);
}

/** The environment of a CLI run logged in as `extension` on `sim` through DIAL3CX_*. */
export function accountEnv(
  home: TempHome,
  sim: { url: string },
  extension = "100",
  password = "dial3cx-demo",
): NodeJS.ProcessEnv {
  return {
    ...home.env,
    DIAL3CX_PBX: sim.url,
    DIAL3CX_EXTENSION: extension,
    DIAL3CX_PASSWORD: password,
    DIAL3CX_REGION: "DE",
  };
}

/** A simulator and a throw-away HOME, with `env` logged in as 100 on it: most tests start so. */
export async function startSimAndHome(cleanup: Cleanup, options: SimulatorOptions = {}) {
  const sim = await TestSim.start(cleanup, options);
  const home = await makeHome(cleanup);
  return { sim, home, env: accountEnv(home, sim) };
}

/** The current code of the default scenario's 2FA extension (102). */
export function totpCode(): string {
  return new TOTP({ secret: DEFAULT_TOTP_SECRET }).generate();
}

/** Writes `text` to a file in `home` and returns its path. */
export async function writeTempFile(home: TempHome, name: string, text: string): Promise<string> {
  const path = join(home.dir, name);
  await writeFile(path, text);
  return path;
}

/** The stdout of a `--json` run, parsed; fails the test with the output when it is not JSON. */
export function parseJsonLines(stdout: string): unknown[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });
}
