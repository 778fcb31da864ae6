// The gateway process around the API: the unix socket (same API, 0700 dir, 0600 socket, stale
// and live sockets), several extensions from an accounts file with one token each, failed
// logins at start, and a graceful stop that ends event streams.

import { spawn } from "node:child_process";
import { lstatSync } from "node:fs";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { Server as NetServer } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Dial3cxError } from "../errors.js";
import { resolveSettings } from "../features/settings/config.js";
import { readTokens, tokensFile } from "../features/settings/gateway-tokens.js";
import { memoryStore } from "../features/settings/secrets.js";
import { startSimulator } from "../sim/index.js";
import { readAccountsFile } from "./accounts.js";
import { startGateway } from "./server.js";
import {
  EventReader,
  http,
  startTestGateway,
  type TestGateway,
  tempHome,
  unixDispatcher,
} from "./testing.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gateway(options: Parameters<typeof startTestGateway>[0] = {}): Promise<TestGateway> {
  const t = await startTestGateway(options);
  cleanups.push(() => t.stop());
  return t;
}

describe("the unix socket", () => {
  it("serves the same API under $XDG_RUNTIME_DIR/dial3cx, socket 0600 in a 0700 dir", async () => {
    const t = await gateway();
    const socketPath = t.gateway.socketPath!;
    expect(socketPath).toBe(path.join(t.root, "run", "dial3cx", "gateway.sock"));
    expect((await stat(socketPath)).isSocket()).toBe(true);
    expect((await stat(socketPath)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(socketPath))).mode & 0o777).toBe(0o700);

    const dispatcher = unixDispatcher(socketPath);
    cleanups.push(() => dispatcher.close());
    const token = await t.token();
    // The Host is whatever the client sends: no browser reaches a unix socket.
    const status = await http("http://localhost", "GET", "/v1/status", { token, dispatcher });
    expect(status.status).toBe(200);
    expect(status.json.extension).toBe("100");
    const anonymous = await http("http://localhost", "GET", "/v1/status", { dispatcher });
    expect(anonymous.status).toBe(401);

    const events = (await EventReader.open("http://localhost", token, { dispatcher })).reader!;
    cleanups.push(async () => events.close());
    await events.next((m) => m.comment === "connected");
    const placed = await http("http://gateway.sock", "POST", "/v1/calls", {
      token,
      dispatcher,
      body: { to: "+49 30 123456" },
    });
    expect(placed.status).toBe(201);
    const created = await events.nextEvent("call.created");
    expect(created.call.id).toBe(placed.json.id);
    expect((await t.simCalls()).map((c) => c.destination)).toEqual(["004930123456"]);
    const health = await http("http://localhost", "GET", "/healthz", { dispatcher });
    expect(health.json).toEqual({ ok: true, loginRefused: 0 });
  });

  it("replaces a stale socket, refuses a live one, and removes its own on stop", async () => {
    const home = await tempHome();
    cleanups.push(home.remove);
    const socketPath = path.join(home.root, "sock", "gw.sock");
    await mkdir(path.dirname(socketPath));
    // A socket file nobody listens on any more: its process was killed.
    const crashed = spawn(process.execPath, [
      "-e",
      `require("node:net").createServer().listen(${JSON.stringify(socketPath)}, () => console.log("up"))`,
    ]);
    await new Promise((resolve) => crashed.stdout.once("data", resolve));
    crashed.kill("SIGKILL");
    await new Promise((resolve) => crashed.once("exit", resolve));
    expect((await stat(socketPath)).isSocket()).toBe(true);
    const t = await gateway({ gateway: { socket: socketPath } });
    expect(t.gateway.socketPath).toBe(socketPath);
    const dispatcher = unixDispatcher(socketPath);
    cleanups.push(() => dispatcher.close());
    expect((await http("http://localhost", "GET", "/healthz", { dispatcher })).status).toBe(200);
    await expect(
      startGateway({
        accounts: [{ settings: t.settings, passwordSources: "settings" }],
        paths: t.paths,
        env: t.env,
        store: memoryStore(),
        listen: "127.0.0.1:0",
        socket: socketPath,
        logLevel: "silent",
      }),
    ).rejects.toThrow(/Another dial3cx gateway is listening on/);
    await t.gateway.stop();
    await expect(stat(socketPath)).rejects.toThrow(/ENOENT/);
  });

  it("is 0600 from the moment it exists, not only after a chmod", async () => {
    const modesAtBind: number[] = [];
    const listen = NetServer.prototype.listen;
    const spy = vi.spyOn(NetServer.prototype, "listen").mockImplementation(function (
      this: NetServer,
      ...args: unknown[]
    ) {
      const result = listen.apply(this, args as Parameters<typeof listen>);
      // A unix socket is bound within listen(): its mode before the gateway could chmod it.
      const target = args[0] as { path?: string };
      if (target.path) modesAtBind.push(lstatSync(target.path).mode & 0o777);
      return result;
    });
    cleanups.push(async () => spy.mockRestore());
    const umaskBefore = process.umask(0o022);
    process.umask(umaskBefore);
    await gateway();
    expect(modesAtBind).toEqual([0o600]);
    // The process umask is back as it was.
    const umaskAfter = process.umask(umaskBefore);
    expect(umaskAfter).toBe(umaskBefore);
  });

  it("is skipped with a note when there is no runtime dir, or when turned off", async () => {
    const notes: string[] = [];
    const t = await gateway({
      env: { XDG_RUNTIME_DIR: undefined },
      gateway: { onNote: (note) => notes.push(note) },
    });
    expect(t.gateway.socketPath).toBeUndefined();
    expect(notes).toEqual([
      expect.stringMatching(/No XDG_RUNTIME_DIR: not listening on a unix socket/),
    ]);
    const off = await gateway({ gateway: { socket: false } });
    expect(off.gateway.socketPath).toBeUndefined();
  });
});

describe("several extensions from --accounts", () => {
  it("binds each token to its own extension", async () => {
    const t = await gateway({
      env: { PW_100: "dial3cx-demo", PW_101: "dial3cx-101", DIAL3CX_PASSWORD: undefined },
      accounts: async (settings, root) => {
        const file = path.join(root, "accounts.toml");
        await writeFile(
          file,
          '[[account]]\nextension = "100"\npassword_env = "PW_100"\n\n[[account]]\nextension = 101\npassword_env = "PW_101"\n',
        );
        return readAccountsFile(file, settings);
      },
    });
    expect(t.gateway.extensions).toEqual(["100", "101"]);
    const tokens = await readTokens(tokensFile(t.paths));
    const token100 = tokens.get("100")!;
    const token101 = tokens.get("101")!;
    expect(token100).not.toBe(token101);

    const status101 = await t.call("GET", "/v1/status", { token: token101 });
    expect(status101.json).toMatchObject({ extension: "101", name: "Max Mustermann" });
    const devices101 = await t.call("GET", "/v1/devices", { token: token101 });
    expect(devices101.json.devices.map((d: { name: string }) => d.name)).toEqual(["Snom D785"]);

    // Token 100 cannot act for 101, in any form.
    const crossCall = await t.call("POST", "/v1/calls", {
      token: token100,
      body: { to: "+49 30 123456", extension: "101" },
    });
    expect([crossCall.status, crossCall.json.error.code]).toEqual([403, "forbidden"]);
    for (const pathname of ["/v1/status", "/v1/devices", "/v1/calls", "/v1/events"]) {
      const answer = await t.call("GET", `${pathname}?extension=101`, { token: token100 });
      expect([pathname, answer.status]).toEqual([pathname, 403]);
    }
    expect(await t.simCalls()).toEqual([]);

    // Each token's events and calls are its own extension's.
    const events100 = (await EventReader.open(t.gateway.url, token100)).reader!;
    cleanups.push(async () => events100.close());
    await events100.next((m) => m.comment === "connected");
    const placed = await t.call("POST", "/v1/calls", {
      token: token101,
      body: { to: "+49 30 123456", extension: "101" },
    });
    expect(placed.status).toBe(201);
    expect(placed.json).toMatchObject({ extension: "101", device: "Snom D785" });
    expect((await t.simCalls()).map((c) => c.extension)).toEqual(["101"]);
    const seenBy100 = await t.call("GET", `/v1/calls/${placed.json.id}`, { token: token100 });
    expect(seenBy100.status).toBe(404);
    const hangupBy100 = await t.call("DELETE", `/v1/calls/${placed.json.id}`, { token: token100 });
    expect(hangupBy100.status).toBe(404);
    const own = await t.call("POST", "/v1/calls", { token: token100, body: { to: "201" } });
    const created = await events100.nextEvent("call.created");
    expect(created).toMatchObject({ extension: "100", call: { id: own.json.id } });
    expect(events100.messages.filter((m) => m.data?.includes('"extension":"101"'))).toEqual([]);
  });

  it("does not start when one login fails, names the extension, and logs the others out", async () => {
    const sim = await startSimulator({ port: 0 });
    cleanups.push(() => sim.stop());
    const home = await tempHome({
      PW_100: "dial3cx-demo",
      PW_101: "wrong",
      DIAL3CX_PASSWORD: undefined,
    });
    cleanups.push(home.remove);
    const file = path.join(home.root, "accounts.json");
    await writeFile(
      file,
      JSON.stringify({
        account: [
          { extension: "100", password_env: "PW_100" },
          { extension: "101", password_env: "PW_101" },
        ],
      }),
    );
    const settings = resolveSettings({ env: home.env, flags: { pbx: sim.url } });
    const error = await startGateway({
      accounts: await readAccountsFile(file, settings),
      paths: home.paths,
      env: home.env,
      listen: "127.0.0.1:0",
      logLevel: "silent",
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Dial3cxError);
    expect((error as Dial3cxError).code).toBe("auth");
    expect((error as Dial3cxError).message).toMatch(/^extension 101: /);
    expect((error as Dial3cxError).message).not.toContain("wrong");
  });
});

describe("stop()", () => {
  it("ends open event streams and stops listening", async () => {
    const t = await gateway();
    const events = (await EventReader.open(t.gateway.url, await t.token())).reader!;
    await events.next((m) => m.comment === "connected");
    await t.gateway.stop();
    await events.untilClosed();
    await expect(http(t.gateway.url, "GET", "/healthz")).rejects.toThrow();
    await t.gateway.stop(); // twice is fine
  });
});
