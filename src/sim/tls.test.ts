import { X509Certificate } from "node:crypto";
import { Agent, fetch } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import type { SimulatorOptions } from "./server.js";
import { startWired } from "./testing.js";
import { generateSelfSignedCertificate } from "./tls.js";

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function start(options: SimulatorOptions) {
  const wired = await startWired(options);
  stops.push(wired.stop);
  return wired;
}

const FINGERPRINT = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;

describe("TLS", () => {
  it("serves https and wss with a generated certificate that clients can trust", async () => {
    const { sim, client } = await start({ tls: true });
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.fingerprint).toMatch(FINGERPRINT);
    const cert = new X509Certificate(sim.certPem ?? "");
    expect(cert.fingerprint256).toBe(sim.fingerprint);
    expect(cert.checkHost("localhost")).toBe("localhost");
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");

    const login = await client.postJson("/webclient/api/Login/GetAccessToken", {
      Username: "100",
      Password: "dial3cx-demo",
    });
    expect(login.status).toBe(200);
    expect(login.headers.getSetCookie()[0]).toMatch(
      /; path=\/; secure; HttpOnly; SameSite=Strict$/,
    );

    const { sessionKey, pass } = await client.loginV20("100", "dial3cx-demo");
    const socket = await client.openSocket(sessionKey, pass);
    stops.push(async () => socket.close());
    expect(await socket.next()).toBe("START");
  });

  it("is refused by a client that does not trust the certificate", async () => {
    const { sim } = await start({ tls: true });
    const dispatcher = new Agent();
    await expect(fetch(`${sim.url}/`, { dispatcher })).rejects.toThrow();
    await dispatcher.close();
  });

  it("uses a given certificate and key", async () => {
    const material = await generateSelfSignedCertificate();
    const { sim, client } = await start({
      tls: { cert: material.cert, key: material.key },
      pbxVersion: 18,
    });
    expect(sim.fingerprint).toBe(material.fingerprint);
    expect(sim.certPem).toBe(material.cert);
    const login = await client.postJson("/webclient/api/Login", {
      Username: "100",
      Password: "dial3cx-demo",
    });
    expect(login.status).toBe(200);
  });
});
