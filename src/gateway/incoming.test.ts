// Incoming calls through the gateway, against the simulator over real sockets: SSE and webhooks
// carry call.ringing / call.answered / call.missed with from, fromE164 and the resolved name, and
// GET /v1/history lists the calls with whether each may be called back.

import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeStandIn } from "../features/desktop/desktop-testing.js";
import type { GatewayEvent } from "./events.js";
import { EventReader, startTestGateway, type TestGateway } from "./testing.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(options: Parameters<typeof startTestGateway>[0] = {}): Promise<TestGateway> {
  const t = await startTestGateway(options);
  cleanups.push(() => t.stop());
  return t;
}

async function events(t: TestGateway): Promise<EventReader> {
  const opened = await EventReader.open(t.gateway.url, await t.token());
  expect(opened.status).toBe(200);
  cleanups.push(async () => opened.reader!.close());
  return opened.reader!;
}

async function ring(t: TestGateway, body: Record<string, unknown>): Promise<number> {
  const response = await fetch(new URL("/__sim/calls", t.sim.url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ to: "100", ...body }),
  });
  return ((await response.json()) as { id: number }).id;
}

async function sim(t: TestGateway, path: string): Promise<void> {
  await fetch(new URL(path, t.sim.url), { method: "POST" });
}

describe("incoming-call events", () => {
  it("tells ringing, then answered, with the caller's number, E.164 and name", async () => {
    const t = await start();
    const reader = await events(t);
    const id = await ring(t, { from: "+44 20 7946 0958" });
    const created = await reader.nextEvent("call.created");
    expect(created.call).toMatchObject({ state: "ringing", incoming: true });
    const ringing: GatewayEvent = await reader.nextEvent("call.ringing");
    expect(ringing).toMatchObject({
      type: "call.ringing",
      extension: "100",
      from: "+44 20 7946 0958",
      fromE164: "+442079460958",
      name: "Charles Babbage",
      call: { id: String(id), incoming: true },
    });
    await sim(t, `/__sim/calls/${id}/answer`);
    expect(await reader.nextEvent("call.answered")).toMatchObject({
      from: "+44 20 7946 0958",
      name: "Charles Babbage",
      call: { state: "connected" },
    });
  });

  it("tells missed; a caller id that is not a number has no fromE164", async () => {
    const t = await start();
    const reader = await events(t);
    await ring(t, { from: "anonymous", hangupAfter: 30 });
    expect(await reader.nextEvent("call.missed")).toMatchObject({
      from: "anonymous",
      fromE164: null,
      name: null,
      call: { state: "ended" },
    });
  });

  it("sends the same events to the webhooks", async () => {
    const bodies: GatewayEvent[] = [];
    const server: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        bodies.push(JSON.parse(body) as GatewayEvent);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const t = await start({ gateway: { webhooks: [url] } });
    await ring(t, { from: "+44 20 7946 0958", hangupAfter: 30 });
    const deadline = Date.now() + 4000;
    while (!bodies.some((b) => b.type === "call.missed")) {
      if (Date.now() > deadline) throw new Error(`no call.missed: ${JSON.stringify(bodies)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(bodies.map((b) => b.type)).toEqual([
      "call.created",
      "call.ringing",
      "call.ended",
      "call.missed",
    ]);
    expect(bodies.find((b) => b.type === "call.ringing")).toMatchObject({
      from: "+44 20 7946 0958",
      fromE164: "+442079460958",
      name: "Charles Babbage",
    });
  });
});

describe("GET /v1/history", () => {
  it("lists the calls newest first, says which may be called back, filters missed ones", async () => {
    const t = await start();
    const reader = await events(t);
    await ring(t, { from: "anonymous", hangupAfter: 20 });
    await reader.nextEvent("call.missed");
    const id = await ring(t, { from: "+44 20 7946 0958" });
    await sim(t, `/__sim/calls/${id}/answer`);
    await reader.nextEvent("call.answered");
    await sim(t, `/__sim/calls/${id}/hangup`);
    await reader.nextEvent("call.ended");

    const all = await t.call("GET", "/v1/history");
    expect(all.status).toBe(200);
    expect(all.json).toEqual({
      fallback: null,
      calls: [
        {
          direction: "incoming",
          missed: false,
          number: "+44 20 7946 0958",
          numberE164: "+442079460958",
          name: "Charles Babbage",
          time: expect.any(String),
          durationSeconds: expect.any(Number),
          source: "pbx",
          callback: true,
        },
        {
          direction: "incoming",
          missed: true,
          number: "anonymous",
          numberE164: null,
          name: null,
          time: expect.any(String),
          durationSeconds: null,
          source: "pbx",
          callback: false,
        },
      ],
    });
    const missed = await t.call("GET", "/v1/history?missed=true&limit=5");
    expect((missed.json as { calls: unknown[] }).calls).toHaveLength(1);
    expect((await t.call("GET", "/v1/history?limit=0")).status).toBe(400);
    expect((await t.call("GET", "/v1/history?extension=101")).status).toBe(403);
  });

  it("falls back to the gateway's journal when the PBX refuses, and says why", async () => {
    const t = await start();
    const reader = await events(t);
    await ring(t, { from: "+44 20 7946 0958", hangupAfter: 20 });
    await reader.nextEvent("call.missed");
    await fetch(new URL("/__sim/faults", t.sim.url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refuseMessages: [106] }),
    });
    // The journal is written right after the event: give it a moment.
    let answer = await t.call("GET", "/v1/history");
    for (let i = 0; i < 50 && (answer.json as { calls: unknown[] }).calls.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      answer = await t.call("GET", "/v1/history");
    }
    expect(answer.json).toMatchObject({
      fallback: expect.stringContaining("No such request: 106"),
      calls: [{ missed: true, number: "+44 20 7946 0958", source: "journal", callback: true }],
    });
  });
});

describe("serve --notify", () => {
  it("pops a notification naming the caller for each incoming call", async () => {
    const bin = await mkdtemp(path.join(tmpdir(), "dial3cx-gw-bin-"));
    cleanups.push(() => rm(bin, { recursive: true, force: true }));
    const notifySend = await writeStandIn(bin, "notify-send");
    const t = await start({
      gateway: { notify: true },
      env: { PATH: `${bin}:${process.env.PATH}` },
    });
    const reader = await events(t);
    await ring(t, { from: "+44 20 7946 0958" });
    await reader.nextEvent("call.ringing");
    const deadline = Date.now() + 4000;
    while ((await notifySend.runs()).length === 0) {
      if (Date.now() > deadline) throw new Error("no notification");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const [argv] = await notifySend.runs();
    expect(argv?.[argv.indexOf("--") + 1]).toBe(
      "Charles Babbage (Difference Engine Works) · +44 20 7946 0958 · on Yealink T46S",
    );
    // The log at info level names neither the caller nor the number.
    expect(t.logs.join("\n")).not.toMatch(/Babbage|7946/);
  });
});
