// End to end: a call's id as scripts need it. `call --json` returns the PBX's id on a warm
// (cached) session too, and `hangup` takes the id as `status` shows it (`#2`) or bare (`2`).
import { describe, test } from "vitest";
import { parseJsonLines, runCli, startSimAndHome } from "./cli-helpers.js";

const NEVER_ANSWERED = { answerAfterMs: 60_000 };

describe.concurrent("call ids", () => {
  test("call --json on a warm session returns the id, and hangup '#<id>' ends it", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished, NEVER_ANSWERED);
    // The first command caches the session; the second is the warm path.
    expect(await runCli(["devices"], { env })).toMatchObject({ code: 0 });
    const run = await runCli(["call", "123", "--json"], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    const [placed] = parseJsonLines(run.stdout) as [{ id: string | null; via: string }];
    expect(placed.via).toBe("session");
    expect(placed.id).toMatch(/^\d+$/);

    const status = await runCli(["status"], { env });
    expect(status.stdout).toContain(`#${placed.id}`);
    const hangup = await runCli(["hangup", `#${placed.id}`], { env });
    expect(hangup).toMatchObject({ code: 0, stderr: "", stdout: `Hung up #${placed.id}.\n` });
    expect((await sim.calls()).map((c) => c.state)).toEqual(["ended"]);
  });

  test("hangup takes the bare id too", async ({ expect, onTestFinished }) => {
    const { sim, env } = await startSimAndHome(onTestFinished, NEVER_ANSWERED);
    const [placed] = parseJsonLines((await runCli(["call", "124", "--json"], { env })).stdout) as [
      { id: string },
    ];
    const hangup = await runCli(["hangup", placed.id], { env });
    expect(hangup).toMatchObject({ code: 0, stdout: `Hung up #${placed.id}.\n` });
    expect((await sim.calls()).map((c) => c.state)).toEqual(["ended"]);
  });
});
