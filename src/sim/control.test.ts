import { request as httpRequest } from "node:http";
import { networkInterfaces } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import type { SimulatorOptions } from "./server.js";
import { emptyRequest, startWired, type WireClient } from "./testing.js";

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function start(options: SimulatorOptions = {}) {
  const wired = await startWired(options);
  stops.push(wired.stop);
  return wired;
}

async function getJson(client: WireClient, path: string) {
  return JSON.parse((await client.request("GET", path)).text);
}

describe("/__sim/ control API", () => {
  it("logs every non-control request with path, message id and status", async () => {
    const { client } = await start();
    const { sessionKey } = await client.loginV20("100", "dial3cx-demo");
    await client.myPhone(sessionKey, emptyRequest(102));
    await client.myPhone("nope", emptyRequest(119));
    await client.request("GET", "/missing?secret=1");
    await getJson(client, "/__sim/calls");
    const log = await getJson(client, "/__sim/requests");
    expect(
      log.map((e: Record<string, unknown>) => [e.method, e.path, e.messageId, e.status]),
    ).toEqual([
      ["POST", "/webclient/api/Login/GetAccessToken", undefined, 200],
      ["POST", "/webclient/api/MyPhone/session", undefined, 200],
      ["POST", "/MyPhone/MPWebService.asmx", 102, 200],
      ["POST", "/MyPhone/MPWebService.asmx", 119, 401],
      ["GET", "/missing", undefined, 404],
    ]);
    expect(new Date(log[0].time).toISOString()).toBe(log[0].time);
  });

  it("lists calls and clears calls, history and logs on reset", async () => {
    const { client } = await start({ answerAfterMs: 60_000 });
    const { sessionKey } = await client.loginV20("100", "dial3cx-demo");
    await client.myPhone(sessionKey, Buffer.from("0877ba070e0a0c303034393330313233343536", "hex"));
    const [call] = await getJson(client, "/__sim/calls");
    expect(call).toEqual({
      id: expect.any(Number),
      extension: "100",
      destination: "004930123456",
      device: null,
      state: "dialing",
      createdAt: expect.any(String),
      connectedAt: null,
      endedAt: null,
      failure: null,
    });
    const reset = await client.request("POST", "/__sim/reset");
    expect(reset.status).toBe(200);
    expect(await getJson(client, "/__sim/calls")).toEqual([]);
    expect(await getJson(client, "/__sim/requests")).toEqual([]);
    // The session survives a reset.
    expect((await client.myPhone(sessionKey, emptyRequest(131))).status).toBe(200);
  });

  it("delays every non-control answer by latencyMs and lists it as active", async () => {
    const { client } = await start();
    const reply = JSON.parse((await client.postJson("/__sim/faults", { latencyMs: 80 })).text);
    expect(reply).toEqual({ active: { latencyMs: 80 }, applied: [] });
    const started = Date.now();
    const order: string[] = [];
    const delayed = client.request("GET", "/missing").then(() => order.push("delayed"));
    const control = getJson(client, "/__sim/faults").then(() => order.push("control"));
    await Promise.all([delayed, control]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(78);
    expect(order).toEqual(["control", "delayed"]);
    const cleared = JSON.parse((await client.postJson("/__sim/faults", { latencyMs: 0 })).text);
    expect(cleared.active).toEqual({});
  });

  it("applies the latencyMs option from the start", async () => {
    const { client } = await start({ latencyMs: 60 });
    const started = Date.now();
    await client.postJson("/webclient/api/Login/GetAccessToken", {
      Username: "100",
      Password: "x",
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(58);
  });

  it("fails the next N requests with the given status", async () => {
    const { client } = await start();
    const reply = JSON.parse(
      (await client.postJson("/__sim/faults", { failNext: { count: 2, status: 503 } })).text,
    );
    expect(reply.active).toEqual({ failNext: { count: 2, status: 503 } });
    // Control requests do not use up the count.
    expect((await getJson(client, "/__sim/faults")).active.failNext.count).toBe(2);
    const login = { Username: "100", Password: "dial3cx-demo" };
    expect((await client.postJson("/webclient/api/Login/GetAccessToken", login)).status).toBe(503);
    expect((await client.request("GET", "/anything")).status).toBe(503);
    expect((await client.postJson("/webclient/api/Login/GetAccessToken", login)).status).toBe(200);
    expect((await getJson(client, "/__sim/faults")).active).toEqual({});
    const statuses = (await getJson(client, "/__sim/requests")).map(
      (e: { status: number }) => e.status,
    );
    expect(statuses).toEqual([503, 503, 200]);
  });

  it("refuses a malformed fault request", async () => {
    const { client } = await start();
    for (const body of [{ latencyMs: -1 }, { failNext: { count: "2" } }, { explode: true }]) {
      const answer = await client.postJson("/__sim/faults", body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(JSON.parse(answer.text).error).toEqual(expect.any(String));
    }
  });

  it("answers 404 and 405 inside /__sim/ like elsewhere", async () => {
    const { client } = await start();
    expect((await client.request("GET", "/__sim/nothing")).status).toBe(404);
    expect((await client.request("GET", "/__sim/reset")).status).toBe(405);
  });

  const externalAddress = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === "IPv4" && !i.internal)?.address;

  it.skipIf(!externalAddress)("hides /__sim/ from peers that are not on loopback", async () => {
    const { sim } = await start({ host: "0.0.0.0" });
    const get = (host: string) =>
      new Promise<number>((resolve, reject) => {
        httpRequest({ host, port: sim.port, path: "/__sim/calls", agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on("error", reject)
          .end();
      });
    expect(await get(externalAddress!)).toBe(404);
    expect(await get("127.0.0.1")).toBe(200);
  });

  it("hides /__sim/ from web pages: a foreign Host (DNS rebinding) or any Origin gets 404", async () => {
    const { sim } = await start();
    const post = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        httpRequest(
          {
            host: "127.0.0.1",
            port: sim.port,
            path: "/__sim/faults",
            method: "POST",
            headers,
            agent: false,
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
          .on("error", reject)
          .end('{"latencyMs":5000}');
      });
    const json = { "content-type": "application/json" };
    expect(await post({ ...json, host: "evil.example" })).toBe(404);
    expect(await post({ ...json, origin: "https://evil.example" })).toBe(404);
    expect(await post({ "content-type": "text/plain", origin: "null" })).toBe(404);
    expect(await post({ ...json, host: `localhost:${sim.port}` })).toBe(200);
    expect(await post({ ...json, host: `127.0.0.1:${sim.port}` })).toBe(200);
    const faults = await fetch(new URL("/__sim/faults", sim.url));
    expect(((await faults.json()) as { active: { latencyMs?: number } }).active.latencyMs).toBe(
      5000,
    );
  });
});
