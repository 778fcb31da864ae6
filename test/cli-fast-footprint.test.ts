// What a warm click loads (issue 11): the entry, the fast-path bundle (from V8's code cache) and
// the shared errors module, all CommonJS, without starting Node's ES module loader, and none of the
// built-in modules it has no use for. The bundles are made so by scripts/bundle-cli.mjs; this pins the result on the built
// CLI, against the simulator.
import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "vitest";
import { cliBin, MAKE_CALL, startSimAndHome } from "./cli-helpers.js";

const FOOTPRINT = fileURLToPath(new URL("./module-footprint.cjs", import.meta.url));
const fastPathOff = process.env.DIAL3CX_FAST_PATH === "0";

interface Footprint {
  code: number | null;
  stdout: string;
  files: string[];
  esmLoader: boolean;
  builtins: string[];
}

/** Runs the CLI with the footprint preload: its exit, output, files (from the package root) and built-ins. */
async function runMeasured(
  args: string[],
  env: NodeJS.ProcessEnv,
  dir: string,
): Promise<Footprint> {
  const bin = await cliBin();
  const root = dirname(dirname(bin));
  const out = join(dir, `footprint-${Date.now()}-${Math.random()}.jsonl`);
  const child = spawn(process.execPath, ["--require", FOOTPRINT, bin, ...args], {
    env: { ...env, DIAL3CX_TEST_FOOTPRINT: out },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  const footprint = JSON.parse(await readFile(out, "utf8")) as Omit<Footprint, "code" | "stdout">;
  const files = footprint.files.map((file) => relative(root, file));
  return { ...footprint, code, stdout, files };
}

/** Built-ins a warm call has no use for: processes, timing, and the lazy exports of util/process/crypto. */
const NEEDLESS_BUILTINS = [
  "child_process",
  "perf_hooks",
  "internal/util/parse_args/parse_args",
  "internal/mime",
  "internal/process/report",
  "internal/crypto/webcrypto",
  "tty",
];

describe.skipIf(fastPathOff).concurrent("a warm click's footprint", () => {
  test.for([
    ["an international number", "+49 30 123456"],
    ["an extension", "124"],
  ])(
    "warm call to %s: CommonJS from the code cache, no ES module loader",
    async ([, number], { expect, onTestFinished }) => {
      const { sim, home, env } = await startSimAndHome(onTestFinished);
      const cold = await runMeasured(["call", "123"], env, home.dir);
      expect(cold.code).toBe(0);
      const before = (await sim.requests()).length;
      const warm = await runMeasured(["call", number], env, home.dir);
      expect(warm).toMatchObject({ code: 0, stdout: expect.stringContaining("Calling") });
      // fast.cjs runs from V8's code cache (src/cli/code-cache.ts), not through require.
      expect(warm.files).toEqual([
        join("bin", "dial3cx.js"),
        join("dist", "cli", "main.cjs"),
        join("dist", "cli", "errors.cjs"),
      ]);
      expect(warm.esmLoader).toBe(false);
      const cache = await readdir(join(home.dir, ".cache", "dial3cx", "code-cache"));
      expect(cache).toEqual([expect.stringMatching(/^fast-.*\.v8$/)]);
      expect(warm.builtins.filter((name) => NEEDLESS_BUILTINS.includes(name))).toEqual([]);
      // The cold call went the long way: the full CLI, as ES modules.
      expect(cold.esmLoader).toBe(true);
      const sent = (await sim.requests()).slice(before);
      expect(sent.map((entry) => entry.messageId)).toEqual([MAKE_CALL]);
    },
  );
});
