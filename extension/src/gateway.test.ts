// The extension's gateway client against answers a gateway gives (a fetch that answers as the
// gateway does): a gateway without GET /v1/history is no error, only no recent calls; the
// setup check names an old gateway and a refused origin.
import { describe, expect, it } from "vitest";
import { GatewayClient, hostPermissionFor, isLoopbackUrl, plainHttpWarning } from "./gateway.js";

function answering(status: number, body: unknown): typeof fetch {
  return async () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json" },
    });
}

const target = { url: "http://127.0.0.1:7070", token: "d3x_test" };

describe("GatewayClient.history", () => {
  it("reads the recent calls", async () => {
    const entry = { direction: "incoming", missed: true, number: "+44 20 7946 0958" };
    const client = new GatewayClient(target, {
      extensionId: "x",
      fetch: answering(200, { calls: [entry], fallback: null }),
    });
    expect(await client.history(5)).toEqual([entry]);
  });

  it("is null from a gateway that has no history (404)", async () => {
    const client = new GatewayClient(target, {
      extensionId: "x",
      fetch: answering(404, { error: { code: "not_found", message: "No such route." } }),
    });
    expect(await client.history(5)).toBeNull();
  });

  it("still says a refused token", async () => {
    const client = new GatewayClient(target, {
      extensionId: "x",
      fetch: answering(401, { error: { code: "unauthorized", message: "no" } }),
    });
    await expect(client.history(5)).rejects.toMatchObject({ kind: "token_refused" });
  });
});

describe("GatewayClient.check", () => {
  it("names an old gateway without POST /v1/check rather than guessing", async () => {
    const client = new GatewayClient(target, {
      extensionId: "x",
      fetch: answering(404, { error: { code: "not_found", message: "No such endpoint." } }),
    });
    await expect(client.check()).rejects.toThrow(/older than the extension.*update dial3cx/);
  });

  it("says how to allow the extension when the gateway refuses its origin", async () => {
    const client = new GatewayClient(target, {
      extensionId: "abc",
      fetch: answering(403, { error: { code: "forbidden_origin", message: "no" } }),
    });
    await expect(client.check()).rejects.toThrow(
      "The gateway does not allow this extension yet: run `dial3cx serve --allow-extension abc`.",
    );
  });
});

describe("a gateway on another computer", () => {
  it("needs a host permission (no port in match patterns); loopback does not", () => {
    for (const url of ["http://127.0.0.1:7070", "http://localhost:7070", "http://[::1]:7070"]) {
      expect([url, isLoopbackUrl(url), hostPermissionFor(url)]).toEqual([url, true, undefined]);
    }
    expect(hostPermissionFor("http://10.0.0.5:7070")).toBe("http://10.0.0.5/*");
    expect(hostPermissionFor("https://pbx-gw.example.com:8443")).toBe(
      "https://pbx-gw.example.com/*",
    );
    expect(hostPermissionFor("http://[fd00::5]:7070")).toBe("http://[fd00::5]/*");
    expect(isLoopbackUrl("http://127.0.0.1.example.com")).toBe(false);
  });

  it("warns that plain http sends the token in clear, only off this computer", () => {
    expect(plainHttpWarning("http://10.0.0.5:7070")).toMatch(/plain http.*unencrypted/);
    expect(plainHttpWarning("https://pbx-gw.example.com")).toBeUndefined();
    expect(plainHttpWarning("http://127.0.0.1:7070")).toBeUndefined();
  });
});
