// End to end: a slow PBX on a terminal shows what `dial3cx call` is doing (a spinner naming the
// step, after 300 ms), and nothing of the kind on a pipe or with --json. The terminal is a real
// pty from util-linux `script`.
import { spawn } from "node:child_process";
import { describe, test } from "vitest";
import { cliBin, runCli, startSimAndHome } from "./cli-helpers.js";

const shQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** Runs `dial3cx <args>` on a pty; everything it wrote there (stdout and stderr). */
async function onTerminal(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const command = [process.execPath, await cliBin(), ...args].map(shQuote).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      env: { ...env, TERM: "xterm" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
    });
    child.on("error", reject);
    child.on("close", () => resolve(out));
  });
}

describe.concurrent.skipIf(process.platform !== "linux")("progress on a slow PBX", () => {
  test("on a terminal: the step, then the result line", async ({ expect, onTestFinished }) => {
    const { sim, env } = await startSimAndHome(onTestFinished, { latencyMs: 700 });
    const out = await onTerminal(["call", "123"], env);
    expect(out).toMatch(/connecting to 127\.0\.0\.1:\d+|ringing Yealink T46S/);
    expect(out).toContain("Calling 123 on Yealink T46S (ext 100)");
    expect(await sim.calls()).toHaveLength(1);
  });

  test("with --json on a terminal, and on a pipe: no spinner", async ({
    expect,
    onTestFinished,
  }) => {
    const { env } = await startSimAndHome(onTestFinished, { latencyMs: 700 });
    const json = await onTerminal(["call", "123", "--json"], env);
    expect(json).not.toMatch(/connecting to|ringing Yealink/);
    const piped = await runCli(["call", "124"], { env });
    expect(piped).toMatchObject({ code: 0, stderr: "" });
  });
});
