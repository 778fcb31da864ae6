// `npm run bench`: the simulator in-process with 0 and 30 ms of injected latency; for each, the
// process cold start (`--version`), `dial3cx call` cold (no cache: a fresh HOME every run) and
// warm (a valid session cache), median and p90 of 20 runs, and the requests each run sent to the
// PBX (from /__sim/requests; the websocket upgrade counted apart). Checks issue 4's targets.
// A warm `call --dry-run` (everything but the request) shows what loading the CLI costs.
// Usage: node bench/run.mjs [--json] [--runs N] [--latency 0,30] [--bin path/to/dial3cx.js]
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  BIN,
  measureVersion,
  REPO,
  requireBuild,
  summarise,
  tempHome,
  timeNode,
} from "./measure.mjs";

const NUMBER = "+49 30 123456";
const TARGETS = { versionMs: 100, warmRequests: 1, coldRequests: 5, warmOverLatencyMs: 80 };

const { values } = parseArgs({
  options: {
    json: { type: "boolean" },
    runs: { type: "string", default: "20" },
    latency: { type: "string", default: "0,30" },
    bin: { type: "string", default: BIN },
  },
});
const runs = Number(values.runs);
const latencies = values.latency.split(",").map(Number);
const bin = values.bin;
requireBuild(
  bin === BIN ? ["dist/cli/main.js", "dist/lib/sim/index.js"] : ["dist/lib/sim/index.js"],
);
const { startSimulator, DEFAULT_DEMO_PASSWORD } = await import("../dist/lib/sim/index.js");
const { version } = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8"));

const results = [];
for (const latencyMs of latencies) results.push(await measureAt(latencyMs));
const report = {
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  cpus: cpus().length,
  runs,
  results,
  targets: checkTargets(results),
};
if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
else process.stdout.write(table(report));

async function measureAt(latencyMs) {
  // Calls end on their own at once, so MyInfo does not fill up with live calls over the runs.
  const sim = await startSimulator({ port: 0, latencyMs, answerAfterMs: 0, hangupAfterMs: 0 });
  try {
    const account = (home) => ({
      ...home.env,
      DIAL3CX_PBX: sim.url,
      DIAL3CX_EXTENSION: "100",
      DIAL3CX_PASSWORD: DEFAULT_DEMO_PASSWORD,
    });
    const versionColdStart = await inHome((home) => measureVersion(runs, home.env, version, bin));
    const cold = [];
    for (let i = 0; i < runs; i++)
      cold.push(await inHome((home) => measureCall(sim, account(home))));
    const { warm, dryRun } = await inHome(async (home) => {
      await measureCall(sim, account(home)); // fills the cache
      const warm = [];
      for (let i = 0; i < runs; i++) warm.push(await measureCall(sim, account(home)));
      // Everything a warm call does but the request: what loading the CLI costs.
      const dryRun = [];
      for (let i = 0; i < runs; i++) {
        dryRun.push(await measureCall(sim, account(home), ["--dry-run"]));
      }
      return { warm, dryRun };
    });
    return {
      latencyMs,
      versionColdStart,
      callCold: describe(cold),
      callWarm: describe(warm),
      callWarmDryRun: describe(dryRun),
    };
  } finally {
    await sim.stop();
  }
}

/** Runs `use` with a fresh temporary HOME, removed afterwards. */
async function inHome(use) {
  const home = await tempHome();
  try {
    return await use(home);
  } finally {
    await home.remove();
  }
}

/** One `dial3cx call`: its wall time and what it sent to the PBX. */
async function measureCall(sim, env, flags = []) {
  const before = (await simRequests(sim)).length;
  const { ms, stdout } = await timeNode([bin, "call", NUMBER, ...flags], env);
  if (!/^(Calling|Would call) /.test(stdout)) throw new Error(`unexpected output: ${stdout}`);
  const sent = (await simRequests(sim)).slice(before);
  const websockets = sent.filter((entry) => entry.status === 101).length;
  return { ms, http: sent.length - websockets, websockets };
}

async function simRequests(sim) {
  const answer = await fetch(new URL("/__sim/requests", sim.url));
  return answer.json();
}

function describe(samples) {
  const range = (key) => {
    const counts = samples.map((s) => s[key]);
    return { min: Math.min(...counts), max: Math.max(...counts) };
  };
  return {
    ...summarise(samples.map((s) => s.ms)),
    httpRequests: range("http"),
    websockets: range("websockets"),
  };
}

function checkTargets(measured) {
  const checks = [];
  const add = (name, met, detail) => checks.push({ name, met, detail });
  for (const r of measured) {
    const at = `at ${r.latencyMs} ms`;
    const w = r.callWarm;
    const c = r.callCold;
    add(
      `warm call sends exactly ${TARGETS.warmRequests} PBX request ${at}`,
      w.httpRequests.min === TARGETS.warmRequests &&
        w.httpRequests.max === TARGETS.warmRequests &&
        w.websockets.max === 0,
      `${w.httpRequests.min}–${w.httpRequests.max} HTTP, ${w.websockets.max} websocket`,
    );
    add(
      `cold call sends at most ${TARGETS.coldRequests} PBX requests plus the websocket ${at}`,
      c.httpRequests.max <= TARGETS.coldRequests && c.websockets.max <= 1,
      `${c.httpRequests.max} HTTP + ${c.websockets.max} websocket`,
    );
    const limit = r.latencyMs + TARGETS.warmOverLatencyMs;
    add(`warm median ≤ ${limit} ms ${at}`, w.medianMs <= limit, `${w.medianMs} ms`);
    const v = r.versionColdStart;
    add(
      `--version < ${TARGETS.versionMs} ms ${at}`,
      v.medianMs < TARGETS.versionMs,
      `${v.medianMs} ms`,
    );
  }
  return checks;
}

function table(data) {
  const rows = [["latency", "measure", "median", "p90", "PBX requests", "websocket"]];
  const span = ({ min, max }) => (min === max ? String(min) : `${min}–${max}`);
  for (const r of data.results) {
    const at = `${r.latencyMs} ms`;
    const v = r.versionColdStart;
    rows.push([at, "--version (cold start)", ms(v.medianMs), ms(v.p90Ms), "-", "-"]);
    for (const [name, m] of [
      ["call, cold (no cache)", r.callCold],
      ["call, warm (cache)", r.callWarm],
      ["call --dry-run, warm", r.callWarmDryRun],
    ]) {
      rows.push([at, name, ms(m.medianMs), ms(m.p90Ms), span(m.httpRequests), span(m.websockets)]);
    }
  }
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  const line = (row) =>
    row.map((cell, col) => (col < 2 ? cell.padEnd(widths[col]) : cell.padStart(widths[col])));
  const lines = rows.map((row) => line(row).join("  ").trimEnd());
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  const header = `dial3cx benchmark: ${data.runs} runs each, Node ${data.node}, ${data.platform}, ${data.cpus} CPUs`;
  const checks = data.targets.map(
    (t) => `  ${t.met ? "met    " : "NOT MET"}  ${t.name} (${t.detail})`,
  );
  return `${[header, "", ...lines, "", "Targets:", ...checks].join("\n")}\n`;
}

function ms(value) {
  return `${value.toFixed(1)} ms`;
}
