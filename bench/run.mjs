// `npm run bench`: what a click costs, measured side by side against its floor. The simulator runs
// in-process over TLS (its certificate trusted through a CA file, DIAL3CX_CA) with 0 and 30 ms of
// injected latency. For each latency, every round runs each of these once, in turn, so a busy
// machine slows them alike (medians of --runs rounds, default 11):
//   - `node -e 0`, and the floor (bench/floor.mjs: read a JSON file, one POST to the PBX, exit);
//   - `dial3cx --version`;
//   - warm `dial3cx call` (a valid session cache; the fast path), the same with the fast path off
//     (DIAL3CX_FAST_PATH=0: commander and the driver), and a warm `dial3cx open tel:…`;
//   - `dial3cx call` and `dial3cx open tel:…` through a running `dial3cx serve` (its unix socket);
// then cold calls (a fresh HOME each) and 22 calls in a row through the socket, all of which must
// be placed. Every CLI figure is also given as a ratio to the floor (to `node -e 0` for
// --version), with the PBX requests each run sent; the targets of issue 11 are checked.
// Usage: node bench/run.mjs [--json] [--runs N] [--latency 0,30] [--bin path/to/dial3cx.js]
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BIN, REPO, requireBuild, summarise, tempHome, timeNode } from "./measure.mjs";

const FLOOR = join(REPO, "bench", "floor.mjs");
const TARGETS = { warmCall: 1.2, gatewayClick: 1.25, version: 1.15, warmRequests: 1 };
const GATEWAY_BURST = 22;
/** undici dispatcher for the simulator's control API (its self-signed certificate). */
let dispatcher;

const { values } = parseArgs({
  options: {
    json: { type: "boolean" },
    runs: { type: "string", default: "11" },
    latency: { type: "string", default: "0,30" },
    bin: { type: "string", default: BIN },
  },
});
const runs = Number(values.runs);
const latencies = values.latency.split(",").map(Number);
const bin = values.bin;
requireBuild(
  bin === BIN
    ? ["dist/cli/main.cjs", "dist/lib/sim/index.js", "dist/lib/drivers/webclient/myphone-wire.js"]
    : ["dist/lib/sim/index.js", "dist/lib/drivers/webclient/myphone-wire.js"],
);
const { startSimulator, DEFAULT_DEMO_PASSWORD } = await import("../dist/lib/sim/index.js");
const { encodeMakeCall, MYPHONE_PATH } = await import(
  "../dist/lib/drivers/webclient/myphone-wire.js"
);
const { version } = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8"));

const results = [];
for (const latencyMs of latencies) results.push(await measureAt(latencyMs));
const report = {
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? "unknown",
  loadAverage: loadavg()[0],
  nodeExtraCaCerts: Boolean(process.env.NODE_EXTRA_CA_CERTS),
  runs,
  results,
  targets: checkTargets(results),
};
if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
else process.stdout.write(table(report));

async function measureAt(latencyMs) {
  // Calls end on their own at once, so MyInfo does not fill up with live calls over the runs.
  const sim = await startSimulator({
    port: 0,
    latencyMs,
    answerAfterMs: 0,
    hangupAfterMs: 0,
    tls: true,
  });
  const homes = [];
  const newHome = async () => {
    const home = await tempHome();
    homes.push(home);
    // As a user of this machine: its extra CA bundle (if any) costs every process alike.
    if (process.env.NODE_EXTRA_CA_CERTS)
      home.env.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
    const caFile = join(home.dir, "pbx-ca.pem");
    await writeFile(caFile, sim.certPem);
    return { ...home, caFile };
  };
  const account = (home, password = true) => ({
    ...home.env,
    DIAL3CX_PBX: sim.url,
    DIAL3CX_EXTENSION: "100",
    DIAL3CX_CA: home.caFile,
    ...(password ? { DIAL3CX_PASSWORD: DEFAULT_DEMO_PASSWORD } : {}),
  });
  let gateway;
  try {
    // Warm: one call fills the session cache.
    const warmHome = await newHome();
    const warmEnv = account(warmHome);
    await measureCli(sim, warmEnv, ["call", "+49 30 123456"]);
    const floorJob = await writeFloorJob(sim, warmHome);
    const noTools = { PATH: join(warmHome.dir, "no-tools") }; // no notify-send: nothing shown
    // Through a gateway: `dial3cx serve` in its own HOME; its CLI has no password, so a call that
    // did not go through the gateway fails the run instead of passing for one.
    const gatewayHome = await newHome();
    gatewayHome.env.XDG_RUNTIME_DIR = join(gatewayHome.dir, "run");
    gateway = await startGateway(account(gatewayHome), gatewayHome);
    // A loaded machine may keep the gateway past the CLI's 150 ms pre-flight, and the call would
    // then (correctly) go direct: measured here is the hand-off when the gateway answers.
    const gatewayEnv = { ...account(gatewayHome, false), DIAL3CX_GATEWAY_WAIT_MS: "2000" };
    // A gateway that has been running a while: its first requests compile its code.
    for (const to of ["+49 30 1239998", "+49 30 1239999"]) {
      await measureCli(sim, gatewayEnv, ["call", to]);
    }

    const samples = {
      bareNode: [],
      floor: [],
      version: [],
      callWarm: [],
      callWarmFullPath: [],
      openWarm: [],
      callGateway: [],
      openGateway: [],
    };
    let n = 0;
    const next = () => String(n++).padStart(3, "0");
    for (let i = 0; i < runs; i++) {
      samples.bareNode.push({ ms: (await timeNode(["-e", "0"], warmHome.env)).ms });
      samples.floor.push(await measureFloor(sim, warmHome.env, floorJob));
      samples.version.push(await measureVersion(warmHome.env));
      samples.callWarm.push(await measureCli(sim, warmEnv, ["call", `+49 30 1234${next()}`]));
      samples.callWarmFullPath.push(
        await measureCli(sim, { ...warmEnv, DIAL3CX_FAST_PATH: "0" }, [
          "call",
          `+49 30 1234${next()}`,
        ]),
      );
      samples.openWarm.push(
        await measureCli(sim, { ...warmEnv, ...noTools }, ["open", `tel:+49-30-1234-${next()}`]),
      );
      samples.callGateway.push(await measureCli(sim, gatewayEnv, ["call", `+49 30 1235${next()}`]));
      samples.openGateway.push(
        await measureCli(sim, { ...gatewayEnv, ...noTools }, ["open", `tel:+49-30-1235-${next()}`]),
      );
    }
    const cold = [];
    for (let i = 0; i < runs; i++) {
      const home = await newHome();
      cold.push(await measureCli(sim, account(home), ["call", "+49 30 123456"]));
    }
    // 22 in a row through the socket (more than the web's 10 a minute): all must be placed.
    const burst = [];
    for (let i = 0; i < GATEWAY_BURST; i++) {
      burst.push(await measureCli(sim, gatewayEnv, ["call", `+49 30 1236${next()}`]));
    }
    const viaGatewayOnly = !existsSync(join(gatewayHome.dir, "state", "dial3cx", "session.json"));
    const floorMs = summarise(samples.floor.map((s) => s.ms)).medianMs;
    const nodeMs = summarise(samples.bareNode.map((s) => s.ms)).medianMs;
    const described = {};
    for (const [name, list] of Object.entries(samples)) {
      const base = name === "version" ? nodeMs : floorMs;
      described[name] = describe(list, name === "bareNode" || name === "floor" ? undefined : base);
    }
    described.callCold = describe(cold, floorMs);
    return {
      latencyMs,
      ...described,
      gatewayBurst: {
        calls: burst.length,
        placed: burst.filter((s) => s.makeCalls === 1).length,
        viaGatewayOnly,
        ...summarise(burst.map((s) => s.ms)),
      },
    };
  } finally {
    await dispatcher?.close();
    dispatcher = undefined;
    await gateway?.stop();
    await sim.stop();
    for (const home of homes) await home.remove();
  }
}

/** The floor's job file: one MakeCall on the session the warm call cached, as dial3cx sends it. */
async function writeFloorJob(sim, home) {
  const file = JSON.parse(readFileSync(join(home.dir, "state", "dial3cx", "session.json"), "utf8"));
  const session = file.sessions?.[0] ?? file;
  const device =
    session.devices.find((d) => /yealink/i.test(d.userAgent ?? "")) ?? session.devices[0];
  const cookies = Object.entries(session.cookies ?? {}).map(([k, v]) => `${k}=${v}`);
  const job = {
    url: new URL(MYPHONE_PATH, sim.url).href,
    caFile: home.caFile,
    headers: {
      "content-type": "application/octet-stream",
      myphonesession: session.sessionKey,
      ...(cookies.length ? { cookie: cookies.join("; ") } : {}),
    },
    body: Buffer.from(encodeMakeCall("004930123400", device.contact)).toString("base64"),
  };
  const path = join(home.dir, "floor-job.json");
  await writeFile(path, JSON.stringify(job));
  return path;
}

async function measureFloor(sim, env, job) {
  const before = (await simRequests(sim)).length;
  const { ms } = await timeNode([FLOOR, job], env);
  const sent = (await simRequests(sim)).slice(before);
  if (sent.length !== 1 || sent[0].status !== 200) throw new Error("the floor's POST failed");
  return { ms, http: 1, websockets: 0, makeCalls: 1 };
}

async function measureVersion(env) {
  const { ms, stdout } = await timeNode([bin, "--version"], env);
  if (stdout.trim() !== version) throw new Error(`--version printed ${JSON.stringify(stdout)}`);
  return { ms };
}

/** One CLI run: its wall time and what it sent to the PBX. */
async function measureCli(sim, env, args) {
  const before = (await simRequests(sim)).length;
  const { ms, stdout } = await timeNode([bin, ...args], env);
  if (!/^(Calling|Already calling) /.test(stdout)) throw new Error(`unexpected output: ${stdout}`);
  const sent = (await simRequests(sim)).slice(before);
  const websockets = sent.filter((entry) => entry.status === 101).length;
  const makeCalls = sent.filter((entry) => entry.messageId === 119 && entry.status === 200).length;
  return { ms, http: sent.length - websockets, websockets, makeCalls };
}

async function simRequests(sim) {
  const { Agent, request } = await import("undici");
  // The simulator's own certificate: this process trusts it for its control API only.
  dispatcher ??= new Agent({ connect: { rejectUnauthorized: false } });
  const answer = await request(new URL("/__sim/requests", sim.url), { dispatcher });
  return answer.body.json();
}

/** `dial3cx serve` in the background; resolves once its socket and token are there. */
async function startGateway(env, home) {
  const child = spawn(process.execPath, [bin, "serve", "--listen", "127.0.0.1:0"], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk) => {
    stderr += chunk;
  });
  const socket = join(env.XDG_RUNTIME_DIR, "dial3cx", "gateway.sock");
  const tokens = join(home.dir, "config", "dial3cx", "gateway-tokens");
  const started = Date.now();
  while (!(existsSync(socket) && existsSync(tokens))) {
    if (child.exitCode !== null) throw new Error(`dial3cx serve exited:\n${stderr}`);
    if (Date.now() - started > 30_000) throw new Error(`dial3cx serve did not start:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", resolve);
        child.kill("SIGTERM");
      }),
  };
}

function describe(samples, baseMs) {
  const summary = summarise(samples.map((s) => s.ms));
  const range = (key) => {
    const counts = samples.map((s) => s[key]).filter((c) => c !== undefined);
    return counts.length ? { min: Math.min(...counts), max: Math.max(...counts) } : undefined;
  };
  return {
    ...summary,
    ...(baseMs ? { ratio: Math.round((summary.medianMs / baseMs) * 100) / 100 } : {}),
    ...(samples[0]?.http !== undefined
      ? {
          httpRequests: range("http"),
          websockets: range("websockets"),
          makeCalls: range("makeCalls"),
        }
      : {}),
  };
}

function checkTargets(measured) {
  const checks = [];
  const add = (name, met, detail) => checks.push({ name, met, detail });
  const at30 = measured.find((r) => r.latencyMs === 30) ?? measured.at(-1);
  for (const r of measured) {
    const at = `at ${r.latencyMs} ms`;
    const w = r.callWarm;
    add(
      `warm call sends exactly ${TARGETS.warmRequests} PBX request ${at}`,
      w.httpRequests.min === 1 && w.httpRequests.max === 1 && w.websockets.max === 0,
      `${w.httpRequests.min}–${w.httpRequests.max} HTTP, ${w.websockets.max} websocket`,
    );
    const b = r.gatewayBurst;
    add(
      `${GATEWAY_BURST} calls in a row through the gateway's socket all placed ${at}`,
      b.placed === b.calls && b.viaGatewayOnly,
      `${b.placed}/${b.calls} placed${b.viaGatewayOnly ? "" : ", some not via the gateway"}`,
    );
  }
  add(
    `warm call ≤ ${TARGETS.warmCall}× the floor at ${at30.latencyMs} ms`,
    at30.callWarm.ratio <= TARGETS.warmCall,
    `${at30.callWarm.ratio}×`,
  );
  for (const key of ["callGateway", "openGateway"]) {
    add(
      `${key === "callGateway" ? "call" : "open tel:…"} through the gateway ≤ ${TARGETS.gatewayClick}× the floor at ${at30.latencyMs} ms`,
      at30[key].ratio <= TARGETS.gatewayClick,
      `${at30[key].ratio}×`,
    );
  }
  const versionRatio = Math.max(...measured.map((r) => r.version.ratio));
  add(
    `--version ≤ ${TARGETS.version}× node -e 0`,
    versionRatio <= TARGETS.version,
    `${versionRatio}× (worst of the latencies)`,
  );
  return checks;
}

function table(data) {
  const rows = [["latency", "measure", "median", "p90", "ratio", "PBX requests", "websocket"]];
  const span = (range) =>
    range === undefined
      ? "-"
      : range.min === range.max
        ? String(range.min)
        : `${range.min}–${range.max}`;
  for (const r of data.results) {
    const at = `${r.latencyMs} ms`;
    for (const [name, m, base] of [
      ["node -e 0", r.bareNode, ""],
      ["floor (JSON file + one POST)", r.floor, ""],
      ["--version", r.version, "× node"],
      ["call, warm (fast path)", r.callWarm, "×"],
      ["call, warm, DIAL3CX_FAST_PATH=0", r.callWarmFullPath, "×"],
      ["open tel:…, warm", r.openWarm, "×"],
      ["call via gateway socket", r.callGateway, "×"],
      ["open tel:… via gateway socket", r.openGateway, "×"],
      ["call, cold (no cache)", r.callCold, "×"],
    ]) {
      rows.push([
        at,
        name,
        ms(m.medianMs),
        ms(m.p90Ms),
        m.ratio === undefined ? "1" : `${m.ratio.toFixed(2)}${base}`,
        span(m.httpRequests),
        span(m.websockets),
      ]);
    }
  }
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  const line = (row) =>
    row.map((cell, col) => (col < 2 ? cell.padEnd(widths[col]) : cell.padStart(widths[col])));
  const lines = rows.map((row) => line(row).join("  ").trimEnd());
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  const header = `dial3cx benchmark: ${data.runs} rounds, Node ${data.node}, ${data.platform}, ${data.cpus} × ${data.cpuModel}, load ${data.loadAverage.toFixed(1)}${data.nodeExtraCaCerts ? ", NODE_EXTRA_CA_CERTS set" : ""}; ratio: median ÷ the floor's median (--version: ÷ node -e 0's)`;
  const bursts = data.results.map(
    (r) =>
      `  ${r.latencyMs} ms: ${r.gatewayBurst.placed}/${r.gatewayBurst.calls} calls through the socket placed, median ${ms(r.gatewayBurst.medianMs)}`,
  );
  const checks = data.targets.map(
    (t) => `  ${t.met ? "met    " : "NOT MET"}  ${t.name} (${t.detail})`,
  );
  return `${[header, "", ...lines, "", "Gateway burst:", ...bursts, "", "Targets:", ...checks].join("\n")}\n`;
}

function ms(value) {
  return `${value.toFixed(1)} ms`;
}
