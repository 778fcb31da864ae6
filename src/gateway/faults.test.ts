// The fault suite: the scenarios of issue 12 replayed against the simulator through the gateway
// (faults via /__sim/faults, a changed password, the PBX slow or answering garbage through a
// corrupting proxy), asserting: calls placed exactly once, no login after a refusal, unknown
// outcomes reported as such, sockets closed.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { NotLoggedInError } from "../errors.js";
import { diagnose } from "../features/doctor/index.js";
import { type CorruptingProxy, startCorruptingProxy } from "../sim/corrupting-proxy.js";
import { DEFAULT_DEMO_PASSWORD } from "../sim/index.js";
import { http, startTestGateway, type TestGateway } from "./testing.js";

let t: TestGateway | undefined;
let proxy: CorruptingProxy | undefined;
afterEach(async () => {
  await t?.stop();
  await proxy?.stop();
  t = undefined;
  proxy = undefined;
});

const generous = { rateLimit: { calls: 1000, windowMs: 60_000 } };

async function fault(sim: string, body: unknown): Promise<void> {
  const answer = await http(sim, "POST", "/__sim/faults", { body });
  expect(answer.status).toBe(200);
}

async function logins(sim: string): Promise<Array<{ outcome: string }>> {
  return (await http(sim, "GET", "/__sim/logins")).json;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("a refused login", () => {
  it("is tried once: API calls answer auth_failed at once until the password changes", async () => {
    let passwordFile = "";
    t = await startTestGateway({
      gateway: { ...generous, dedupeSeconds: 0 },
      accounts: async (settings, root) => {
        passwordFile = path.join(root, "password");
        await writeFile(passwordFile, DEFAULT_DEMO_PASSWORD, { mode: 0o600 });
        return [
          {
            settings: { ...settings, passwordCommand: `cat ${passwordFile}` },
            passwordSources: "explicit",
          },
        ];
      },
    });
    const sim = t.sim.url;
    expect((await logins(sim)).map((l) => l.outcome)).toEqual(["success"]);
    // The admin changes the password: sessions and tokens end, the channel drops.
    await fault(sim, {
      changePassword: { extension: "100", password: "new-secret" },
      expireSessions: true,
      expireRefreshTokens: true,
      dropWebsockets: true,
    });
    await waitFor(async () => (await logins(sim)).length === 2);
    for (let i = 0; i < 6; i++) {
      const answer = await t.call("POST", "/v1/calls", { body: { to: `+4930123${i}` } });
      expect(answer.status).toBe(502);
      expect(answer.json.error.code).toBe("auth_failed");
      expect(answer.json.error.message).toContain("POST /v1/accounts/100/retry");
    }
    expect((await logins(sim)).map((l) => l.outcome)).toEqual(["success", "failed"]);
    expect(await t.simCalls()).toEqual([]);
    expect((await http(t.gateway.url, "GET", "/healthz")).json).toEqual({
      ok: true,
      loginRefused: 1,
    });
    const status = await t.call("GET", "/v1/status");
    expect(status.json.loginRefused.message).toContain("extension 100");
    // dial3cx doctor shows it (asked through the gateway's socket; no PBX login for this part).
    const report = await diagnose({
      loadSettings: async () => {
        throw new NotLoggedInError();
      },
      env: t.env,
    });
    expect(report.checks.find((check) => check.id === "gateway")).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("login was refused"),
      fix: expect.stringContaining("POST /v1/accounts/<extension>/retry"),
    });

    // A retry with the same password is one more login, asked for explicitly.
    const retried = await t.call("POST", "/v1/accounts/100/retry");
    expect(retried.status).toBe(502);
    expect((await logins(sim)).length).toBe(3);

    // The password source now yields the new password: the next call logs in and dials.
    await writeFile(passwordFile, "new-secret");
    const placed = await t.call("POST", "/v1/calls", { body: { to: "+49 30 999" } });
    expect(placed.status).toBe(201);
    expect((await logins(sim)).map((l) => l.outcome)).toEqual([
      "success",
      "failed",
      "failed",
      "success",
    ]);
    expect((await http(t.gateway.url, "GET", "/healthz")).json.loginRefused).toBe(0);
  }, 20_000);
});

describe("an unknown outcome", () => {
  it("a slow PBX answers 504 outcome_unknown, never 503, and a retry does not dial again", async () => {
    t = await startTestGateway({ gateway: { ...generous, timeoutMs: 400, dedupeSeconds: 3 } });
    await fault(t.sim.url, { latencyMs: 700 });
    const first = await t.call("POST", "/v1/calls", { body: { to: "+49 30 123456" } });
    expect(first.status).toBe(504);
    expect(first.json.error.code).toBe("outcome_unknown");
    expect(first.json.error.message).toContain("may have been placed");
    const retry = await t.call("POST", "/v1/calls", { body: { to: "+49 30 123456" } });
    expect(retry.status).toBe(504);
    await fault(t.sim.url, { latencyMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await t.simCalls()).toHaveLength(1);
  }, 15_000);

  it("the dedupe window runs from the outcome, not from the first request", async () => {
    t = await startTestGateway({ gateway: { ...generous, dedupeSeconds: 1 } });
    await fault(t.sim.url, { latencyMs: 1200 });
    const started = Date.now();
    // The client gives up after 200 ms; the PBX answers at 1.2 s.
    await expect(
      fetch(`${t.gateway.url}/v1/calls`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${await t.token()}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ to: "+49 30 123456" }),
        signal: AbortSignal.timeout(200),
      }),
    ).rejects.toThrow();
    await fault(t.sim.url, { latencyMs: 0 });
    // 1.6 s after the first request (past a window counted from its start): still the same call.
    await new Promise((resolve) => setTimeout(resolve, 1600 - (Date.now() - started)));
    const retry = await t.call("POST", "/v1/calls", { body: { to: "+49 30 123456" } });
    expect(retry.status).toBe(200);
    expect(retry.json.duplicate).toBe(true);
    expect(await t.simCalls()).toHaveLength(1);
  }, 15_000);

  it("Idempotency-Key: the same key gets the same answer and dials once", async () => {
    t = await startTestGateway({ gateway: { ...generous, dedupeSeconds: 0 } });
    const headers = { "idempotency-key": "crm-4711" };
    const first = await t.call("POST", "/v1/calls", { body: { to: "+49 30 123456" }, headers });
    expect(first.status).toBe(201);
    const again = await t.call("POST", "/v1/calls", { body: { to: "+49 30 123456" }, headers });
    expect(again.status).toBe(201);
    expect(again.json).toEqual(first.json);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    const other = await t.call("POST", "/v1/calls", { body: { to: "+49 30 654321" }, headers });
    expect(other.status).toBe(422);
    expect(other.json.error.code).toBe("idempotency_key_reused");
    const bad = await t.call("POST", "/v1/calls", {
      body: { to: "+49 30 123456" },
      headers: { "idempotency-key": "has space" },
    });
    expect(bad.status).toBe(400);
    expect(await t.simCalls()).toHaveLength(1);
    const fresh = await t.call("POST", "/v1/calls", {
      body: { to: "+49 30 123456" },
      headers: { "idempotency-key": "crm-4712" },
    });
    expect(fresh.status).toBe(201);
    expect(await t.simCalls()).toHaveLength(2);
  });

  it("a garbled answer to MakeCall says the call may have been placed", async () => {
    const { startSimulator } = await import("../sim/index.js");
    const sim = await startSimulator({ port: 0, answerAfterMs: 100 });
    proxy = await startCorruptingProxy(sim.url);
    const proxyUrl = proxy.url;
    try {
      t = await startTestGateway({
        gateway: { ...generous, dedupeSeconds: 0 },
        accounts: (settings) => [
          { settings: { ...settings, pbx: proxyUrl }, passwordSources: "settings" },
        ],
      });
      proxy.corruptNext("/MyPhone/MPWebService.asmx");
      const answer = await t.call("POST", "/v1/calls", { body: { to: "+49 30 123456" } });
      expect(answer.status).toBe(504);
      expect(answer.json.error.code).toBe("outcome_unknown");
      expect(answer.json.error.message).toContain("may have been placed");
      const placed = (await http(sim.url, "GET", "/__sim/calls")).json;
      expect(placed).toHaveLength(1);
    } finally {
      await t?.stop();
      t = undefined;
      await sim.stop();
    }
  });
});

describe("the event channel", () => {
  it("leaves exactly one websocket open at the PBX after repeated drops and failures", async () => {
    t = await startTestGateway({ gateway: generous });
    const sockets = async () => (await http(t!.sim.url, "GET", "/__sim/sockets")).json.webclient;
    expect(await sockets()).toBe(1);
    for (let round = 0; round < 3; round++) {
      // The channel drops, and the first request after it (RequestMyInfo) fails once.
      await fault(t.sim.url, { dropWebsockets: true, failNext: { count: 1, status: 503 } });
      await waitFor(async () => (await t!.call("GET", "/v1/status")).json.connection === "open");
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await sockets()).toBe(1);
  }, 20_000);
});
