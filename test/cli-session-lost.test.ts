// End to end: a session the PBX ends while `call --wait` or `watch` follows it, when dial3cx has
// no password to log in again (the state `login` leaves behind without a keyring). The command
// must end with a `dial3cx:` line naming the fix and exit 3, never with Node's exit 13 (a promise
// nobody can settle) or a rejection nobody handles.
import { describe, test } from "vitest";
import { makeHome, runCli, startCli, TestSim } from "./cli-helpers.js";

async function loggedInWithoutPassword(cleanup: Parameters<typeof TestSim.start>[0]) {
  const sim = await TestSim.start(cleanup);
  const home = await makeHome(cleanup);
  const args = ["login", "--pbx", sim.url, "--extension", "100", "--password-stdin"];
  const login = await runCli(args, { env: home.env, stdin: "dial3cx-demo\n" });
  if (login.code !== 0) throw new Error(`login failed: ${login.stderr}`);
  return { sim, home };
}

describe.concurrent("a session that ends with no password to renew it", () => {
  test("call --wait: exit 3 with a dial3cx: line naming the fix", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await loggedInWithoutPassword(onTestFinished);
    const cli = await startCli(["call", "101", "--wait"], { env: home.env });
    onTestFinished(() => void cli.child.kill("SIGKILL"));
    await cli.line((line) => line.startsWith("Calling"));
    await sim.faults({ expireSessions: true });
    const run = await cli.result;
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^dial3cx: .*dial3cx login/m);
  });

  test("watch: exit 3 with a dial3cx: line naming the fix", async ({ expect, onTestFinished }) => {
    const { sim, home } = await loggedInWithoutPassword(onTestFinished);
    const cli = await startCli(["watch"], { env: home.env });
    onTestFinished(() => void cli.child.kill("SIGKILL"));
    await new Promise((resolve) => setTimeout(resolve, 800));
    await sim.faults({ expireSessions: true });
    const run = await cli.result;
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^dial3cx: .*dial3cx login/m);
  });
});
