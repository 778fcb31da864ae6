// Each point of the Security list, over real sockets against the simulator: loopback
// binding unless TLS or --allow-plain-http, Host (DNS rebinding), Origin and CORS, cross-site
// forms, 16 KB bodies, the per-token rate limit, "same number within 3 s dialled once", and
// secrets kept out of the log. Plus the pure pieces (listen parsing, limiter, deduper).
import { request as httpRequest } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BadInputError } from "../errors.js";
import { DEFAULT_DEMO_PASSWORD } from "../sim/index.js";
import { generateSelfSignedCertificate } from "../sim/tls.js";
import {
  allowedHostsFor,
  CallDeduper,
  checkListenSecurity,
  extensionOrigin,
  isLoopbackHost,
  parseListen,
  RateLimiter,
  selfOriginsFor,
  validateAllowedOrigin,
} from "./security.js";
import { http, startTestGateway, type TestGateway, unixDispatcher } from "./testing.js";

describe("listen addresses", () => {
  it("parses address:port, [v6]:port and a bare port", () => {
    expect(parseListen("127.0.0.1:7070")).toEqual({ host: "127.0.0.1", port: 7070 });
    expect(parseListen("[::1]:8080")).toEqual({ host: "::1", port: 8080 });
    expect(parseListen("localhost:0")).toEqual({ host: "localhost", port: 0 });
    expect(parseListen("0.0.0.0:443")).toEqual({ host: "0.0.0.0", port: 443 });
    expect(parseListen("7070")).toEqual({ host: "127.0.0.1", port: 7070 });
    for (const bad of ["", "127.0.0.1", "127.0.0.1:99999", "::1:7070", "[nope]:1", "a b:1"]) {
      expect(() => parseListen(bad), bad).toThrow(BadInputError);
    }
  });

  it("knows loopback addresses", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ["0.0.0.0", "::", "192.168.1.2", "example.com", "128.0.0.1"]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it("refuses a non-loopback address without TLS or --allow-plain-http, in one line", () => {
    const listen = parseListen("0.0.0.0:7070");
    expect(() => checkListenSecurity(listen, { tls: false, allowPlainHttp: false })).toThrow(
      /^--listen 0\.0\.0\.0:7070 is not a loopback address: give --tls-cert and --tls-key, or --allow-plain-http[^\n]*$/,
    );
    expect(() => checkListenSecurity(listen, { tls: true, allowPlainHttp: false })).not.toThrow();
    expect(() => checkListenSecurity(listen, { tls: false, allowPlainHttp: true })).not.toThrow();
    expect(() =>
      checkListenSecurity(parseListen("[::1]:1"), { tls: false, allowPlainHttp: false }),
    ).not.toThrow();
  });

  it("allows the listen address, localhost, 127.0.0.1 and [::1] with the port as Host", () => {
    const hosts = allowedHostsFor({ host: "127.0.0.1", port: 7070, tls: false });
    expect([...hosts].sort()).toEqual(["127.0.0.1:7070", "localhost:7070", "[::1]:7070"].sort());
    const tls = allowedHostsFor({
      host: "0.0.0.0",
      port: 443,
      tls: true,
      extra: ["Dial.Example.com"],
    });
    expect(tls.has("dial.example.com")).toBe(true);
    expect(tls.has("dial.example.com:443")).toBe(true);
    expect(tls.has("localhost")).toBe(true);
    expect(selfOriginsFor(tls, true).has("https://dial.example.com")).toBe(true);
  });

  it("accepts origins only, never a wildcard or a path", () => {
    expect(validateAllowedOrigin("https://CRM.example.com:443")).toBe("https://crm.example.com");
    for (const bad of ["*", "https://crm.example.com/app", "crm.example.com", "ftp://x.example"]) {
      expect(() => validateAllowedOrigin(bad), bad).toThrow(BadInputError);
    }
  });

  it("accepts browser extensions' origins, and --allow-extension's ids", () => {
    const chromeId = "abcdefghijklmnopabcdefghijklmnop";
    const firefoxUuid = "1b3c5e7a-0000-4000-8000-00000000000f";
    expect(validateAllowedOrigin(`chrome-extension://${chromeId}`)).toBe(
      `chrome-extension://${chromeId}`,
    );
    expect(validateAllowedOrigin(`moz-extension://${firefoxUuid}/`)).toBe(
      `moz-extension://${firefoxUuid}`,
    );
    expect(extensionOrigin(chromeId)).toBe(`chrome-extension://${chromeId}`);
    expect(extensionOrigin(` ${chromeId.toUpperCase()} `)).toBe(`chrome-extension://${chromeId}`);
    expect(extensionOrigin(firefoxUuid)).toBe(`moz-extension://${firefoxUuid}`);
    expect(extensionOrigin(`chrome-extension://${chromeId}`)).toBe(
      `chrome-extension://${chromeId}`,
    );
    for (const bad of [
      "chrome-extension://*",
      `chrome-extension://${chromeId}/popup.html`,
      "chrome-extension://abcdefghijklmnopqrstuvwxyzabcdef",
      "moz-extension://not-a-uuid",
      "safari-web-extension://abc",
    ]) {
      expect(() => validateAllowedOrigin(bad), bad).toThrow(BadInputError);
    }
    for (const bad of ["", "*", "abc", "https://crm.example.com", `${chromeId}x`]) {
      expect(() => extensionOrigin(bad), bad).toThrow(/--allow-extension/);
    }
  });
});

describe("RateLimiter", () => {
  it("allows `calls` per sliding window and says how long to wait", () => {
    let now = 0;
    const limiter = new RateLimiter({ calls: 2, windowMs: 60_000 }, () => now);
    expect(limiter.take("100")).toBe(0);
    now = 10_000;
    expect(limiter.take("100")).toBe(0);
    expect(limiter.take("100")).toBe(50_000);
    expect(limiter.take("101")).toBe(0);
    now = 60_001;
    expect(limiter.take("100")).toBe(0);
    expect(limiter.take("100")).toBe(9_999);
  });
});

describe("CallDeduper", () => {
  it("runs once per key within the window; a failure is forgotten", async () => {
    let now = 0;
    const deduper = new CallDeduper<number>(3000, () => now);
    let runs = 0;
    const place = async () => ++runs;
    expect(await deduper.run("a", place)).toEqual({ result: 1, duplicate: false });
    now = 2999;
    expect(await deduper.run("a", place)).toEqual({ result: 1, duplicate: true });
    expect(await deduper.run("b", place)).toEqual({ result: 2, duplicate: false });
    now = 3000;
    expect(await deduper.run("a", place)).toEqual({ result: 3, duplicate: false });
    await expect(deduper.run("c", async () => Promise.reject(new Error("no")))).rejects.toThrow();
    expect(await deduper.run("c", place)).toEqual({ result: 4, duplicate: false });
  });

  it("makes a request that comes while the first runs share its outcome", async () => {
    const deduper = new CallDeduper<string>(3000);
    let release!: (value: string) => void;
    const first = deduper.run("a", () => new Promise((resolve) => (release = resolve)));
    const second = deduper.run("a", async () => "second");
    release("first");
    expect(await first).toEqual({ result: "first", duplicate: false });
    expect(await second).toEqual({ result: "first", duplicate: true });
  });
});

const EXTENSION_ID = "bcdefghijklmnopabcdefghijklmnopa";

describe("a gateway on loopback", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      gateway: {
        allowedOrigins: ["https://crm.example.com", `chrome-extension://${EXTENSION_ID}`],
        rateLimit: { calls: 1000, windowMs: 60_000 },
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
  });
  afterEach(async () => {
    await http(t.sim.url, "POST", "/__sim/reset");
  });

  it("refuses a Host that is not its own (DNS rebinding): 421, no call", async () => {
    for (const host of ["evil.example:7070", `evil.example:${t.gateway.port}`, "127.0.0.1:1"]) {
      const answer = await rawRequest(
        t,
        "POST",
        "/v1/calls",
        {
          host,
          authorization: `Bearer ${await t.token()}`,
          "content-type": "application/json",
        },
        '{"to":"+49 30 123456"}',
      );
      expect([host, answer.status]).toEqual([host, 421]);
      expect(JSON.parse(answer.body).error.code).toBe("forbidden_host");
    }
    const health = await rawRequest(t, "GET", "/healthz", { host: "evil.example:7070" });
    expect(health.status).toBe(421);
    // Without a Host at all, Node's HTTP/1.1 parser refuses the request itself.
    expect((await rawRequest(t, "GET", "/healthz", {})).status).toBe(400);
    expect(await t.simCalls()).toEqual([]);
    for (const host of ["localhost", "127.0.0.1", "[::1]"]) {
      const ok = await rawRequest(t, "GET", "/healthz", { host: `${host}:${t.gateway.port}` });
      expect([host, ok.status]).toEqual([host, 200]);
    }
  });

  it("refuses a request from a foreign web origin: 403 and no call, even with a token", async () => {
    const answer = await t.call("POST", "/v1/calls", {
      body: { to: "+49 30 123456" },
      headers: { origin: "https://evil.example" },
    });
    expect(answer.status).toBe(403);
    expect(answer.json.error.code).toBe("forbidden_origin");
    expect(answer.headers["access-control-allow-origin"]).toBeUndefined();
    for (const origin of [
      "null",
      "http://127.0.0.1:1",
      "https://crm.example.com.evil.example",
      "chrome-extension://abcdefghijklmnopabcdefghijklmnop",
      "moz-extension://1b3c5e7a-0000-4000-8000-00000000000f",
    ]) {
      const other = await t.call("GET", "/v1/calls", { headers: { origin } });
      expect([origin, other.status]).toEqual([origin, 403]);
    }
    const preflight = await t.call("OPTIONS", "/v1/calls", {
      token: null,
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
    expect(await t.simCalls()).toEqual([]);
  });

  it("lets an allowed browser extension call, with CORS headers for its origin", async () => {
    const origin = `chrome-extension://${EXTENSION_ID}`;
    const placed = await t.call("POST", "/v1/calls", {
      body: { to: "+49 30 654321" },
      headers: { origin },
    });
    expect(placed.status).toBe(201);
    expect(placed.headers["access-control-allow-origin"]).toBe(origin);
    const listed = await t.call("GET", "/v1/calls", { headers: { origin } });
    expect(listed.status).toBe(200);
    expect(await t.simCalls()).toHaveLength(1);
  });

  it("does not let a cross-site HTML form place a call", async () => {
    const form = "to=%2B49+30+123456";
    const crossSite = await t.call("POST", "/v1/calls", {
      token: null,
      rawBody: form,
      headers: {
        origin: "https://evil.example",
        "content-type": "application/x-www-form-urlencoded",
      },
    });
    expect(crossSite.status).toBe(403);
    // Even with a token and no Origin, a form-encoded (or text/plain) body is refused.
    for (const type of ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data"]) {
      const answer = await t.call("POST", "/v1/calls", {
        rawBody: form,
        headers: { "content-type": type },
      });
      expect([type, answer.status, answer.json.error.code]).toEqual([
        type,
        415,
        "unsupported_media_type",
      ]);
    }
    expect(await t.simCalls()).toEqual([]);
  });

  it("sends CORS headers to allowed origins only, and answers their preflights", async () => {
    const preflight = await t.call("OPTIONS", "/v1/calls", {
      token: null,
      headers: {
        origin: "https://crm.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
        "access-control-request-private-network": "true",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      "access-control-allow-origin": "https://crm.example.com",
      "access-control-allow-methods": expect.stringContaining("POST"),
      "access-control-allow-headers": expect.stringContaining("authorization"),
      "access-control-allow-private-network": "true",
      vary: "Origin",
    });
    const placed = await t.call("POST", "/v1/calls", {
      body: { to: "+49 30 123456" },
      headers: { origin: "https://crm.example.com" },
    });
    expect(placed.status).toBe(201);
    expect(placed.headers["access-control-allow-origin"]).toBe("https://crm.example.com");
    const unauthorized = await t.call("GET", "/v1/calls", {
      token: null,
      headers: { origin: "https://crm.example.com" },
    });
    expect(unauthorized.status).toBe(401);
    // The gateway's own pages (same origin) need no CORS and get none.
    const own = await t.call("GET", "/v1/calls", { headers: { origin: t.gateway.url } });
    expect(own.status).toBe(200);
    expect(own.headers["access-control-allow-origin"]).toBeUndefined();
    const plain = await t.call("GET", "/v1/calls");
    expect(plain.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("refuses bodies over 16 KB with 413, with or without Content-Length", async () => {
    const big = JSON.stringify({ to: "+49 30 123456", device: "x".repeat(17 * 1024) });
    const sized = await t.call("POST", "/v1/calls", {
      rawBody: big,
      headers: { "content-type": "application/json" },
    });
    expect([sized.status, sized.json.error.code]).toEqual([413, "payload_too_large"]);
    const chunked = await rawRequest(
      t,
      "POST",
      "/v1/calls",
      {
        host: `127.0.0.1:${t.gateway.port}`,
        authorization: `Bearer ${await t.token()}`,
        "content-type": "application/json",
        "transfer-encoding": "chunked",
      },
      big,
    );
    expect(chunked.status).toBe(413);
    const justUnder = JSON.stringify({ to: "+49 30 555000", device: "1" }).padEnd(16 * 1024, " ");
    const ok = await t.call("POST", "/v1/calls", {
      rawBody: justUnder,
      headers: { "content-type": "application/json" },
    });
    expect(ok.status).toBe(201);
    expect(await t.simCalls()).toHaveLength(1);
  });

  it("dials the same number within 3 s once: the repeat answers 200 with the first call", async () => {
    const first = await t.call("POST", "/v1/calls", { body: { to: "+49 89 1234567" } });
    const again = await t.call("POST", "/v1/calls", { body: { to: "0049 89 1234567" } });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ id: first.json.id, to: first.json.to, duplicate: true });
    const [a, b] = await Promise.all([
      t.call("POST", "/v1/calls", { body: { to: "+49 40 9876543" } }),
      t.call("POST", "/v1/calls", { body: { to: "+49 40 9876543" } }),
    ]);
    expect([a!.status, b!.status].sort()).toEqual([200, 201]);
    expect(a!.json.id).toBe(b!.json.id);
    expect((await t.simCalls()).map((c) => c.destination)).toEqual([
      "0049891234567",
      "0049409876543",
    ]);
  });
});

describe("limits that need their own gateway", () => {
  const gateways: TestGateway[] = [];
  afterEach(async () => {
    for (const g of gateways.splice(0)) await g.stop();
  });

  it("rate-limits calls per token: 429 with Retry-After, nothing dialled", async () => {
    const t = await startTestGateway({ gateway: { rateLimit: { calls: 3, windowMs: 60_000 } } });
    gateways.push(t);
    for (const to of ["201", "202", "203"]) {
      expect((await t.call("POST", "/v1/calls", { body: { to } })).status).toBe(201);
    }
    const limited = await t.call("POST", "/v1/calls", { body: { to: "204" } });
    expect([limited.status, limited.json.error.code]).toEqual([429, "rate_limited"]);
    const retryAfter = Number(limited.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // A repeat of a number just dialled is not a new call and is not limited.
    expect((await t.call("POST", "/v1/calls", { body: { to: "203" } })).status).toBe(200);
    // Invalid numbers never reach the limiter.
    expect((await t.call("POST", "/v1/calls", { body: { to: "x" } })).status).toBe(400);
    expect((await t.simCalls()).map((c) => c.destination)).toEqual(["201", "202", "203"]);
  });

  it("does not rate-limit the owner's unix socket; the web limit stays, dedupe too", async () => {
    const t = await startTestGateway({ gateway: { rateLimit: { calls: 3, windowMs: 60_000 } } });
    gateways.push(t);
    const dispatcher = unixDispatcher(t.gateway.socketPath!);
    const token = await t.token();
    const overSocket = (to: string) =>
      http("http://localhost", "POST", "/v1/calls", { token, dispatcher, body: { to } });
    try {
      for (let i = 0; i < 22; i++) expect((await overSocket(String(300 + i))).status).toBe(201);
      // The same number again is the same call, over the socket as anywhere.
      expect((await overSocket("321")).status).toBe(200);
    } finally {
      await dispatcher.close();
    }
    expect(await t.simCalls()).toHaveLength(22);
    for (const to of ["201", "202", "203"]) {
      expect((await t.call("POST", "/v1/calls", { body: { to } })).status).toBe(201);
    }
    expect((await t.call("POST", "/v1/calls", { body: { to: "204" } })).status).toBe(429);
  });

  it("dials the same number again once the dedupe window has passed", async () => {
    const t = await startTestGateway({ gateway: { dedupeSeconds: 0.2 } });
    gateways.push(t);
    expect((await t.call("POST", "/v1/calls", { body: { to: "201" } })).status).toBe(201);
    expect((await t.call("POST", "/v1/calls", { body: { to: "201" } })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await t.call("POST", "/v1/calls", { body: { to: "201" } })).status).toBe(201);
    expect(await t.simCalls()).toHaveLength(2);
  });

  it("refuses to start on a non-loopback address without TLS, before logging in", async () => {
    await expect(
      startTestGateway({ gateway: { listen: "0.0.0.0:0", socket: false } }),
    ).rejects.toThrow(/not a loopback address/);
  });

  it("serves plain HTTP on a non-loopback address only with allowPlainHttp", async () => {
    const t = await startTestGateway({
      gateway: { listen: "0.0.0.0:0", allowPlainHttp: true, socket: false },
    });
    gateways.push(t);
    expect(t.gateway.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    const viaLoopback = await http(`http://127.0.0.1:${t.gateway.port}`, "GET", "/v1/status", {
      token: await t.token(),
    });
    expect(viaLoopback.status).toBe(200);
  });

  it("serves HTTPS with --tls-cert/--tls-key on a non-loopback address", async () => {
    const { cert, key } = await generateSelfSignedCertificate();
    const t = await startTestGateway({
      gateway: {
        listen: "0.0.0.0:0",
        tls: { cert, key },
        socket: false,
        allowedHosts: ["127.0.0.1"],
      },
    });
    gateways.push(t);
    expect(t.gateway.url).toMatch(/^https:\/\//);
    const { Agent } = await import("undici");
    const dispatcher = new Agent({ connect: { ca: cert } });
    try {
      const answer = await http(`https://127.0.0.1:${t.gateway.port}`, "GET", "/v1/status", {
        token: await t.token(),
        dispatcher,
      });
      expect(answer.status).toBe(200);
    } finally {
      await dispatcher.close();
    }
  });

  it("never writes passwords or tokens to the log", async () => {
    const t = await startTestGateway();
    gateways.push(t);
    const token = await t.token();
    await t.call("GET", "/v1/status");
    await t.call("POST", "/v1/calls", { body: { to: "+49 30 123456" } });
    await t.call("GET", "/v1/calls?token=leak", {
      token: "d3x_a-wrong-token-that-must-not-be-logged",
    });
    await t.call("GET", "/v1/contacts?q=secret-query");
    await t.gateway.stop();
    const log = t.logs.join("");
    expect(log).toContain('"msg":"request"');
    for (const secret of [
      DEFAULT_DEMO_PASSWORD,
      token,
      "d3x_a-wrong-token",
      "leak",
      "secret-query",
    ]) {
      expect(log, secret).not.toContain(secret);
    }
    // One line per request: method, path without the query, status, time.
    const lines = t.logs.map((line) => JSON.parse(line)).filter((entry) => entry.msg === "request");
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatchObject({ method: "POST", path: "/v1/calls", status: 201 });
    expect(typeof lines[1].ms).toBe("number");
    expect(lines[2]).toMatchObject({ path: "/v1/calls", status: 401 });
  });
});

/** node:http, so the Host header and chunked bodies go out exactly as given. */
function rawRequest(
  t: TestGateway,
  method: string,
  pathname: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port: t.gateway.port, method, path: pathname, headers, setHost: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    if (body !== undefined) {
      // Two chunks, so a chunked body really arrives in pieces.
      req.write(body.slice(0, 10));
      req.end(body.slice(10));
    } else {
      req.end();
    }
  });
}
