import { spawn } from "node:child_process";
import { chmod, chown, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SOCKET_FILE_NAME } from "../../gateway/index.js";
import { startTestGateway, type TestGateway, tempHome } from "../../gateway/testing.js";
import { appPaths } from "../settings/paths.js";
import {
  GATEWAY_SOCKET_FILE,
  gatewayCardPath,
  gatewaySocketPath,
  HANDOFF_FALLBACK_MS,
  handOffCall,
} from "./gateway-handoff.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gateway(): Promise<TestGateway> {
  const t = await startTestGateway();
  cleanups.push(() => t.stop());
  return t;
}

async function simRequests(t: TestGateway): Promise<Array<{ messageId?: number; path: string }>> {
  const response = await fetch(new URL("/__sim/requests", t.sim.url));
  return (await response.json()) as Array<{ messageId?: number; path: string }>;
}

describe("handOffCall", () => {
  it("uses the gateway's socket file name", () => {
    expect(GATEWAY_SOCKET_FILE).toBe(SOCKET_FILE_NAME);
    expect(gatewaySocketPath({ runtimeDir: "/run/user/1000/dial3cx" })).toBe(
      "/run/user/1000/dial3cx/gateway.sock",
    );
    expect(gatewaySocketPath({ runtimeDir: undefined })).toBeUndefined();
  });

  it("places the call through the socket: one MakeCall on the gateway's warm session", async () => {
    const t = await gateway();
    const before = (await simRequests(t)).length;
    const result = await handOffCall({
      paths: t.paths,
      extension: "100",
      request: { to: "+49 30 123456" },
    });
    expect(result).toMatchObject({
      handled: true,
      socketPath: t.gateway.socketPath,
      call: {
        to: "004930123456",
        toE164: "+4930123456",
        display: "+49 30 123456",
        device: "Yealink T46S",
        extension: "100",
        duplicate: false,
      },
    });
    const sent = (await simRequests(t)).slice(before);
    expect(sent).toEqual([expect.objectContaining({ messageId: 119 })]);
    expect(await t.simCalls()).toEqual([expect.objectContaining({ destination: "004930123456" })]);
    // The gateway's own dedupe answers a repeat with the first call.
    const again = await handOffCall({
      paths: t.paths,
      extension: "100",
      request: { to: "+49 30 123456" },
    });
    expect(again).toMatchObject({ handled: true, call: { duplicate: true } });
    expect(await t.simCalls()).toHaveLength(1);
  });

  it("passes the device, and the gateway's errors come back as the CLI's", async () => {
    const t = await gateway();
    const placed = await handOffCall({
      paths: t.paths,
      extension: "100",
      request: { to: "123", device: "2" },
    });
    expect(placed).toMatchObject({ handled: true, call: { device: "3CX app (Windows)" } });
    await expect(
      handOffCall({ paths: t.paths, extension: "100", request: { to: "124", device: "nokia" } }),
    ).rejects.toMatchObject({ code: "device_not_found", exitCode: 4 });
  });

  it("checks first that the gateway serves the PBX asked for", async () => {
    const t = await gateway();
    const other = await handOffCall({
      paths: t.paths,
      extension: "100",
      pbx: "https://pbx.elsewhere.example",
      request: { to: "126" },
    });
    expect(other).toEqual({ handled: false, reason: "the gateway serves another PBX" });
    expect(await t.simCalls()).toEqual([]);
    const same = await handOffCall({
      paths: t.paths,
      extension: "100",
      pbx: `${t.sim.url}/`,
      request: { to: "126" },
    });
    expect(same.handled).toBe(true);
  });

  it("uses the only token when the extension is not known", async () => {
    const t = await gateway();
    const result = await handOffCall({ paths: t.paths, request: { to: "125" } });
    expect(result.handled).toBe(true);
  });

  it("does not take the call without a runtime dir, socket or token", async () => {
    const t = await gateway();
    const noRuntime = { ...t.paths, runtimeDir: undefined };
    expect(await handOffCall({ paths: noRuntime, request: { to: "1" } })).toEqual({
      handled: false,
      reason: "no XDG_RUNTIME_DIR",
    });
    const elsewhere = { ...t.paths, runtimeDir: path.join(t.root, "nowhere") };
    expect(await handOffCall({ paths: elsewhere, request: { to: "1" } })).toEqual({
      handled: false,
      reason: "no gateway socket",
    });
    const otherConfig = { ...t.paths, configDir: path.join(t.root, "other-config") };
    expect(
      await handOffCall({ paths: otherConfig, extension: "100", request: { to: "1" } }),
    ).toEqual({ handled: false, reason: "no gateway token for this extension" });
    expect(await handOffCall({ paths: t.paths, extension: "101", request: { to: "1" } })).toEqual({
      handled: false,
      reason: "no gateway token for this extension",
    });
    expect(await t.simCalls()).toEqual([]);
  });

  it("a token the gateway does not know is not handled, and nothing is dialled", async () => {
    const t = await gateway();
    const forged = path.join(t.root, "forged-config");
    await mkdir(path.join(forged, "dial3cx"), { recursive: true, mode: 0o700 });
    await writeFile(
      path.join(forged, "dial3cx", "gateway-tokens"),
      "100=d3x_not-the-gateways-token-at-all\n",
      { mode: 0o600 },
    );
    const paths = { ...t.paths, configDir: path.join(forged, "dial3cx") };
    const result = await handOffCall({ paths, extension: "100", request: { to: "1" } });
    expect(result).toEqual({ handled: false, reason: "gateway refused: unauthorized" });
    const checked = await handOffCall({
      paths,
      extension: "100",
      pbx: t.sim.url,
      request: { to: "1" },
    });
    expect(checked).toEqual({ handled: false, reason: "gateway refused: unauthorized" });
    expect(await t.simCalls()).toEqual([]);
  });

  it("a stale socket (its gateway died) is not handled", async () => {
    const { paths, socketPath } = await gatewayHome();
    // A socket file whose process is gone: killed after binding.
    const child = spawn(process.execPath, [
      "-e",
      `require("node:net").createServer().listen(${JSON.stringify(socketPath)}, () => console.log("up"))`,
    ]);
    await new Promise((resolve) => child.stdout.once("data", resolve));
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    const result = await handOffCall({ paths, extension: "100", request: { to: "1" } });
    expect(result).toMatchObject({
      handled: false,
      reason: expect.stringMatching(/gateway socket does not answer \(ECONNREFUSED\)/),
    });
  });

  it("a gateway that takes the request and drops it: the call may have been placed (exit 5)", async () => {
    const { paths, socketPath } = await gatewayHome();
    // Says "continue", reads the call, then the connection goes (a gateway that crashed while
    // dialling).
    await listenOn(socketPath, (socket) => {
      let request = "";
      socket.on("data", (chunk) => {
        request += chunk.toString();
        if (!request.includes("\r\n\r\n")) return;
        if (request.endsWith("\r\n\r\n")) socket.write("HTTP/1.1 100 Continue\r\n\r\n");
        else socket.destroy();
      });
    });
    const error = await handOffCall({ paths, extension: "100", request: { to: "1" } }).then(
      () => undefined,
      (e: Error & { code?: string; exitCode?: number }) => e,
    );
    expect(error?.code).toBe("outcome_unknown");
    expect(error?.exitCode).toBe(5);
    expect(error?.message).toContain("the call may have been placed; check your phone");
  });

  it("gives the token only to a socket of this user's in a directory closed to others", async () => {
    const { paths, socketPath } = await gatewayHome();
    const dir = path.dirname(socketPath);
    // Someone else's listener at the gateway's path: it must never see a request.
    const received = await recordingListener(socketPath);
    const handOff = () => handOffCall({ paths, extension: "100", request: { to: "1" } });

    await chmod(dir, 0o755);
    expect(await handOff()).toEqual({
      handled: false,
      reason: "the gateway socket's directory is open to other users",
    });
    await chmod(dir, 0o700);
    // Only root can give a file away; as anyone else the check stays untested here.
    if (process.getuid?.() === 0) {
      await chown(socketPath, 65534, 65534);
      expect(await handOff()).toEqual({
        handled: false,
        reason: "the gateway socket is not this user's",
      });
      await chown(socketPath, 0, 0);
      await chown(dir, 65534, 65534);
      expect(await handOff()).toEqual({
        handled: false,
        reason: "the gateway socket is not this user's",
      });
    }
    expect(received()).toBe("");
  });

  it("leaves no timer holding the process once the gateway answered", async () => {
    const t = await gateway();
    // Every timer gateway-handoff.ts starts, and which of them were cleared.
    const started: NodeJS.Timeout[] = [];
    const cleared = new Set<unknown>();
    const realSetTimeout = globalThis.setTimeout;
    const realClearTimeout = globalThis.clearTimeout;
    const setSpy = vi.spyOn(globalThis, "setTimeout").mockImplementation(((
      ...args: Parameters<typeof setTimeout>
    ) => {
      const timer = realSetTimeout(...args);
      if (new Error().stack?.includes("gateway-handoff")) started.push(timer);
      return timer;
    }) as typeof setTimeout);
    const clearSpy = vi.spyOn(globalThis, "clearTimeout").mockImplementation(((
      timer: NodeJS.Timeout,
    ) => {
      cleared.add(timer);
      realClearTimeout(timer);
    }) as typeof clearTimeout);
    try {
      // With `pbx`, GET /v1/status goes first and POST /v1/calls reuses its kept-alive socket.
      const result = await handOffCall({
        paths: t.paths,
        extension: "100",
        pbx: t.sim.url,
        request: { to: "127" },
      });
      expect(result.handled).toBe(true);
    } finally {
      setSpy.mockRestore();
      clearSpy.mockRestore();
    }
    expect(started.length).toBeGreaterThan(0);
    const holding = started.filter((timer) => !cleared.has(timer) && timer.hasRef());
    expect(holding).toEqual([]);
  });

  it("falls back at once when the gateway hangs before the call request", async () => {
    const { paths, socketPath } = await gatewayHome();
    // Accepts and never answers, like a stopped gateway process.
    const requests = await recordingListener(socketPath);
    const started = Date.now();
    const result = await handOffCall({
      paths,
      extension: "100",
      pbx: "https://pbx.example",
      request: { to: "1" },
    });
    const took = Date.now() - started;
    expect(result).toMatchObject({ handled: false, reason: expect.stringMatching(/timeout/) });
    expect(took).toBeLessThan(HANDOFF_FALLBACK_MS + 250);
    // Only the status question went out: no call request reached the hung gateway.
    expect(requests()).toMatch(/^GET \/v1\/status /);
    expect(requests()).not.toContain("/v1/calls");
  });
  it("a gateway that drops the request before saying continue: nothing was sent, not handled", async () => {
    const { paths, socketPath } = await gatewayHome();
    // Reads the headers and goes, before "100 Continue": the call itself never left.
    let received = "";
    await listenOn(socketPath, (socket) =>
      socket.once("data", (chunk) => {
        received += chunk.toString();
        socket.destroy();
      }),
    );
    const result = await handOffCall({ paths, extension: "100", request: { to: "+49 30 1" } });
    expect(result).toMatchObject({ handled: false });
    expect(received).toMatch(/^POST \/v1\/calls /);
    expect(received).toMatch(/expect: 100-continue/i);
    expect(received).not.toContain("+49 30 1");
  });

  it("writes its card next to the socket (0600) and takes it away when it stops", async () => {
    const t = await startTestGateway();
    const socketPath = t.gateway.socketPath!;
    const card = JSON.parse(await readFile(gatewayCardPath(socketPath), "utf8"));
    expect(card).toEqual({ pid: process.pid, pbx: { "100": t.sim.url } });
    expect((await stat(gatewayCardPath(socketPath))).mode & 0o777).toBe(0o600);
    await t.stop();
    await expect(stat(gatewayCardPath(socketPath))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("with the gateway's card, one request: the PBX is checked without asking", async () => {
    const t = await gateway();
    const requests = () => t.logs.filter((line) => line.includes('"msg":"request"')).length;
    const other = await handOffCall({
      paths: t.paths,
      extension: "100",
      pbx: "https://pbx.elsewhere.example",
      request: { to: "128" },
    });
    expect(other).toEqual({ handled: false, reason: "the gateway serves another PBX" });
    expect(requests()).toBe(0);
    const same = await handOffCall({
      paths: t.paths,
      extension: "100",
      pbx: t.sim.url,
      request: { to: "128" },
    });
    expect(same.handled).toBe(true);
    expect(t.logs.filter((line) => line.includes('"path":"/v1/status"'))).toEqual([]);
    expect(requests()).toBe(1);
  });

  it("a card left by a gateway that is gone is not believed: the gateway is asked", async () => {
    const t = await gateway();
    const cardPath = gatewayCardPath(t.gateway.socketPath!);
    // A dead process's card naming another PBX: GET /v1/status decides, and it is the same PBX.
    const dead = spawn(process.execPath, ["-e", "0"]);
    await new Promise((resolve) => dead.once("exit", resolve));
    await writeFile(
      cardPath,
      JSON.stringify({ pid: dead.pid, pbx: { "100": "https://old.example" } }),
    );
    const result = await handOffCall({
      paths: t.paths,
      extension: "100",
      pbx: t.sim.url,
      request: { to: "129" },
    });
    expect(result.handled).toBe(true);
    expect(t.logs.filter((line) => line.includes('"path":"/v1/status"'))).toHaveLength(1);
  });

  it("a hung gateway with a card: falls back within the wait, and the call was never sent", async () => {
    const { paths, socketPath } = await gatewayHome();
    await writeFile(
      gatewayCardPath(socketPath),
      JSON.stringify({ pid: process.pid, pbx: { "100": "https://pbx.example" } }),
      { mode: 0o600 },
    );
    const received = await recordingListener(socketPath);
    const started = Date.now();
    const result = await handOffCall({
      paths,
      extension: "100",
      pbx: "https://pbx.example",
      request: { to: "+49 30 2" },
    });
    expect(result).toMatchObject({ handled: false, reason: expect.stringMatching(/timeout/) });
    expect(Date.now() - started).toBeLessThan(HANDOFF_FALLBACK_MS + 250);
    expect(received()).toMatch(/^POST \/v1\/calls /);
    expect(received()).not.toContain("+49 30 2");
  });
});

/** A runtime dir and a token for extension 100, with no gateway: tests put their own socket there. */
async function gatewayHome() {
  const home = await tempHome();
  cleanups.push(home.remove);
  const paths = appPaths(home.env);
  const socketPath = gatewaySocketPath(paths)!;
  await mkdir(path.dirname(socketPath), { recursive: true, mode: 0o700 });
  await mkdir(paths.configDir, { recursive: true, mode: 0o700 });
  await writeFile(
    path.join(paths.configDir, "gateway-tokens"),
    "100=d3x_some-token-of-enough-length\n",
    { mode: 0o600 },
  );
  return { paths, socketPath };
}

/** A server of ours on the socket path, closed after the test (even with connections open). */
async function listenOn(socketPath: string, onConnection: (socket: Socket) => void) {
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.unref();
      }),
  );
}

/** A listener that never answers; returns what it has received so far. */
async function recordingListener(socketPath: string): Promise<() => string> {
  let received = "";
  await listenOn(socketPath, (socket) =>
    socket.on("data", (chunk) => {
      received += chunk.toString();
    }),
  );
  return () => received;
}
