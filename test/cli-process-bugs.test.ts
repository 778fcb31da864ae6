// The harness itself: every CLI run in test/ fails its test on an unhandled rejection, on exit 13
// (Node's "unsettled top-level await") and on an internal error, whatever the test asserts.
import { spawn } from "node:child_process";
import { describe, test } from "vitest";
import { processBug } from "./cli-helpers.js";

const STRICT = new URL("./strict-process.mjs", import.meta.url).href;

function node(script: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [
      "--import",
      STRICT,
      "--input-type=module",
      "-e",
      script,
    ]);
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe.concurrent("the CLI harness", () => {
  test("flags a rejection nobody handles, even when the process exits 0", async ({ expect }) => {
    const run = await node("Promise.reject(new Error('lost')); process.exitCode = 0;");
    expect(processBug(run.code, run.stderr)).toBe("an unhandled rejection");
  });

  test("flags exit 13, a top-level await nothing settles", async ({ expect }) => {
    const run = await node("await new Promise(() => {});");
    expect(run.code).toBe(13);
    expect(processBug(run.code, run.stderr)).toMatch(/exit 13/);
  });

  test("passes a clean run", async ({ expect }) => {
    const run = await node("process.exitCode = 3;");
    expect(processBug(run.code, run.stderr)).toBeUndefined();
  });
});
