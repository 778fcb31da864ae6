// End to end: what the gateway and the simulator tell about their secrets. `serve` takes no
// webhook URL on the command line (argv is public; URLs go in config.toml), prints the webhook
// signing secret on request, and `sim` names extension 102's 2FA secret at start-up.
import { describe, test } from "vitest";
import { makeHome, runCli } from "./cli-helpers.js";

describe.concurrent("serve's secrets", () => {
  test("--webhook is not an option: exit 2, nothing started", async ({
    expect,
    onTestFinished,
  }) => {
    const home = await makeHome(onTestFinished);
    const run = await runCli(["serve", "--webhook", "https://hooks.example/secret"], {
      env: home.env,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown option '--webhook'/);
  });

  test("--show-webhook-secret prints the signing secret, the same each time", async ({
    expect,
    onTestFinished,
  }) => {
    const home = await makeHome(onTestFinished);
    const first = await runCli(["serve", "--show-webhook-secret"], { env: home.env });
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    const again = await runCli(["serve", "--show-webhook-secret"], { env: home.env });
    expect(again.stdout).toBe(first.stdout);
  });
});
