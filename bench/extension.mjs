// The browser extension's content script at scale, measured in Debian's Chromium with the
// built extension loaded: a page of 10,000 text nodes (one in ten holds a phone number, others
// dates, amounts and order numbers), marked in idle-time batches. Reports each batch's
// main-thread time (the target: under 50 ms per batch), the number of batches, the total,
// and the page's long tasks (over 50 ms, from a PerformanceObserver in the page) while marking.
// Then the same again for 10,000 nodes inserted at once after load (the MutationObserver path).
// Usage: npm run build && node bench/extension.mjs [--json] [--runs N] [--nodes N]
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { REPO, requireBuild } from "./measure.mjs";

const TARGET_MS = 50;
const CHROMIUM = process.env.DIAL3CX_CHROMIUM ?? "/usr/bin/chromium";
const { values } = parseArgs({
  options: {
    json: { type: "boolean" },
    runs: { type: "string", default: "3" },
    nodes: { type: "string", default: "10000" },
  },
});
requireBuild(["dist/extension/chromium/manifest.json"]);
if (!existsSync(CHROMIUM)) {
  process.stderr.write(`bench: no Chromium at ${CHROMIUM} (apt-get install chromium).\n`);
  process.exit(1);
}
const NODES = Number(values.nodes);
const EXTENSION = join(REPO, "dist/extension/chromium");

/** Text of the i-th node: every tenth a phone number, the rest look like CRM text. */
function text(i) {
  if (i % 10 === 0) return `Call +49 30 ${String(1000000 + i).slice(0, 7)} for order ${i}`;
  const other = [
    `Ticket #${100000 + i} updated on 2024-01-${String((i % 28) + 1).padStart(2, "0")}`,
    `Amount 1.234,${String(i % 100).padStart(2, "0")} EUR, invoice ${2024000000 + i}`,
    `Version 20.0.${i % 50}, build ${i}`,
    `Plain text without any digits in row`,
  ];
  return other[i % other.length];
}

function page(nodes) {
  const rows = [];
  for (let i = 0; i < nodes; i++) rows.push(`<p>${text(i)}</p>`);
  return `<!doctype html><html data-dial3cx-bench><head><meta charset="utf-8"><script>
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
    }).observe({ type: "longtask", buffered: true });
    window.__insert = (n) => {
      const box = document.createElement("div");
      for (let i = 0; i < n; i++) {
        const p = document.createElement("p");
        p.textContent = ${JSON.stringify("X")}.replace("X", (${text.toString()})(i));
        box.append(p);
      }
      performance.clearMeasures("dial3cx-batch");
      performance.clearMarks("dial3cx-idle");
      window.__longTasks = [];
      document.body.append(box);
    };
  </script></head><body>${rows.join("\n")}</body></html>`;
}

function summarise(durations) {
  const sorted = [...durations].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const total = sorted.reduce((a, b) => a + b, 0);
  return {
    batches: sorted.length,
    median: at(0.5),
    p95: at(0.95),
    max: sorted.at(-1) ?? 0,
    total,
  };
}

/** Waits (without polling the page busy) until the content script says it ran dry. */
async function marked(tab, expected, timeoutMs = 600_000) {
  await tab.waitForFunction(() => performance.getEntriesByName("dial3cx-idle").length > 0, null, {
    polling: 500,
    timeout: timeoutMs,
  });
  const count = await tab.evaluate(() => document.querySelectorAll(".dial3cx-number").length);
  if (count !== expected) throw new Error(`marked ${count} numbers, expected ${expected}`);
  return count;
}

async function collect(tab) {
  return tab.evaluate(() => ({
    batches: performance.getEntriesByName("dial3cx-batch").map((e) => e.duration),
    longTasks: [...window.__longTasks],
  }));
}

/**
 * Chromium's own trace of the page's renderer main thread: for each call into the content
 * script (its idle callbacks, MessagePort continuations and MutationObserver callbacks; the
 * page's own scripts are left out), its wall time and its thread CPU time. On a busy machine the wall time includes waiting for a core; the CPU time is
 * what the batch itself cost.
 */
async function startTrace(context, tab) {
  const cdp = await context.newCDPSession(tab);
  const events = [];
  cdp.on("Tracing.dataCollected", (message) => events.push(...message.value));
  await cdp.send("Tracing.start", {
    traceConfig: {
      includedCategories: ["devtools.timeline", "disabled-by-default-devtools.timeline"],
    },
    transferMode: "ReportEvents",
  });
  return {
    async stop() {
      const complete = new Promise((resolve) => cdp.once("Tracing.tracingComplete", resolve));
      await cdp.send("Tracing.end");
      await complete;
      await cdp.detach();
      const mains = new Set(
        events
          .filter((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain")
          .map((e) => `${e.pid}:${e.tid}`),
      );
      const tasks = events.filter(
        (e) =>
          e.ph === "X" &&
          e.name === "FunctionCall" &&
          String(e.args?.data?.url ?? "").startsWith("chrome-extension://") &&
          mains.has(`${e.pid}:${e.tid}`) &&
          e.tdur !== undefined,
      );
      const cpu = tasks.map((e) => e.tdur / 1000);
      const wall = tasks.map((e) => e.dur / 1000);
      return { tasks: tasks.length, cpu: summarise(cpu), wall: summarise(wall) };
    },
  };
}

const html = page(NODES);
const server = createServer((_request, response) => {
  response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  response.end(html);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${server.address().port}/`;
const profile = await mkdtemp(join(tmpdir(), "dial3cx-bench-ext-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--disable-extensions-except=${EXTENSION}`,
    `--load-extension=${EXTENSION}`,
  ],
});
const expected = Math.ceil(NODES / 10);
const runs = [];
try {
  if (context.serviceWorkers().length === 0) await context.waitForEvent("serviceworker");
  for (let run = 0; run < Number(values.runs); run++) {
    const tab = await context.newPage();
    const trace = await startTrace(context, tab);
    await tab.goto(url);
    const started = Date.now();
    await marked(tab, expected);
    const load = { ...(await collect(tab)), wallMs: Date.now() - started };
    await tab.evaluate((n) => window.__insert(n), NODES);
    const insertedAt = Date.now();
    await marked(tab, expected * 2);
    const inserted = { ...(await collect(tab)), wallMs: Date.now() - insertedAt };
    runs.push({ load, inserted, cpu: await trace.stop() });
    await tab.close();
  }
} finally {
  await context.close();
  server.close();
  await rm(profile, { recursive: true, force: true });
}

const report = {
  nodes: NODES,
  numbersPerPage: expected,
  targetMsPerBatch: TARGET_MS,
  loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
  runs: runs.map(({ load, inserted, cpu }) => ({
    trace: cpu,
    load: { ...summarise(load.batches), wallMs: load.wallMs, longTasks: load.longTasks },
    inserted: {
      ...summarise(inserted.batches),
      wallMs: inserted.wallMs,
      longTasks: inserted.longTasks,
    },
  })),
};
const worst = Math.max(...report.runs.map((r) => r.trace.cpu.max));
const worstWall = Math.max(...report.runs.flatMap((r) => [r.load.max, r.inserted.max]));
report.worstBatchCpuMs = worst;
report.worstBatchWallMs = worstWall;
report.meetsTarget = worst < TARGET_MS;

if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const f = (ms) => `${ms.toFixed(1)} ms`;
  console.log(
    `Extension marking, ${NODES} text nodes, ${expected} numbers, Chromium headless (load average ${report.loadavg.join(", ")})`,
  );
  for (const [i, run] of report.runs.entries()) {
    for (const [name, s] of [
      ["page load", run.load],
      ["inserted ", run.inserted],
    ]) {
      console.log(
        `run ${i + 1} ${name}: ${s.batches} batches, per batch median ${f(s.median)}, p95 ${f(s.p95)}, max ${f(s.max)}; marking total ${f(s.total)} over ${s.wallMs} ms wall; long tasks ${s.longTasks.length ? s.longTasks.map((d) => d.toFixed(0)).join(", ") : "none"}`,
      );
    }
  }
  for (const [i, run] of report.runs.entries()) {
    const { cpu, wall, tasks } = run.trace;
    console.log(
      `run ${i + 1} trace: ${tasks} content-script tasks on the page's main thread; CPU per task median ${f(cpu.median)}, p95 ${f(cpu.p95)}, max ${f(cpu.max)} (wall max ${f(wall.max)})`,
    );
  }
  console.log(
    `worst batch: ${f(worst)} of main-thread CPU (${f(worstWall)} wall, waiting for a core included): ${report.meetsTarget ? "under" : "OVER"} the ${TARGET_MS} ms target`,
  );
}
