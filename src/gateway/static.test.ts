// The dialer page's files as the gateway serves them: no token needed, strict CSP and the other
// browser headers, the Host check still applies, nothing else is exposed, and a missing build
// says what to do.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TransportBindings } from "./security.js";
import { addStaticRoutes, CONTENT_SECURITY_POLICY } from "./static.js";
import { http, startTestGateway, type TestGateway } from "./testing.js";

describe("the dialer page's files", () => {
  let env: TestGateway;
  beforeAll(async () => {
    env = await startTestGateway();
  });
  afterAll(async () => env?.stop());

  it.each([
    ["/", "text/html; charset=utf-8", "<title>dial3cx</title>"],
    ["/app.js", "text/javascript; charset=utf-8", "/v1/events"],
    ["/style.css", "text/css; charset=utf-8", ".dialer"],
  ])("serves %s without a token, with strict browser headers", async (route, type, content) => {
    const answer = await http(env.gateway.url, "GET", route);
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe(type);
    expect(answer.text).toContain(content);
    const csp = String(answer.headers["content-security-policy"]);
    for (const directive of [
      "default-src 'self'",
      "connect-src 'self'",
      "img-src 'self' data:",
      "style-src 'self'",
      "script-src 'self'",
      "frame-ancestors 'none'",
    ]) {
      expect(csp.split("; ")).toContain(directive);
    }
    expect(csp).not.toMatch(/unsafe|\*/);
    expect(answer.headers["x-content-type-options"]).toBe("nosniff");
    expect(answer.headers["referrer-policy"]).toBe("no-referrer");
  });

  it("keeps the page free of inline script, inline style and outside resources", async () => {
    const html = (await http(env.gateway.url, "GET", "/")).text;
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|<style/);
    expect(html).not.toMatch(/\b(?:src|href)="(?:https?:)?\/\//);
  });

  it("still checks the Host header (DNS rebinding) and serves nothing else", async () => {
    const rebound = await http(env.gateway.url, "GET", "/", {
      headers: { host: `evil.example:${env.gateway.port}` },
    });
    expect(rebound.status).toBe(421);
    for (const route of ["/index.html", "/../package.json", "/app.ts", "/tsconfig.json"]) {
      expect((await http(env.gateway.url, "GET", route)).status).toBe(404);
    }
    expect((await http(env.gateway.url, "POST", "/")).status).toBe(404);
  });
});

describe("addStaticRoutes", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "dial3cx-web-"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const app = () => {
    const hono = new Hono<{ Bindings: TransportBindings }>();
    addStaticRoutes(hono, dir);
    return hono;
  };

  it("says how to build the page when its files are missing", async () => {
    const answer = await app().request("/");
    expect(answer.status).toBe(404);
    expect(await answer.json()).toEqual({
      error: { code: "not_found", message: expect.stringContaining("npm run build") },
    });
  });

  it("reads the files on each request, so a rebuilt page is served at once", async () => {
    await writeFile(path.join(dir, "app.js"), "one");
    expect(await (await app().request("/app.js")).text()).toBe("one");
    await writeFile(path.join(dir, "app.js"), "two");
    const answer = await app().request("/app.js");
    expect(await answer.text()).toBe("two");
    expect(answer.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
  });
});
