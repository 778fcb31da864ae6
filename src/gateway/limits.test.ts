// Resource limits of the gateway without a token (issue 12): slow bodies, bodies where none is
// expected, aborted requests, connections and event streams per token.
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "./testing.js";

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

function open(url: string): Promise<Socket> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () => resolve(socket));
    socket.on("error", reject);
  });
}

/** Everything the server sends until it closes the connection, and when it closed. */
function untilClosed(socket: Socket): Promise<{ text: string; at: number }> {
  let text = "";
  socket.on("data", (chunk) => {
    text += chunk.toString();
  });
  return new Promise((resolve) => {
    socket.on("close", () => resolve({ text, at: Date.now() }));
    socket.on("error", () => undefined);
  });
}

describe("gateway limits", () => {
  it("a slow chunked body is cut off after the request timeout", async () => {
    t = await startTestGateway({ gateway: { requestTimeoutMs: 500 } });
    const socket = await open(t.gateway.url);
    const closed = untilClosed(socket);
    const started = Date.now();
    const host = new URL(t.gateway.url).host;
    socket.write(
      `POST /v1/calls HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n`,
    );
    const drip = setInterval(() => socket.write("1\r\n \r\n"), 100);
    const { at } = await closed;
    clearInterval(drip);
    expect(at - started).toBeLessThan(3000);
  });

  it("reads no body on GET /healthz and closes the connection instead", async () => {
    t = await startTestGateway();
    const socket = await open(t.gateway.url);
    const closed = untilClosed(socket);
    const host = new URL(t.gateway.url).host;
    socket.write(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 52428800\r\n\r\n`);
    let sent = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = () => {
      while (!socket.destroyed && sent < 50 * 1024 * 1024 && socket.write(chunk))
        sent += chunk.length;
    };
    socket.on("drain", pump);
    socket.on("error", () => undefined);
    pump();
    const { text } = await closed;
    expect(text).toMatch(/^HTTP\/1\.1 400/);
    expect(text).toContain("take no body");
    expect(sent).toBeLessThan(20 * 1024 * 1024);
  });

  it("logs an aborted request at debug level, not as an error", async () => {
    t = await startTestGateway({ gateway: { logLevel: "debug" } });
    const socket = await open(t.gateway.url);
    const host = new URL(t.gateway.url).host;
    socket.write(
      `POST /v1/calls HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${await t.token()}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{"t\r\n`,
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const lines = t.logs.map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    expect(lines.some((line) => line.level === 20 && line.msg === "request aborted")).toBe(true);
  });

  it("caps connections and event streams per token", async () => {
    t = await startTestGateway({ gateway: { maxConnections: 30 } });
    const token = await t.token();
    const streams: AbortController[] = [];
    for (let i = 0; i < 20; i++) {
      const abort = new AbortController();
      const response = await fetch(`${t.gateway.url}/v1/events`, {
        headers: { authorization: `Bearer ${token}` },
        signal: abort.signal,
      });
      expect(response.status).toBe(200);
      streams.push(abort);
    }
    const refused = await t.call("GET", "/v1/events");
    expect(refused.status).toBe(429);
    expect(refused.json.error.code).toBe("too_many_streams");
    streams.pop()!.abort();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const again = new AbortController();
    const response = await fetch(`${t.gateway.url}/v1/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: again.signal,
    });
    expect(response.status).toBe(200);
    streams.push(again);
    // Past the connection cap, new connections are closed at once.
    const sockets = await Promise.all(Array.from({ length: 12 }, () => open(t!.gateway.url)));
    const closedNow = await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<boolean>((resolve) => {
            socket.on("close", () => resolve(true));
            socket.on("error", () => undefined);
            setTimeout(() => resolve(false), 500);
          }),
      ),
    );
    expect(closedNow.filter(Boolean).length).toBeGreaterThan(0);
    for (const socket of sockets) socket.destroy();
    for (const stream of streams) stream.abort();
  });
});
