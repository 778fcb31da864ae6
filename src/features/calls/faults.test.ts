// Fault scenarios at the library level (issue 12), against the simulator: a refused login is not
// repeated by the reconnect loop nor by later calls of either driver, a request that never left
// is a plain network error, and `Call.wait` gives up when the PBX stays unreachable.
import { afterEach, describe, expect, it } from "vitest";
import { LoginRefusedError, NetworkError } from "../../errors.js";
import { DEFAULT_DEMO_PASSWORD, defaultScenario, type Scenario } from "../../sim/index.js";
import { failure, getJson, type Pbx, startPbx, type WireClient } from "../../sim/testing.js";
import { type ConnectOptions, connect, type Dial3cxClient } from "./client.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const scenario: Scenario = {
  ...defaultScenario,
  apiClients: [{ clientId: "900", apiKey: "right-key", monitor: ["100"] }],
};

function simulator(): Promise<Pbx> {
  return startPbx({ scenario, answerAfterMs: 40 }, cleanups);
}

async function clientFor(pbx: Pbx, options: Partial<ConnectOptions> = {}): Promise<Dial3cxClient> {
  const client = await connect({
    pbx: pbx.sim.url,
    extension: "100",
    password: DEFAULT_DEMO_PASSWORD,
    driver: "webclient",
    timeoutMs: 2000,
    ...options,
  });
  cleanups.push(() => client.close());
  return client;
}

async function fault(wire: WireClient, body: unknown): Promise<void> {
  const answer = await wire.request("POST", "/__sim/faults", {
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(answer.status).toBe(200);
}

async function loginOutcomes(wire: WireClient): Promise<string[]> {
  return (await getJson<Array<{ outcome: string }>>(wire, "/__sim/logins")).map((l) => l.outcome);
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("refused logins (web client)", () => {
  it("the reconnect loop logs in once; later calls fail at once until the password changes", async () => {
    const pbx = await simulator();
    let password = DEFAULT_DEMO_PASSWORD;
    const client = await clientFor(pbx, { password: async () => password });
    const states: string[] = [];
    client.on("connection", (state) => states.push(state));
    client.on("problem", () => undefined);
    await fault(pbx.wire, {
      changePassword: { extension: "100", password: "changed" },
      expireSessions: true,
      expireRefreshTokens: true,
      dropWebsockets: true,
    });
    await waitFor(() => states.includes("closed"));
    for (let i = 0; i < 5; i++) {
      const error = await failure(client.makeCall("+49 30 123456"));
      expect(error).toBeInstanceOf(LoginRefusedError);
      expect((error as LoginRefusedError).exitCode).toBe(3);
    }
    expect(await loginOutcomes(pbx.wire)).toEqual(["success", "failed"]);
    expect(client.loginRefused()?.message).toContain("rejected");

    password = "changed"; // e.g. `dial3cx login` stored the new one
    await client.makeCall("+49 30 123456");
    expect(await loginOutcomes(pbx.wire)).toEqual(["success", "failed", "success"]);
    expect(client.loginRefused()).toBeUndefined();
  }, 15_000);
});

describe("refused logins (Call Control)", () => {
  it("a refused API key is not sent again until it changes", async () => {
    const pbx = await simulator();
    const options = {
      driver: "callcontrol" as const,
      callControl: { clientId: "900", apiKey: "wrong-key" },
    };
    const first = await failure(clientFor(pbx, options));
    expect((first as { code?: string }).code).toBe("auth");
    const second = await failure(clientFor(pbx, options));
    expect(second).toBeInstanceOf(LoginRefusedError);
    const tokenRequests = async () =>
      (await getJson<Array<{ path: string }>>(pbx.wire, "/__sim/requests")).filter(
        (entry) => entry.path === "/connect/token",
      ).length;
    expect(await tokenRequests()).toBe(1);
    await clientFor(pbx, { ...options, callControl: { clientId: "900", apiKey: "right-key" } });
    expect(await tokenRequests()).toBe(2);
  });
});

describe("requests that never left", () => {
  it("are a plain network error (nothing was placed), not an unknown outcome", async () => {
    const pbx = await simulator();
    const client = await clientFor(pbx, { events: false });
    await pbx.sim.stop();
    // Let the closed keep-alive connection be noticed (a request written to a connection the PBX
    // had closed is reported as an unknown outcome: it cannot be told from a crash after it).
    await new Promise((resolve) => setTimeout(resolve, 50));
    const error = await failure(client.makeCall("+49 30 123456"));
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).code).toBe("pbx_unreachable");
  });
});

describe("Call.wait", () => {
  it("gives up with a network error when the PBX stays unreachable", async () => {
    const pbx = await simulator();
    const client = await clientFor(pbx);
    client.on("problem", () => undefined);
    const call = await client.makeCall("+49 30 123456");
    expect(call.id).toBeDefined();
    const waiting = failure(call.wait({ lostAfterMs: 600 }));
    const started = Date.now();
    await pbx.sim.stop();
    const error = await waiting;
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toContain("can no longer be followed");
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
