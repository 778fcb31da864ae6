// Webhooks against a local receiver: the events of a call placed through the API arrive signed,
// a 500 is retried (same delivery id, order kept), retries are bounded, and a slow or dead
// receiver never delays POST /v1/calls.
import { createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { BadInputError } from "../errors.js";
import { webhookSecretFile } from "../features/settings/gateway-tokens.js";
import type { GatewayEvent } from "./events.js";
import { startTestGateway, type TestGateway } from "./testing.js";
import {
  SIGNATURE_HEADER,
  signBody,
  validateWebhookUrl,
  type WebhookDelivery,
  WebhookSender,
} from "./webhooks.js";

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
  at: number;
}

/** A local receiver; `respond` decides each answer (default 200). */
async function receiver(
  respond: (req: Received, res: ServerResponse, index: number) => void = (_r, res) =>
    res.writeHead(200).end(),
) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      const entry = { headers: req.headers, body, at: Date.now() };
      received.push(entry);
      respond(entry, res, received.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/dial3cx?key=k`;
  return {
    url,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function until(check: () => boolean, timeoutMs = 4000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function event(type: GatewayEvent["type"], id: string): GatewayEvent {
  return { id, type, time: new Date(0).toISOString(), extension: "100" };
}

describe("signing and URLs", () => {
  it("signs the exact body with HMAC-SHA256, GitHub style", () => {
    const body = '{"a":1}';
    const expected = createHmac("sha256", "s3cret").update(body).digest("hex");
    expect(signBody(body, "s3cret")).toBe(`sha256=${expected}`);
  });

  it("takes https, and plain http only to this machine", () => {
    expect(validateWebhookUrl("https://hooks.example.com/x")).toBe("https://hooks.example.com/x");
    expect(validateWebhookUrl("http://127.0.0.1:9000/x")).toBe("http://127.0.0.1:9000/x");
    expect(validateWebhookUrl("http://localhost/x")).toBe("http://localhost/x");
    for (const bad of ["http://hooks.example.com/x", "ftp://x", "nope", "https://u:p@x.example/"]) {
      expect(() => validateWebhookUrl(bad), bad).toThrow(BadInputError);
    }
    // A bad URL is never echoed: webhook URLs often carry a secret.
    expect(() => validateWebhookUrl("secret-in-url")).toThrow(/^a webhook is not a URL/);
  });
});

describe("WebhookSender", () => {
  it("retries a 500 with backoff, keeps the order, and reuses the delivery id", async () => {
    const hook = await receiver((_r, res, index) => res.writeHead(index === 0 ? 500 : 204).end());
    cleanups.push(hook.close);
    const deliveries: WebhookDelivery[] = [];
    const sender = new WebhookSender({
      urls: [hook.url],
      secret: "s",
      retry: { baseDelayMs: 40 },
      onDelivery: (d) => deliveries.push(d),
    });
    cleanups.push(() => sender.close());
    sender.send(event("call.created", "1"));
    sender.send(event("call.updated", "2"));
    await sender.idle();
    const types = hook.received.map((r) => r.headers["x-dial3cx-event"]);
    expect(types).toEqual(["call.created", "call.created", "call.updated"]);
    expect(hook.received[0]!.headers["x-dial3cx-delivery"]).toBe(
      hook.received[1]!.headers["x-dial3cx-delivery"],
    );
    expect(hook.received[1]!.at - hook.received[0]!.at).toBeGreaterThanOrEqual(35);
    expect(deliveries.map((d) => [d.event, d.attempt, d.outcome, d.status])).toEqual([
      ["call.created", 1, "retrying", 500],
      ["call.created", 2, "delivered", 204],
      ["call.updated", 1, "delivered", 204],
    ]);
    // The report names the receiver's origin only, never its path or query.
    expect(deliveries[0]!.target).toBe(new URL(hook.url).origin);
  });

  it("gives up after the bounded attempts, and does not retry a 4xx", async () => {
    const failing = await receiver((_r, res) => res.writeHead(503, { "retry-after": "0" }).end());
    const refusing = await receiver((_r, res) => res.writeHead(400).end());
    cleanups.push(failing.close, refusing.close);
    const deliveries: WebhookDelivery[] = [];
    const sender = new WebhookSender({
      urls: [failing.url, refusing.url],
      secret: "s",
      retry: { attempts: 3, baseDelayMs: 10 },
      onDelivery: (d) => deliveries.push(d),
    });
    cleanups.push(() => sender.close());
    sender.send(event("call.created", "1"));
    await sender.idle();
    expect(failing.received).toHaveLength(3);
    expect(refusing.received).toHaveLength(1);
    expect(
      deliveries
        .filter((d) => d.outcome === "failed")
        .map((d) => d.status)
        .sort(),
    ).toEqual([400, 503]);
  });

  it("retries when the receiver is down or too slow, and close() stops everything", async () => {
    const slow = await receiver(() => {}); // never answers
    cleanups.push(slow.close);
    const deliveries: WebhookDelivery[] = [];
    const sender = new WebhookSender({
      urls: [slow.url, "http://127.0.0.1:1/dead"],
      secret: "s",
      timeoutMs: 100,
      retry: { attempts: 2, baseDelayMs: 10 },
      onDelivery: (d) => deliveries.push(d),
    });
    sender.send(event("call.created", "1"));
    await sender.idle();
    expect(slow.received).toHaveLength(2);
    expect(
      deliveries
        .filter((d) => d.outcome === "failed")
        .map((d) => d.error)
        .sort(),
    ).toEqual(["ECONNREFUSED", "timed out"]);
    sender.send(event("call.updated", "2"));
    await sender.close();
    await sender.idle();
  });
});

describe("webhooks of a running gateway", () => {
  let t: TestGateway;

  it("receive a call's events as signed JSON POSTs, retried after a 500", async () => {
    const hook = await receiver((_r, res, index) => res.writeHead(index === 0 ? 500 : 200).end());
    cleanups.push(hook.close);
    t = await startTestGateway({
      sim: { answerAfterMs: 50, hangupAfterMs: 50 },
      gateway: { webhooks: [hook.url], webhookOptions: { retry: { baseDelayMs: 30 } } },
    });
    cleanups.push(() => t.stop());
    const secret = (await readFile(webhookSecretFile(t.paths), "utf8")).trim();
    const placed = await t.call("POST", "/v1/calls", { body: { to: "+49 30 123456" } });
    expect(placed.status).toBe(201);
    await until(() => hook.received.some((r) => r.headers["x-dial3cx-event"] === "call.ended"));

    for (const request of hook.received) {
      expect(request.headers["content-type"]).toBe("application/json");
      expect(request.headers[SIGNATURE_HEADER]).toBe(
        `sha256=${createHmac("sha256", secret).update(request.body).digest("hex")}`,
      );
    }
    const bodies = hook.received.map((r) => JSON.parse(r.body) as GatewayEvent);
    // The first delivery was refused with 500 and came again.
    expect(bodies[0]).toEqual(bodies[1]);
    const distinct = bodies.slice(1);
    expect(distinct.map((b) => b.type)).toEqual(["call.created", "call.updated", "call.ended"]);
    for (const body of distinct) {
      expect(body).toMatchObject({ extension: "100", call: { id: placed.json.id } });
    }
  });

  it("never delay a call, however slow or dead the receiver is", async () => {
    const stuck = await receiver(() => {}); // takes the request, never answers
    cleanups.push(stuck.close);
    t = await startTestGateway({
      gateway: {
        webhooks: [stuck.url, "http://127.0.0.1:1/dead"],
        webhookOptions: { timeoutMs: 10_000, retry: { baseDelayMs: 5000 } },
      },
    });
    cleanups.push(() => t.stop());
    // A first call gets a delivery stuck in flight.
    expect((await t.call("POST", "/v1/calls", { body: { to: "201" } })).status).toBe(201);
    await until(() => stuck.received.length === 1);
    const started = performance.now();
    const answer = await t.call("POST", "/v1/calls", { body: { to: "202" } });
    const elapsed = performance.now() - started;
    expect(answer.status).toBe(201);
    expect(elapsed).toBeLessThan(500);
    expect(stuck.received).toHaveLength(1);
  });
});
