// `dial3cx --version` cold start: median of 20 fresh processes (issue 2's figure; aim < 100 ms),
// next to a bare `node -e 0` for scale.
// Usage: node bench/cold-start.mjs [--json] [--runs N] [--bin path/to/dial3cx.js]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BIN, measureBareNode, measureVersion, REPO, requireBuild, tempHome } from "./measure.mjs";

const TARGET_MS = 100;

const { values } = parseArgs({
  options: {
    json: { type: "boolean" },
    runs: { type: "string", default: "20" },
    bin: { type: "string", default: BIN },
  },
});
const runs = Number(values.runs);
if (values.bin === BIN) requireBuild();
const { version } = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8"));
const home = await tempHome();
try {
  await measureVersion(2, home.env, version, values.bin); // warm the OS file cache, as any second run would
  const result = {
    node: process.version,
    versionColdStart: await measureVersion(runs, home.env, version, values.bin),
    bareNode: await measureBareNode(runs, home.env),
    targetMs: TARGET_MS,
  };
  result.met = result.versionColdStart.medianMs < TARGET_MS;
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const { versionColdStart: v, bareNode: n } = result;
    process.stdout.write(
      [
        `dial3cx --version cold start (${runs} runs, ${process.version}):`,
        `  median ${v.medianMs} ms, p90 ${v.p90Ms} ms, min ${v.minMs} ms  (target < ${TARGET_MS} ms: ${result.met ? "met" : "NOT met"})`,
        `  bare \`node -e 0\`: median ${n.medianMs} ms, p90 ${n.p90Ms} ms`,
        "",
      ].join("\n"),
    );
  }
} finally {
  await home.remove();
}
