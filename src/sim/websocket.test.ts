import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { SimulatorOptions } from "./server.js";
import { emptyRequest, type SocketProbe, startWired, type WireClient } from "./testing.js";

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function start(options: SimulatorOptions = {}): Promise<WireClient> {
  const wired = await startWired(options);
  stops.push(wired.stop);
  return wired.client;
}

async function socketFor(
  client: WireClient,
  sessionKey: string,
  pass: string,
): Promise<SocketProbe> {
  const socket = await client.openSocket(sessionKey, pass);
  stops.push(async () => socket.close());
  return socket;
}

describe("/ws/webclient (reference §5)", () => {
  it("sends START, then ADDP every addpIntervalMs", async () => {
    const client = await start({ addpIntervalMs: 30 });
    const { sessionKey, pass } = await client.loginV20("100", "dial3cx-demo");
    const started = Date.now();
    const socket = await socketFor(client, sessionKey, pass);
    expect(await socket.next()).toBe("START");
    expect(await socket.next()).toBe("ADDP");
    expect(await socket.next()).toBe("ADDP");
    // The second ADDP cannot come before two intervals (timers may fire a millisecond early).
    expect(Date.now() - started).toBeGreaterThanOrEqual(58);
  });

  it("answers a wrong pass or an unknown session with NOT AUTH and a close", async () => {
    const client = await start();
    const { sessionKey } = await client.loginV20("100", "dial3cx-demo");
    for (const [key, pass] of [
      [sessionKey, "wrong-pass"],
      ["00000000-0000-0000-0000-000000000000", "x"],
      ["", ""],
    ] as const) {
      const socket = await socketFor(client, key, pass);
      expect(await socket.next()).toBe("NOT AUTH");
      await socket.closed;
    }
    // The session itself is unharmed.
    expect((await client.myPhone(sessionKey, emptyRequest(102))).status).toBe(200);
  });

  it("refuses upgrades on other paths with 404", async () => {
    const client = await start();
    const url = client.baseUrl.replace(/^http/, "ws");
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${url}/ws/other`);
      ws.on("unexpected-response", (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on("open", () => reject(new Error("opened")));
      ws.on("error", () => {});
    });
    expect(status).toBe(404);
  });

  it("expires an idle session: NOT AUTH on its websockets, 401 on MPWebService", async () => {
    let clock = Date.parse("2025-03-01T08:00:00Z");
    const client = await start({ sessionIdleMs: 60_000, now: () => clock });
    const { sessionKey, pass } = await client.loginV20("100", "dial3cx-demo");
    const socket = await socketFor(client, sessionKey, pass);
    expect(await socket.next()).toBe("START");
    clock += 59_999;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(socket.frames).toEqual(["START"]);
    clock += 1;
    // The idle sweep runs at least once a second.
    expect(await socket.next((f) => f === "NOT AUTH", 3000)).toBe("NOT AUTH");
    await socket.closed;
    const answer = await client.myPhone(sessionKey, emptyRequest(102));
    expect([answer.status, answer.text]).toEqual([401, "Login is required"]);
  });

  it("answers 401 to a request on a session idle too long, even before the sweep", async () => {
    let clock = Date.parse("2025-03-01T08:00:00Z");
    const client = await start({ sessionIdleMs: 600_000, now: () => clock });
    const { sessionKey } = await client.loginV20("100", "dial3cx-demo");
    clock += 600_000;
    expect((await client.myPhone(sessionKey, emptyRequest(102))).status).toBe(401);
  });

  it("keeps a session alive while it is used", async () => {
    let clock = Date.parse("2025-03-01T08:00:00Z");
    const client = await start({ sessionIdleMs: 1000, now: () => clock });
    const { sessionKey } = await client.loginV20("100", "dial3cx-demo");
    for (let i = 0; i < 5; i++) {
      clock += 900;
      expect((await client.myPhone(sessionKey, emptyRequest(131))).status).toBe(200);
    }
  });

  it("ends every session on the expireSessions fault", async () => {
    const client = await start();
    const { sessionKey, pass } = await client.loginV20("100", "dial3cx-demo");
    const socket = await socketFor(client, sessionKey, pass);
    expect(await socket.next()).toBe("START");
    await client.postJson("/__sim/faults", { expireSessions: true });
    expect(await socket.next()).toBe("NOT AUTH");
    expect((await socket.closed).code).toBe(1000);
    expect((await client.myPhone(sessionKey, emptyRequest(102))).status).toBe(401);
  });

  it("drops every websocket abruptly on the dropWebsockets fault; the session survives", async () => {
    const client = await start();
    const { sessionKey, pass } = await client.loginV20("100", "dial3cx-demo");
    const first = await socketFor(client, sessionKey, pass);
    const second = await socketFor(client, sessionKey, pass);
    expect(await first.next()).toBe("START");
    expect(await second.next()).toBe("START");
    const reply = JSON.parse(
      (await client.postJson("/__sim/faults", { dropWebsockets: true })).text,
    );
    expect(reply.applied).toEqual(["dropWebsockets"]);
    expect((await first.closed).code).toBe(1006);
    expect((await second.closed).code).toBe(1006);
    expect((await client.myPhone(sessionKey, emptyRequest(102))).status).toBe(200);
    const again = await socketFor(client, sessionKey, pass);
    expect(await again.next()).toBe("START");
  });

  it("logs upgrades without the query string", async () => {
    const client = await start();
    const { sessionKey, pass } = await client.loginV20("100", "dial3cx-demo");
    const good = await socketFor(client, sessionKey, pass);
    await good.next();
    const bad = await socketFor(client, sessionKey, "nope");
    await bad.next();
    const log = JSON.parse((await client.request("GET", "/__sim/requests")).text);
    const upgrades = log.filter((e: { path: string }) => e.path.startsWith("/ws/"));
    expect(upgrades).toEqual([
      {
        time: expect.any(String),
        method: "GET",
        path: "/ws/webclient",
        status: 101,
        note: "START",
      },
      {
        time: expect.any(String),
        method: "GET",
        path: "/ws/webclient",
        status: 101,
        note: "NOT AUTH",
      },
    ]);
    expect(JSON.stringify(log)).not.toContain(pass);
  });
});
