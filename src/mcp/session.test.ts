import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { AuthError, NetworkError } from "../errors.js";
import type { AccountOptions } from "../features/calls/account.js";
import type { Dial3cxClient } from "../features/calls/client.js";
import { McpSession } from "./session.js";

class FakeClient extends EventEmitter {
  closed = 0;
  snapshot() {
    return undefined;
  }
  async close() {
    this.closed++;
  }
}

const options = { settings: { pbx: "https://pbx", extension: "100" } } as AccountOptions;

function session(outcomes: Array<FakeClient | Error>) {
  const opened: FakeClient[] = [];
  let attempts = 0;
  const mcp = new McpSession(
    options,
    () => {},
    async () => {
      const next = outcomes[attempts++];
      if (next === undefined) throw new Error("no more outcomes");
      if (next instanceof Error) throw next;
      opened.push(next);
      return next as unknown as Dial3cxClient;
    },
  );
  return { mcp, opened, attempts: () => attempts };
}

describe("McpSession", () => {
  it("opens once for concurrent tools and keeps the session", async () => {
    const { mcp, attempts } = session([new FakeClient()]);
    const [a, b] = await Promise.all([mcp.client(), mcp.client()]);
    expect(a).toBe(b);
    expect(await mcp.client()).toBe(a);
    expect(attempts()).toBe(1);
    expect(mcp.connection).toBe("open");
  });

  it("opens a new session after the client gave up for good", async () => {
    const first = new FakeClient();
    const second = new FakeClient();
    const { mcp } = session([first, second]);
    expect(await mcp.client()).toBe(first);
    first.emit("connection", "reconnecting");
    expect(mcp.connection).toBe("reconnecting");
    expect(await mcp.client()).toBe(first);
    first.emit("connection", "closed");
    expect(first.closed).toBe(1);
    expect(mcp.connection).toBe("none");
    expect(await mcp.client()).toBe(second);
  });

  it("tries again after a network failure", async () => {
    const client = new FakeClient();
    const { mcp } = session([new NetworkError("down"), client]);
    await expect(mcp.client()).rejects.toThrow("down");
    expect(await mcp.client()).toBe(client);
  });

  it("never repeats a refused login", async () => {
    const { mcp, attempts } = session([new AuthError("wrong password"), new FakeClient()]);
    await expect(mcp.client()).rejects.toThrow("wrong password");
    await expect(mcp.client()).rejects.toThrow("wrong password");
    expect(attempts()).toBe(1);
  });

  it("stops for good after a refused re-login in the background", async () => {
    const client = new FakeClient();
    const { mcp, attempts } = session([client, new FakeClient()]);
    await mcp.client();
    client.emit("problem", new AuthError("password changed"));
    client.emit("connection", "closed");
    await expect(mcp.client()).rejects.toThrow("password changed");
    expect(attempts()).toBe(1);
  });

  it("closes the session it opened, once", async () => {
    const client = new FakeClient();
    const { mcp } = session([client]);
    await mcp.client();
    await mcp.close();
    await mcp.close();
    expect(client.closed).toBe(1);
    await expect(mcp.client()).rejects.toThrow(/shutting down/);
  });
});
