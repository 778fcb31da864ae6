// `npm run bench:gateway`: the local gateway (`dial3cx serve`) against the simulator, all on
// loopback, on the built code in dist/. Three parts:
//   1. POST /v1/calls latency, one call at a time, at 0 and 30 ms of injected PBX latency
//      (median, p99; target: the injected latency plus at most 5 ms);
//   2. calls per second one gateway sustains for one extension (dedupe and rate limit off);
//   3. one gateway serving 1,000 simulator extensions from an --accounts file: memory per
//      logged-in extension, and latency at 100 calls a second spread across the extensions.
// The simulator and the gateway each run in their own child process (this file, forked with a
// role), so the load generator, the PBX and the gateway do not share an event loop, and the
// gateway's memory is its own. Passwords reach the children through the environment only.
// Usage: node bench/gateway.mjs [--json] [--calls 200] [--latency 0,30] [--extensions 1000]
//        [--rate 100] [--seconds 10] [--throughput-seconds 3] [--concurrency 1,8,32,128] [--gap-ms 10]
import { fork } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Agent, request } from "undici";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const ROLE_VAR = "DIAL3CX_BENCH_ROLE";
const PASSWORD_VAR = "DIAL3CX_BENCH_PASSWORD";
/** Shared by every generated extension; the simulator is the only thing that checks it. */
const BENCH_PASSWORD = "bench-secret-not-real";
const TARGET_OVERHEAD_MS = 5;
/** The far end never answers during the latency runs: the bench hangs each call up itself. */
const NEVER_MS = 3_600_000;
/** Calls before each latency run that are not counted: a long-running gateway is warm. */
const WARM_UP_CALLS = 100;

const lib = (path) => import(join(REPO, "dist", "lib", path));

// ---------------------------------------------------------------------------------------------
// The parent: load generator and report

async function main() {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean" },
      calls: { type: "string", default: "200" },
      latency: { type: "string", default: "0,30" },
      extensions: { type: "string", default: "1000" },
      rate: { type: "string", default: "100" },
      seconds: { type: "string", default: "10" },
      "throughput-seconds": { type: "string", default: "3" },
      "gap-ms": { type: "string", default: "10" },
      concurrency: { type: "string", default: "1,8,32,128" },
    },
  });
  const missing = ["dist/lib/gateway/index.js", "dist/lib/sim/index.js"].filter(
    (path) => !existsSync(join(REPO, path)),
  );
  if (missing.length > 0) {
    process.stderr.write(`bench: ${missing.join(", ")} missing: run \`npm run build\` first.\n`);
    process.exit(1);
  }
  const options = {
    calls: positive(values.calls, "--calls"),
    latencies: values.latency.split(",").map((v) => nonNegative(v, "--latency")),
    extensions: positive(values.extensions, "--extensions"),
    rate: positive(values.rate, "--rate"),
    seconds: positive(values.seconds, "--seconds"),
    throughputSeconds: positive(values["throughput-seconds"], "--throughput-seconds"),
    concurrency: values.concurrency.split(",").map((v) => positive(v, "--concurrency")),
    gapMs: nonNegative(values["gap-ms"], "--gap-ms"),
  };
  const log = values.json ? () => undefined : (line) => process.stderr.write(`${line}\n`);
  const dispatcher = new Agent({ connections: 256, keepAliveTimeout: 30_000 });

  const loadBefore = loadavg()[0];
  const report = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    latency: await latencyPart(options, dispatcher, log),
    throughput: await throughputPart(options, dispatcher, log),
    manyExtensions: await manyExtensionsPart(options, dispatcher, log),
  };
  // Other work on the machine shows in the tails: say how busy it was.
  report.loadAverage1m = { before: round(loadBefore), after: round(loadavg()[0]) };
  await dispatcher.close();
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(table(report));
}

function positive(text, flag) {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) usage(`${flag} must be a positive number`);
  return value;
}

function nonNegative(text, flag) {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) usage(`${flag} must be numbers >= 0`);
  return value;
}

function usage(problem) {
  process.stderr.write(`bench: ${problem}\n`);
  process.exit(2);
}

/** Part 1: one call at a time, median and p99 per injected latency. */
async function latencyPart(options, dispatcher, log) {
  log(`latency: ${options.calls} sequential calls at ${options.latencies.join(", ")} ms…`);
  const home = await benchHome();
  let sim;
  let gateway;
  try {
    sim = await startChild("sim", home.env, { answerAfterMs: NEVER_MS });
    gateway = await startChild("gateway", gatewayEnv(home), {
      simUrl: sim.url,
      extension: "100",
      logFile: join(home.root, "gateway.log"),
    });
    const token = (await readTokenMap(home)).get("100");
    const results = [];
    for (const latencyMs of options.latencies) {
      // Anything left from the run before ends; the injected latency is set after the reset.
      await simControl(sim.url, "/__sim/reset");
      await simControl(sim.url, "/__sim/faults", { latencyMs });
      await sleep(300);
      const samples = [];
      const failures = new Map();
      for (let i = 0; i < WARM_UP_CALLS + options.calls; i++) {
        const outcome = await placeCall(gateway.url, token, dispatcher);
        const measured = i >= WARM_UP_CALLS;
        if (outcome.ok && measured) samples.push(outcome.ms);
        else if (!outcome.ok && measured) countFailure(failures, outcome);
        // Each call is hung up (untimed) before the next, as a user would: hundreds of calls
        // left ringing on one extension would measure the pile, not the gateway.
        if (outcome.id) await hangUp(gateway.url, token, outcome.id, dispatcher);
        await sleep(options.gapMs);
      }
      const summary = summarise(samples);
      results.push({
        injectedMs: latencyMs,
        ...summary,
        failures: Object.fromEntries(failures),
        targetMs: latencyMs + TARGET_OVERHEAD_MS,
        medianMet: failures.size === 0 && summary.p50 <= latencyMs + TARGET_OVERHEAD_MS,
        p99Met: failures.size === 0 && summary.p99 <= latencyMs + TARGET_OVERHEAD_MS,
      });
    }
    await simControl(sim.url, "/__sim/reset");
    // The floor under those figures: loopback HTTP round trips that involve no PBX at all.
    const floor = {
      healthz: await roundTrips(`${gateway.url}/healthz`, undefined, options, dispatcher),
      status: await roundTrips(`${gateway.url}/v1/status`, token, options, dispatcher),
    };
    return { calls: options.calls, gapMs: options.gapMs, results, floor };
  } catch (error) {
    throw await withLogTail(error, home);
  } finally {
    await gateway?.stop();
    await sim?.stop();
    await home.remove();
  }
}

/** Part 2: closed loop, N calls in flight, one extension, for a few seconds each. */
async function throughputPart(options, dispatcher, log) {
  log(`throughput: one extension, ${options.concurrency.join(", ")} calls in flight…`);
  const home = await benchHome();
  let sim;
  let gateway;
  try {
    // Calls connect and end at once: a steady state, with the PBX's events for each call.
    sim = await startChild("sim", home.env, { answerAfterMs: 0, hangupAfterMs: 0 });
    gateway = await startChild("gateway", gatewayEnv(home), {
      simUrl: sim.url,
      extension: "100",
      logFile: join(home.root, "gateway.log"),
    });
    const token = (await readTokenMap(home)).get("100");
    for (let i = 0; i < 50; i++) await placeCall(gateway.url, token, dispatcher); // warm-up
    const results = [];
    for (const inFlight of options.concurrency) {
      const samples = [];
      const failures = new Map();
      const started = performance.now();
      const deadline = started + options.throughputSeconds * 1000;
      const worker = async () => {
        while (performance.now() < deadline) {
          const outcome = await placeCall(gateway.url, token, dispatcher);
          if (outcome.ok) samples.push(outcome.ms);
          else countFailure(failures, outcome);
        }
      };
      await Promise.all(Array.from({ length: inFlight }, worker));
      const seconds = (performance.now() - started) / 1000;
      results.push({
        inFlight,
        seconds: round(seconds),
        callsPerSecond: Math.round(samples.length / seconds),
        ...summarise(samples),
        failures: Object.fromEntries(failures),
      });
      await sleep(300);
    }
    return { seconds: options.throughputSeconds, results };
  } catch (error) {
    throw await withLogTail(error, home);
  } finally {
    await gateway?.stop();
    await sim?.stop();
    await home.remove();
  }
}

/** Part 3: N extensions from an --accounts file: memory, login time, open-loop latency. */
async function manyExtensionsPart(options, dispatcher, log) {
  const count = options.extensions;
  log(`${count} extensions: scenario, accounts file, logins…`);
  const home = await benchHome();
  const numbers = Array.from({ length: count }, (_, i) => String(10_000 + i));
  const scenarioFile = join(home.root, "scenario.json");
  await writeFile(scenarioFile, JSON.stringify(benchScenario(numbers)));
  const oneFile = join(home.root, "accounts-1.toml");
  const allFile = join(home.root, `accounts-${count}.toml`);
  await writeFile(oneFile, accountsToml(numbers.slice(0, 1)));
  await writeFile(allFile, accountsToml(numbers));
  let sim;
  const children = [];
  try {
    sim = await startChild("sim", home.env, { scenarioFile, answerAfterMs: 0, hangupAfterMs: 0 });
    // The same measurement with one extension, so the gateway's fixed cost drops out.
    const one = await startChild("gateway", gatewayEnv(home), {
      simUrl: sim.url,
      accountsFile: oneFile,
      logFile: join(home.root, "gateway-1.log"),
    });
    children.push(one);
    await one.stop();
    const all = await startChild(
      "gateway",
      gatewayEnv(home),
      { simUrl: sim.url, accountsFile: allFile, logFile: join(home.root, "gateway.log") },
      180_000,
    );
    children.push(all);
    const memory = perExtension(one.ready, all.ready, count);
    log(`${count} extensions: ${options.rate} calls/s for ${options.seconds} s…`);
    const tokens = await readTokenMap(home);
    const load = await openLoop(all.url, numbers, tokens, options, dispatcher);
    const after = await all.request({ type: "memory" });
    return {
      extensions: count,
      loginSeconds: round(all.ready.startMs / 1000),
      memory: {
        ...memory,
        gatewayRssMiB: round(all.ready.after.rss / 2 ** 20),
        gatewayRssAfterLoadMiB: round(after.memory.rss / 2 ** 20),
      },
      load,
    };
  } catch (error) {
    throw await withLogTail(error, home);
  } finally {
    for (const child of children) await child.stop();
    await sim?.stop();
    await home.remove();
  }
}

/** Calls at a fixed rate whatever the answers do (open loop: a slow answer cannot hide). */
async function openLoop(url, numbers, tokens, options, dispatcher) {
  const total = Math.round(options.rate * options.seconds);
  const intervalMs = 1000 / options.rate;
  const samples = [];
  const failures = new Map();
  const pending = [];
  const started = performance.now();
  let lateMs = 0;
  for (let k = 0; k < total; k++) {
    const due = started + k * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    else lateMs = Math.max(lateMs, -wait);
    const extension = numbers[k % numbers.length];
    pending.push(
      placeCall(url, tokens.get(extension), dispatcher).then((outcome) => {
        if (outcome.ok) samples.push(outcome.ms);
        else countFailure(failures, outcome);
      }),
    );
  }
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  return {
    rate: options.rate,
    sent: total,
    seconds: round(seconds),
    extensionsCalled: Math.min(total, numbers.length),
    // How far behind schedule the generator itself fell (a busy machine shows here).
    generatorLateMs: round(lateMs),
    ...summarise(samples),
    failures: Object.fromEntries(failures),
  };
}

let numberSequence = 0;

/** One POST /v1/calls to a number not dialled before (dedupe stays out of the way regardless). */
async function placeCall(url, token, dispatcher) {
  numberSequence += 1;
  const to = `+49 30 ${String(1_000_000 + numberSequence)}`;
  const started = performance.now();
  try {
    const response = await request(`${url}/v1/calls`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ to }),
      dispatcher,
    });
    const text = await response.body.text();
    const ms = performance.now() - started;
    if (response.statusCode === 201) return { ok: true, ms, id: JSON.parse(text).id };
    let code = String(response.statusCode);
    try {
      code = `${response.statusCode} ${JSON.parse(text).error.code}`;
    } catch {
      // not the API's error shape: the status alone
    }
    return { ok: false, ms, code };
  } catch (error) {
    return { ok: false, ms: performance.now() - started, code: error.code ?? error.message };
  }
}

/** GET round trips paced like the calls: median and p99. */
async function roundTrips(url, token, options, dispatcher) {
  const samples = [];
  for (let i = 0; i < WARM_UP_CALLS + options.calls; i++) {
    const started = performance.now();
    const response = await request(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      dispatcher,
    });
    await response.body.dump();
    if (i >= WARM_UP_CALLS) samples.push(performance.now() - started);
    await sleep(options.gapMs);
  }
  return summarise(samples);
}

async function hangUp(url, token, id, dispatcher) {
  const response = await request(`${url}/v1/calls/${encodeURIComponent(id)}`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${token}` },
    dispatcher,
  });
  await response.body.dump();
  if (response.statusCode !== 204)
    throw new Error(`DELETE /v1/calls/${id}: ${response.statusCode}`);
}

function countFailure(failures, outcome) {
  failures.set(outcome.code, (failures.get(outcome.code) ?? 0) + 1);
}

function summarise(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  if (sorted.length === 0) return { ok: 0, p50: null, p99: null, max: null };
  return { ok: sorted.length, p50: round(at(50)), p99: round(at(99)), max: round(at(100)) };
}

function perExtension(one, all, count) {
  const delta = (ready, key) => ready.after[key] - ready.before[key];
  const kib = (key) => round((delta(all, key) - delta(one, key)) / (count - 1) / 1024);
  if (count < 2) return { note: "needs at least 2 extensions" };
  return { rssKiB: kib("rss"), heapUsedKiB: kib("heapUsed"), externalKiB: kib("external") };
}

function round(value) {
  return Math.round(value * 10) / 10;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// Scenario, accounts, homes

function benchScenario(numbers) {
  return {
    extensions: numbers.map((number, index) => ({
      number,
      password: BENCH_PASSWORD,
      firstName: "Bench",
      lastName: number,
      devices: [
        {
          contact: `sip:${number}@127.0.0.1:${5060 + (index % 1000)};rinstance=b${number}`,
          userAgent: "Yealink SIP-T46S 66.86.0.15",
          sourceAddress: `127.0.0.1:${5060 + (index % 1000)}`,
        },
      ],
    })),
    contacts: [],
  };
}

/** The documented --accounts format; the password comes from the environment (password_env). */
function accountsToml(numbers) {
  return numbers
    .map((number) => `[[account]]\nextension = "${number}"\npassword_env = "${PASSWORD_VAR}"\n`)
    .join("\n");
}

async function benchHome() {
  const root = await mkdtemp(join(tmpdir(), "dial3cx-bench-gw-"));
  const env = {
    PATH: process.env.PATH,
    HOME: root,
    XDG_CONFIG_HOME: join(root, "config"),
    XDG_STATE_HOME: join(root, "state"),
    XDG_RUNTIME_DIR: join(root, "run"),
    DBUS_SESSION_BUS_ADDRESS: "disabled:",
  };
  return { root, env, remove: () => rm(root, { recursive: true, force: true }) };
}

/** The gateway child's environment: the passwords it needs, never on its command line. */
function gatewayEnv(home) {
  return { ...home.env, DIAL3CX_PASSWORD: "dial3cx-demo", [PASSWORD_VAR]: BENCH_PASSWORD };
}

async function readTokenMap(home) {
  const { readTokens, tokensFile } = await lib("gateway/index.js");
  const { appPaths } = await lib("features/settings/paths.js");
  return readTokens(tokensFile(appPaths(home.env)));
}

async function simControl(url, path, body) {
  const response = await request(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`${path}: ${response.statusCode} ${text}`);
}

async function withLogTail(error, home) {
  const log = await readFile(join(home.root, "gateway.log"), "utf8").catch(() => "");
  const tail = log.trim().split("\n").slice(-10).join("\n");
  return tail ? new Error(`${error.message}\n--- gateway log (last lines) ---\n${tail}`) : error;
}

// ---------------------------------------------------------------------------------------------
// Child processes

/**
 * Forks this file in `role`, sends it `config`, and resolves once it reports ready. `request`
 * asks it something over IPC; `stop` ends it (and is safe to call twice).
 */
function startChild(role, env, config, readyTimeoutMs = 30_000) {
  const child = fork(SELF, [], {
    env: { ...env, [ROLE_VAR]: role },
    execArgv: ["--expose-gc"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let exited = false;
  const waiters = [];
  child.on("message", (message) => waiters.shift()?.resolve(message));
  child.on("exit", (code, signal) => {
    exited = true;
    for (const waiter of waiters.splice(0)) {
      waiter.reject(new Error(`bench ${role} child exited (${signal ?? code})`));
    }
  });
  const next = (timeoutMs) =>
    new Promise((resolve, reject) => {
      if (exited) return reject(new Error(`bench ${role} child is not running`));
      const timer = setTimeout(
        () => reject(new Error(`bench ${role} child: no answer`)),
        timeoutMs,
      );
      waiters.push({
        resolve: (message) => {
          clearTimeout(timer);
          if (message.type === "error") reject(new Error(`bench ${role}: ${message.message}`));
          else resolve(message);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  const stop = async () => {
    if (exited) return;
    const gone = new Promise((resolve) => child.once("exit", resolve));
    child.send({ type: "stop" });
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await gone;
    clearTimeout(timer);
  };
  const ready = next(readyTimeoutMs);
  child.send({ type: "start", config });
  return ready.then(
    (message) => ({
      url: message.url,
      ready: message,
      request: (question) => {
        const answer = next(30_000);
        child.send(question);
        return answer;
      },
      stop,
    }),
    async (error) => {
      await stop();
      throw error;
    },
  );
}

/** Waits for the parent's first message of `type`. */
function parentMessage(type) {
  return new Promise((resolve) => {
    const listener = (message) => {
      if (message.type !== type) return;
      process.off("message", listener);
      resolve(message);
    };
    process.on("message", listener);
  });
}

async function runSimChild() {
  const { config } = await parentMessage("start");
  const { startSimulator, loadScenarioFile } = await lib("sim/index.js");
  const scenario = config.scenarioFile ? await loadScenarioFile(config.scenarioFile) : undefined;
  const sim = await startSimulator({
    port: 0,
    scenario,
    answerAfterMs: config.answerAfterMs,
    hangupAfterMs: config.hangupAfterMs,
  });
  process.send({ type: "ready", url: sim.url });
  await parentMessage("stop");
  await sim.stop();
  process.exit(0);
}

async function runGatewayChild() {
  const { config } = await parentMessage("start");
  try {
    const { default: pino } = await import("pino");
    const gatewayLib = await lib("gateway/index.js");
    const { resolveSettings } = await lib("features/settings/config.js");
    const { appPaths } = await lib("features/settings/paths.js");
    const { memoryStore } = await lib("features/settings/secrets.js");
    const env = process.env;
    const settings = resolveSettings({
      env,
      flags: { pbx: config.simUrl, extension: config.extension ?? "100" },
    });
    const accounts = config.accountsFile
      ? await gatewayLib.readAccountsFile(config.accountsFile, settings)
      : [gatewayLib.accountFromSettings(settings)];
    const before = await settledMemory();
    const started = performance.now();
    const gateway = await gatewayLib.startGateway({
      accounts,
      paths: appPaths(env),
      env,
      store: memoryStore(),
      listen: "127.0.0.1:0",
      socket: false,
      // Configured out: the bench places many calls per second on one token.
      rateLimit: { calls: Number.MAX_SAFE_INTEGER, windowMs: 1 },
      dedupeSeconds: 0,
      // The request log as in production (info), to a file instead of the terminal.
      logStream: pino.destination({ dest: config.logFile, sync: true }),
    });
    const startMs = performance.now() - started;
    // Let the first pushes and keep-alives settle before measuring.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = await settledMemory();
    process.send({ type: "ready", url: gateway.url, startMs, before, after });
    process.on("message", async (message) => {
      if (message.type === "memory")
        process.send({ type: "memory", memory: await settledMemory() });
      if (message.type === "stop") {
        await gateway.stop();
        process.exit(0);
      }
    });
  } catch (error) {
    process.send({ type: "error", message: error.message }, () => process.exit(1));
  }
}

/** process.memoryUsage() after full garbage collections (the child runs with --expose-gc). */
async function settledMemory() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external, arrayBuffers };
}

// ---------------------------------------------------------------------------------------------
// Table

function table(report) {
  const lines = [];
  const ms = (value) => (value === null ? "-" : `${value.toFixed(1)} ms`);
  const failures = (f) =>
    Object.keys(f).length === 0
      ? "0"
      : Object.entries(f)
          .map(([code, n]) => `${n}× ${code}`)
          .join(", ");
  const row = (cells, widths) => cells.map((cell, i) => String(cell).padEnd(widths[i])).join("  ");
  lines.push(
    `dial3cx gateway benchmark · node ${report.node} · ${report.platform} · ${report.cpus} CPUs (${report.cpuModel})`,
    "simulator, gateway and load generator: three processes on loopback",
    `load average (1 min) before ${report.loadAverage1m.before}, after ${report.loadAverage1m.after}${report.loadAverage1m.before > report.cpus / 2 ? "  ← a busy machine: tails are not the gateway's" : ""}`,
    "",
    `POST /v1/calls, one at a time (${report.latency.calls} calls per row, ${report.latency.gapMs} ms apart, one extension)`,
  );
  let widths = [10, 10, 10, 10, 10, 40];
  lines.push(`  ${row(["injected", "median", "p99", "max", "failed", "target"], widths)}`);
  for (const r of report.latency.results) {
    const verdict = (met) => (met ? "met" : "MISSED");
    const target = `≤ ${r.targetMs} ms: median ${verdict(r.medianMet)}, p99 ${verdict(r.p99Met)}`;
    lines.push(
      `  ${row([`${r.injectedMs} ms`, ms(r.p50), ms(r.p99), ms(r.max), failures(r.failures), target], widths)}`,
    );
  }
  const floor = report.latency.floor;
  lines.push(
    `  for scale, with no PBX in the way: GET /healthz median ${ms(floor.healthz.p50)}, p99 ${ms(floor.healthz.p99)}; GET /v1/status median ${ms(floor.status.p50)}, p99 ${ms(floor.status.p99)}`,
  );
  lines.push(
    "",
    `Throughput, one extension (${report.throughput.seconds} s per row; dedupe and rate limit off)`,
  );
  widths = [10, 10, 10, 10, 10, 10];
  lines.push(`  ${row(["in flight", "calls/s", "median", "p99", "max", "failed"], widths)}`);
  for (const r of report.throughput.results) {
    lines.push(
      `  ${row([r.inFlight, r.callsPerSecond, ms(r.p50), ms(r.p99), ms(r.max), failures(r.failures)], widths)}`,
    );
  }
  lines.push("  (past the plateau, more calls in flight only wait longer in the queue)");
  const many = report.manyExtensions;
  const load = many.load;
  lines.push(
    "",
    `${many.extensions} extensions through --accounts (one device each)`,
    `  login of all extensions     ${many.loginSeconds} s`,
    `  memory per extension        RSS ${many.memory.rssKiB} KiB · heap ${many.memory.heapUsedKiB} KiB · external ${many.memory.externalKiB} KiB`,
    `  gateway RSS                 ${many.memory.gatewayRssMiB} MiB logged in · ${many.memory.gatewayRssAfterLoadMiB} MiB after the load`,
    `  ${load.rate} calls/s for ${load.seconds} s     ${load.ok}/${load.sent} placed · median ${ms(load.p50)} · p99 ${ms(load.p99)} · max ${ms(load.max)} · failed ${failures(load.failures)}`,
    "",
  );
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------
// Entry: last, so every module-level binding above is initialised first.

switch (process.env[ROLE_VAR]) {
  case "sim":
    await runSimChild();
    break;
  case "gateway":
    await runGatewayChild();
    break;
  default:
    await main();
}
