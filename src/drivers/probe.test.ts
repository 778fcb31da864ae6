// The doctor's network probes against real sockets: a TCP connect that works or is refused (and
// tagged so), and a verified TLS handshake that trusts the simulator's certificate or refuses it.
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { NetworkError, TlsError } from "../errors.js";
import { type Simulator, startSimulator } from "../sim/index.js";
import { hostAndPort, probeProblem, probeTcp, tagProblem, verifyTlsChain } from "./probe.js";
import { resolveTlsTrust } from "./tls.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { server, port: (server.address() as { port: number }).port };
}

async function tlsSimulator(): Promise<Simulator> {
  const sim = await startSimulator({ tls: true });
  cleanups.push(() => sim.stop());
  return sim;
}

describe("hostAndPort", () => {
  it("uses the scheme's default port and drops IPv6 brackets", () => {
    expect(hostAndPort(new URL("https://pbx.example.com"))).toEqual({
      host: "pbx.example.com",
      port: 443,
    });
    expect(hostAndPort(new URL("http://[::1]"))).toEqual({ host: "::1", port: 80 });
    expect(hostAndPort(new URL("https://10.0.0.5:5001"))).toEqual({ host: "10.0.0.5", port: 5001 });
  });
});

describe("probeTcp", () => {
  it("connects and reports the host, port and time", async () => {
    const { port } = await listening();
    const probe = await probeTcp(new URL(`http://127.0.0.1:${port}`), 2000);
    expect(probe).toMatchObject({ host: "127.0.0.1", port });
    expect(probe.ms).toBeGreaterThanOrEqual(0);
  });

  it("a closed port: a NetworkError tagged unreachable that says the connection was refused", async () => {
    const { server, port } = await listening();
    await new Promise((resolve) => server.close(resolve));
    const error = await probeTcp(new URL(`http://127.0.0.1:${port}`), 2000).catch((e) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toContain("connection refused");
    expect(probeProblem(error)).toBe("unreachable");
  });
});

describe("verifyTlsChain", () => {
  it("refuses a self-signed certificate under the system CAs with a TlsError", async () => {
    const sim = await tlsSimulator();
    const base = new URL(sim.url);
    const error = await verifyTlsChain(base, await resolveTlsTrust(base), 2000).catch((e) => e);
    expect(error).toBeInstanceOf(TlsError);
    expect(error.message).toContain("is not trusted");
  });

  it("passes with the certificate pinned", async () => {
    const sim = await tlsSimulator();
    const base = new URL(sim.url);
    const trust = await resolveTlsTrust(base, { fingerprint: sim.fingerprint! });
    await expect(verifyTlsChain(base, trust, 2000)).resolves.toBeUndefined();
  });
});

describe("problem tags", () => {
  it("reads back the tag, and nothing for untagged errors or non-errors", () => {
    const tagged = tagProblem(new NetworkError("x"), "pbx_failing");
    expect(probeProblem(tagged)).toBe("pbx_failing");
    expect(probeProblem(new NetworkError("x"))).toBeUndefined();
    expect(probeProblem("pbx_failing")).toBeUndefined();
  });
});
