// POST /v1/check, the setup test a browser extension's options page runs: it answers only what
// POST /v1/calls would let through (token, Origin), changes nothing, and is in the OpenAPI
// document.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { http, startTestGateway, type TestGateway } from "./testing.js";

const EXTENSION_ID = "cdefghijklmnopabcdefghijklmnopab";

describe("POST /v1/check", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      gateway: { allowedOrigins: [`chrome-extension://${EXTENSION_ID}`] },
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("answers an allowed extension, and a client without Origin, with who it acts for", async () => {
    const origin = `chrome-extension://${EXTENSION_ID}`;
    const allowed = await t.call("POST", "/v1/check", { headers: { origin } });
    expect(allowed.status).toBe(200);
    expect(allowed.json).toEqual({ extension: "100", origin, version: expect.any(String) });
    expect(allowed.headers["access-control-allow-origin"]).toBe(origin);
    const cli = await t.call("POST", "/v1/check");
    expect([cli.status, cli.json.origin]).toEqual([200, null]);
    expect(await t.simCalls()).toEqual([]);
  });

  it("refuses what POST /v1/calls refuses: another origin, a wrong or missing token", async () => {
    const other = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";
    for (const path of ["/v1/check", "/v1/calls"]) {
      const foreign = await t.call("POST", path, {
        body: { to: "+49 30 123456" },
        headers: { origin: other },
      });
      expect([path, foreign.status, foreign.json.error.code]).toEqual([
        path,
        403,
        "forbidden_origin",
      ]);
    }
    const wrong = await t.call("POST", "/v1/check", { token: "d3x_wrong" });
    expect([wrong.status, wrong.json.error.code]).toEqual([401, "unauthorized"]);
    const none = await t.call("POST", "/v1/check", { token: null });
    expect(none.status).toBe(401);
    expect(await t.simCalls()).toEqual([]);
  });

  it("is in the OpenAPI document", async () => {
    const document = (await http(t.gateway.url, "GET", "/openapi.json")).json;
    expect(document.paths["/v1/check"].post.summary).toMatch(/changes nothing/);
    expect(Object.keys(document.paths["/v1/check"].post.responses)).toEqual(
      expect.arrayContaining(["200", "401", "403"]),
    );
  });
});
