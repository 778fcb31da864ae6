// The doctor on Call Control and on the API-client login, against the simulator: which of the
// behaviours of live PBXs this one showed (reference §10.1), and a web client logged in as an
// API client without any password (3CX 20.0.8+ impersonation).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultScenario, type Simulator, startSimulator } from "../../sim/index.js";
import { resolveSettings } from "../settings/config.js";
import { memoryStore } from "../settings/secrets.js";
import { diagnose } from "./index.js";

const API_KEY = "doctor-cc-key";
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({
    port: 0,
    scenario: {
      ...defaultScenario,
      apiClients: [{ clientId: "900", apiKey: API_KEY, monitor: ["100"] }],
    },
  });
});
afterAll(async () => {
  await sim?.stop();
});

function run(config: { driver?: "callcontrol" | "webclient"; auth?: "api-client" }) {
  const env = { HOME: "/nonexistent", DIAL3CX_API_KEY: API_KEY };
  return diagnose(
    {
      loadSettings: async () =>
        resolveSettings({
          flags: { pbx: sim.url, extension: "100", clientId: "900" },
          env,
          config,
        }),
      env,
    },
    { store: memoryStore(), timeoutMs: 3000 },
  );
}

describe("doctor: what the PBX showed", () => {
  it("names the token lifetimes and the DN types the Call Control API listed", async () => {
    const report = await run({ driver: "callcontrol" });
    const check = report.checks.find((c) => c.id === "callcontrol");
    expect(check?.status).toBe("pass");
    expect(check?.detail).toContain(
      "PBX seen: token expires_in 60 but the JWT lasts 3600 s (the JWT is used)",
    );
    expect(check?.detail).toContain("GET /callcontrol lists Wroutepoint, Wqueue, Wextension");
    expect(report).toMatchObject({ ok: true, driver: { selected: "callcontrol" } });
  });

  it('checks auth = "api-client" without a password, and says it is not yet seen live', async () => {
    const report = await run({ driver: "webclient", auth: "api-client" });
    expect(report.checks.filter((c) => c.status === "skip").map((c) => c.id)).toEqual([
      "tls", // plain http
      "login",
      "session",
      "websocket",
      "devices",
      "callcontrol",
      "gateway", // none running
    ]);
    const check = report.checks.find((c) => c.id === "webclient");
    expect(check?.status).toBe("pass");
    expect(check?.detail).toMatch(
      /^ready as API client 900 \(no password; .*not yet been seen on a live PBX\): 2 devices/,
    );
    expect(report).toMatchObject({ ok: true, driver: { selected: "webclient" } });
  });
});
