// A company gateway without anyone's password: one API client (auth = "api-client") opens the
// MyPhone session of every extension it serves (3CX 20.0.8+ impersonation, as 3CX's own test code
// does it), against the simulator over real sockets: three extensions, one client token, calls
// placed for each, sessions renewed without a password, and a refused extension explained.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AuthError, Dial3cxError } from "../errors.js";
import { connect } from "../features/calls/client.js";
import { defaultScenario, type RequestLogEntry, type Scenario } from "../sim/index.js";
import { readAccountsFile } from "./accounts.js";
import { http, startTestGateway, type TestGateway } from "./testing.js";

const API_KEY = "company-api-key";
const scenario = (monitor: string[]): Scenario => ({
  ...defaultScenario,
  apiClients: [{ clientId: "900", apiKey: API_KEY, monitor }],
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const ACCOUNTS = ["100", "101", "102"]
  .map((ext) => `[[account]]\nextension = "${ext}"\n`)
  .join("\n");

async function companyGateway(monitor: string[]): Promise<TestGateway> {
  const t = await startTestGateway({
    sim: { scenario: scenario(monitor) },
    // No password anywhere: none in the environment, none in the file, an empty keyring.
    env: { DIAL3CX_PASSWORD: undefined, DIAL3CX_API_KEY: API_KEY },
    gateway: { logLevel: "silent" },
    accounts: async (settings, root) => {
      const file = path.join(root, "accounts.toml");
      await writeFile(file, ACCOUNTS);
      return readAccountsFile(file, {
        ...settings,
        driver: "webclient",
        auth: "api-client",
        clientId: "900",
      });
    },
  });
  cleanups.push(() => t.stop());
  return t;
}

async function simLog(t: TestGateway): Promise<string[]> {
  const log = (await http(t.sim.url, "GET", "/__sim/requests")).json as RequestLogEntry[];
  return log.map((e) => `${e.method} ${e.path} ${e.status}`);
}

describe('auth = "api-client": one API client, no passwords', () => {
  it("serves three extensions through one API client token", async () => {
    const t = await companyGateway(["100", "101", "102"]);
    expect(t.gateway.extensions).toEqual(["100", "101", "102"]);
    for (const extension of ["100", "101", "102"]) {
      const token = await t.token(extension);
      const status = await t.call("GET", "/v1/status", { token });
      expect(status.json).toMatchObject({ extension });
      const placed = await t.call("POST", "/v1/calls", {
        token,
        body: { to: "+49 30 123456", extension },
      });
      expect([extension, placed.status]).toEqual([extension, 201]);
    }
    expect((await t.simCalls()).map((c) => c.extension)).toEqual(["100", "101", "102"]);
    const log = await simLog(t);
    // One client token for all three (3CX keeps one per client), no password login at all.
    expect(log.filter((l) => l.startsWith("POST /connect/token"))).toEqual([
      "POST /connect/token 200",
    ]);
    expect(log.filter((l) => l.includes("GetAccessToken"))).toEqual([]);
    expect(log.filter((l) => l.startsWith("POST /webclient/api/MyPhone/session"))).toEqual(
      Array(3).fill("POST /webclient/api/MyPhone/session 200"),
    );
  });

  it("renews an expired session through the API client, never with a password", async () => {
    const t = await companyGateway(["100", "101", "102"]);
    const client = await connect({
      pbx: t.sim.url,
      extension: "100",
      impersonate: { clientId: "900", apiKey: async () => API_KEY },
      events: false,
      timeoutMs: 3000,
    });
    cleanups.push(() => client.close());
    await http(t.sim.url, "POST", "/__sim/faults", { body: { expireSessions: true } });
    await client.makeCall("101");
    const log = await simLog(t);
    expect(log.filter((l) => l.includes("GetAccessToken"))).toEqual([]);
    // Three for the gateway, one for this client, and the renewals (the gateway's too).
    const sessions = log.filter((l) => l.startsWith("POST /webclient/api/MyPhone/session"));
    expect(sessions.length).toBeGreaterThanOrEqual(5);
    expect(new Set(sessions)).toEqual(new Set(["POST /webclient/api/MyPhone/session 200"]));
    expect((await t.simCalls()).map((c) => [c.extension, c.destination])).toEqual([["100", "101"]]);
  });

  it("says what to configure when the PBX refuses to act for an extension", async () => {
    const error = await companyGateway(["100", "101"]).then(
      () => new Error("started"),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Dial3cxError);
    expect((error as Dial3cxError).cause).toBeInstanceOf(AuthError);
    expect((error as Dial3cxError).exitCode).toBe(3);
    expect(error.message).toContain("extension 102:");
    expect(error.message).toContain('through API client "900" (HTTP 403)');
    expect(error.message).toContain(
      'Admin Console → Integrations → API → 900 → "Extensions to monitor"',
    );
    expect(error.message).toContain("not yet been seen on a live PBX");
  });
});
