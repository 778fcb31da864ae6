// End to end: the real `dial3cx` with the Call Control driver chosen by the config file and the
// API key from the environment: a call, the device list, and the exit codes and messages of a
// wrong key (3), an unmonitored extension (4) and a missing key (3); "auto" falling back.
import { describe, test } from "vitest";
import { defaultScenario } from "../src/sim/index.js";
import {
  accountEnv,
  type Cleanup,
  httpRequests,
  parseJsonLines,
  runCli,
  startSimAndHome,
} from "./cli-helpers.js";
import { writeConfig } from "./desktop-helpers.js";

const API_KEY = "cli-api-key";
const scenario = {
  ...defaultScenario,
  apiClients: [{ clientId: "900", apiKey: API_KEY, monitor: ["100"] }],
};

/**
 * The simulator with API client 900, and a HOME whose config picks the Call Control driver as
 * that client (`clientIdToml`: the id as the config file writes it, quoted or not).
 */
async function startCallControl(cleanup: Cleanup, clientIdToml = '"900"') {
  const { sim, home, env } = await startSimAndHome(cleanup, { scenario });
  await writeConfig(home, `driver = "callcontrol"\nclient_id = ${clientIdToml}\n`);
  return { sim, home, env };
}

describe.concurrent("dial3cx with the Call Control driver", () => {
  test("driver = callcontrol: places the call over /callcontrol, no web-client login", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env: loggedIn } = await startCallControl(onTestFinished);
    const env = { ...loggedIn, DIAL3CX_API_KEY: API_KEY };
    const run = await runCli(["call", "+49 30 123456", "--device", "yealink", "--json"], { env });
    expect(run).toMatchObject({ code: 0 });
    expect(parseJsonLines(run.stdout)).toEqual([
      expect.objectContaining({ to: "004930123456", device: "Yealink T46S", state: "dialing" }),
    ]);
    const paths = httpRequests(await sim.requests()).map((r) => `${r.method} ${r.path}`);
    expect(paths.slice(0, 3)).toEqual([
      "POST /connect/token",
      "GET /callcontrol/100",
      `POST /callcontrol/100/devices/${encodeURIComponent("sip:100@192.168.178.20:5062;rinstance=a1")}/makecall`,
    ]);
    // --json follows events to learn the call's id: reading what an event names may follow.
    for (const path of paths.slice(3)) expect(path).toMatch(/^GET \/callcontrol\/100\//);
    expect(await sim.calls()).toMatchObject([{ destination: "004930123456", state: "dialing" }]);
  });

  test('auth = "api-client": the web client logs in as the API client, no password anywhere', async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home, env: loggedIn } = await startSimAndHome(onTestFinished, { scenario });
    await writeConfig(home, 'driver = "webclient"\nauth = "api-client"\nclient_id = "900"\n');
    const { DIAL3CX_PASSWORD: _none, ...withoutPassword } = loggedIn;
    const env = { ...withoutPassword, DIAL3CX_API_KEY: API_KEY };
    const run = await runCli(["call", "+49 30 123456", "--device", "yealink"], { env });
    expect(run).toMatchObject({ code: 0 });
    const paths = httpRequests(await sim.requests()).map((r) => `${r.method} ${r.path}`);
    expect(paths.slice(0, 2)).toEqual([
      "POST /connect/token",
      "POST /webclient/api/MyPhone/session",
    ]);
    expect(paths.filter((p) => p.includes("GetAccessToken"))).toEqual([]);
    expect(await sim.calls()).toMatchObject([{ extension: "100", destination: "004930123456" }]);
    const refused = await runCli(["call", "123"], {
      env: { ...env, DIAL3CX_EXTENSION: "101" },
    });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('"Extensions to monitor"');
  });

  test("lists the devices the Call Control API reports", async ({ expect, onTestFinished }) => {
    const { env: loggedIn } = await startCallControl(onTestFinished, "900");
    const env = { ...loggedIn, DIAL3CX_API_KEY: API_KEY };
    const run = await runCli(["devices", "--json"], { env });
    expect(run).toMatchObject({ code: 0 });
    const [devices] = parseJsonLines(run.stdout) as [Array<{ name: string }>];
    expect(devices.map((d) => d.name)).toEqual(["Yealink T46S", "3CX app (Windows)"]);
  });

  test("a wrong API key exits 3 and says wrong client id or API key", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env: loggedIn } = await startCallControl(onTestFinished);
    const env = { ...loggedIn, DIAL3CX_API_KEY: "wrong-key" };
    const run = await runCli(["call", "123"], { env });
    expect(run).toMatchObject({ code: 3, stdout: "" });
    expect(run.stderr).toMatch(/^dial3cx: The PBX rejected the Call Control API credentials/);
    expect(run.stderr).toContain('wrong client id "900" or wrong API key');
    expect(run.stderr).not.toContain("wrong-key");
    const json = await runCli(["call", "123", "--json"], { env });
    expect(json.code).toBe(3);
    expect(parseJsonLines(json.stdout)).toEqual([
      { error: { code: "auth", message: expect.stringContaining("API key") } },
    ]);
    expect(await sim.calls()).toEqual([]);
  });

  test("an extension the API client does not monitor exits 4 and says so", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startCallControl(onTestFinished);
    const env = { ...accountEnv(home, sim, "101", "dial3cx-101"), DIAL3CX_API_KEY: API_KEY };
    const run = await runCli(["call", "123", "--json"], { env });
    expect(run.code).toBe(4);
    expect(parseJsonLines(run.stdout)).toEqual([
      {
        error: {
          code: "rejected",
          message: expect.stringContaining('Extension 101 is not monitored by API client "900"'),
        },
      },
    ]);
  });

  test("driver = callcontrol without an API key exits 3 and names where to put it", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startCallControl(onTestFinished);
    const run = await runCli(["call", "123"], { env });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("No API key for Call Control API client");
    expect(run.stderr).toContain("DIAL3CX_API_KEY");
    expect(await sim.requests()).toEqual([]);
  });

  test("driver auto with a wrong key falls back to the web client", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished, { scenario });
    const env = {
      ...accountEnv(home, sim),
      DIAL3CX_CLIENT_ID: "900",
      DIAL3CX_API_KEY: "wrong-key",
    };
    const run = await runCli(["call", "123"], { env });
    expect(run.code).toBe(0);
    const paths = httpRequests(await sim.requests()).map((r) => `${r.path} ${r.status}`);
    expect(paths[0]).toBe("/connect/token 401");
    expect(paths).toContain("/MyPhone/MPWebService.asmx 200");
    expect(await sim.calls()).toHaveLength(1);
  });
});
