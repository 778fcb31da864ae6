import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { Agent, fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSim, type SimCommandOptions } from "./sim.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dial3cx-sim-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function capture() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const text = { stdout: "", stderr: "" };
  stdout.on("data", (chunk) => {
    text.stdout += String(chunk);
  });
  stderr.on("data", (chunk) => {
    text.stderr += String(chunk);
  });
  return { io: { stdout, stderr }, text };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Starts runSim, waits for the ready line, returns it and a way to stop with a signal. */
async function startCli(opts: SimCommandOptions) {
  const { io, text } = capture();
  const exit = runSim(opts, io);
  await until(() => text.stdout.includes("\n") || text.stderr !== "");
  return { exit, text, ready: text.stdout.trim() };
}

describe("dial3cx sim", () => {
  it("prints one ready line with the URL, fingerprint and demo login, and stops on SIGTERM", async () => {
    const certOut = join(dir, "sim.pem");
    const { exit, text, ready } = await startCli({
      port: "0",
      tls: true,
      certOut,
      addpInterval: "0.5",
    });
    const match =
      /^dial3cx sim listening on (https:\/\/127\.0\.0\.1:(\d+)) \(3CX V20\) · TLS SHA-256 ((?:[0-9A-F]{2}:){31}[0-9A-F]{2}) · log in as 100 \/ dial3cx-demo · 2FA: 102 \/ dial3cx-2fa, TOTP secret DIAL3CXSIMULATORTWOFACTORDEMO234$/.exec(
        ready,
      );
    expect(match, ready).not.toBeNull();
    const [, url, , fingerprint] = match!;
    const pem = await readFile(certOut, "utf8");
    expect(new X509Certificate(pem).fingerprint256).toBe(fingerprint);

    const dispatcher = new Agent({ connect: { ca: pem } });
    const login = await fetch(`${url}/webclient/api/Login/GetAccessToken`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ Username: "100", Password: "dial3cx-demo" }),
      dispatcher,
    });
    expect(login.status).toBe(200);
    await login.arrayBuffer();

    process.emit("SIGTERM");
    expect(await exit).toBe(0);
    await expect(fetch(`${url}/`, { dispatcher })).rejects.toThrow();
    await dispatcher.close();
    expect(text.stdout.split("\n").filter(Boolean)).toHaveLength(1);
    expect(process.listenerCount("SIGTERM")).toBe(0);
  });

  it("runs a V18 PBX over http from a scenario file, without printing its password", async () => {
    const scenario = join(dir, "scenario.json");
    const extensions = [{ number: "300", password: "secret-pw", firstName: "Scen" }];
    await writeFile(scenario, JSON.stringify({ extensions }));
    const { exit, ready } = await startCli({
      port: "0",
      pbxVersion: "18",
      scenario,
      latency: "5",
      answerAfter: "10",
      hangupAfter: "20",
    });
    expect(ready).toMatch(
      /^dial3cx sim listening on http:\/\/127\.0\.0\.1:\d+ \(3CX V18\) · log in as 300 \(password in the scenario file\)$/,
    );
    expect(ready).not.toContain("secret-pw");
    process.emit("SIGINT");
    expect(await exit).toBe(0);
  });

  it("refuses bad option values with one line on stderr and exit code 2", async () => {
    const bad: Array<[SimCommandOptions, RegExp]> = [
      [{ port: "abc" }, /--port/],
      [{ port: "70000" }, /--port/],
      [{ pbxVersion: "19" }, /--pbx-version must be 20 or 18/],
      [{ addpInterval: "0" }, /--addp-interval/],
      [{ answerAfter: "-5" }, /--answer-after/],
      [{ hangupAfter: "soon" }, /--hangup-after/],
      [{ latency: "1.5" }, /--latency/],
      [{ host: " " }, /--host/],
      [{ certOut: join(dir, "x.pem") }, /--cert-out needs --tls/],
      [{ tlsCert: join(dir, "cert.pem") }, /--tls-cert and --tls-key go together/],
      [{ tlsCert: join(dir, "none.pem"), tlsKey: join(dir, "none.key") }, /cannot read --tls-cert/],
      [{ scenario: join(dir, "absent.json") }, /absent\.json/],
    ];
    for (const [opts, error] of bad) {
      const { io, text } = capture();
      expect(await runSim({ port: "0", ...opts }, io), JSON.stringify(opts)).toBe(2);
      expect(text.stderr, JSON.stringify(opts)).toMatch(error);
      expect(text.stderr.trim().split("\n")).toHaveLength(1);
      expect(text.stdout).toBe("");
    }
  });

  it("exits 1 when the port is taken", async () => {
    const first = await startCli({ port: "0" });
    const port = /:(\d+) /.exec(first.ready)?.[1] ?? "";
    const { io, text } = capture();
    expect(await runSim({ port }, io)).toBe(1);
    expect(text.stderr).toMatch(/cannot start on 127\.0\.0\.1/);
    process.emit("SIGTERM");
    expect(await first.exit).toBe(0);
  });
});
