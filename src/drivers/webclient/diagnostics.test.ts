// The doctor's web-client steps against the simulator: the version told without credentials, one
// login, session, channel and devices, a resumable snapshot, and each failure the doctor names a
// fix for, tagged (a failing PBX, no 3CX login, a refused session or channel, a dropped channel).
import { afterEach, describe, expect, it } from "vitest";
import { NetworkError, ProtocolError } from "../../errors.js";
import {
  DEFAULT_DEMO_PASSWORD,
  type RequestLogEntry,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from "../../sim/index.js";
import { probeProblem } from "../probe.js";
import { resolveTlsTrust } from "../tls.js";
import { WebClientDiagnosis } from "./diagnostics.js";
import { WebClientDriver } from "./driver.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(
  options: SimulatorOptions = {},
): Promise<{ sim: Simulator; diagnosis: WebClientDiagnosis }> {
  const sim = await startSimulator(options);
  cleanups.push(() => sim.stop());
  const base = new URL(sim.url);
  const diagnosis = new WebClientDiagnosis(base, await resolveTlsTrust(base), 3000);
  cleanups.push(() => diagnosis.close());
  return { sim, diagnosis };
}

async function fault(sim: Simulator, body: object): Promise<void> {
  const response = await fetch(`${sim.url}/__sim/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

async function requestLog(sim: Simulator): Promise<string[]> {
  const log = (await (await fetch(`${sim.url}/__sim/requests`)).json()) as RequestLogEntry[];
  return log.map((e) => `${e.method} ${e.path} ${e.status}`);
}

async function logIn(diagnosis: WebClientDiagnosis, pbxVersion: 20 | 18 = 20) {
  return diagnosis.logIn({ extension: "100", password: DEFAULT_DEMO_PASSWORD, pbxVersion });
}

describe("WebClientDiagnosis on a healthy PBX", () => {
  it("V20: version without a login, then login, session, channel and the devices", async () => {
    const { sim, diagnosis } = await setUp();
    expect(await diagnosis.detectVersion()).toEqual({
      version: 20,
      loginPath: "/webclient/api/Login/GetAccessToken",
    });
    expect(await requestLog(sim)).toEqual(["POST /webclient/api/Login/GetAccessToken 400"]);
    expect((await logIn(diagnosis)).pbxVersion).toBe(20);
    await diagnosis.openSession();
    await diagnosis.openChannel();
    const devices = await diagnosis.readDevices();
    expect(devices).toHaveLength(2);
    expect(devices.every((d) => d.contact.startsWith("sip:"))).toBe(true);
  });

  it("V18: the V20 login is absent, the V18 one exists", async () => {
    const { diagnosis } = await setUp({ pbxVersion: 18 });
    expect(await diagnosis.detectVersion()).toEqual({
      version: 18,
      loginPath: "/webclient/api/Login",
    });
    expect((await logIn(diagnosis, 18)).pbxVersion).toBe(18);
    await diagnosis.openSession();
  });

  it("hands its session to the driver, which resumes it without a second login", async () => {
    const { sim, diagnosis } = await setUp();
    await logIn(diagnosis);
    await diagnosis.openSession();
    const snapshot = diagnosis.resumeSnapshot();
    expect(snapshot).toMatchObject({ pbxVersion: 20, devices: [] });
    expect(snapshot.accessToken).toBeTruthy();
    const driver = await WebClientDriver.connect({
      pbx: sim.url,
      extension: "100",
      resume: snapshot,
      events: true,
      timeoutMs: 3000,
    });
    cleanups.push(() => driver.close());
    expect(driver.devices()).toHaveLength(2);
    const logins = (await requestLog(sim)).filter((l) => l.includes("/Login/"));
    expect(logins).toEqual(["POST /webclient/api/Login/GetAccessToken 200"]);
  });

  it("refuses a step whose prerequisite is missing, sending nothing", async () => {
    const { sim, diagnosis } = await setUp();
    await expect(diagnosis.openSession()).rejects.toThrow("before a login");
    await expect(diagnosis.readDevices()).rejects.toThrow("before a MyPhone session");
    expect(await requestLog(sim)).toEqual([]);
  });
});

describe("WebClientDiagnosis failures, tagged for the doctor", () => {
  it("a 5xx to the version probe: pbx_failing", async () => {
    const { sim, diagnosis } = await setUp();
    await fault(sim, { failNext: { count: 1, status: 503 } });
    const error = await diagnosis.detectVersion().catch((e) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toContain("HTTP 503");
    expect(probeProblem(error)).toBe("pbx_failing");
  });

  it("404 on both login paths: not_3cx", async () => {
    const { sim, diagnosis } = await setUp();
    await fault(sim, { failNext: { count: 2, status: 404 } });
    const error = await diagnosis.detectVersion().catch((e) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toContain("has no 3CX web-client login");
    expect(probeProblem(error)).toBe("not_3cx");
  });

  it("a session refused right after the login: session_refused", async () => {
    const { sim, diagnosis } = await setUp();
    await logIn(diagnosis);
    await fault(sim, { expireTokens: true });
    const error = await diagnosis.openSession().catch((e) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(probeProblem(error)).toBe("session_refused");
  });

  it("NOT AUTH on the channel: channel_refused", async () => {
    const { sim, diagnosis } = await setUp();
    await logIn(diagnosis);
    await diagnosis.openSession();
    await fault(sim, { expireSessions: true });
    const error = await diagnosis.openChannel().catch((e) => e);
    expect(error.message).toContain("NOT AUTH");
    expect(probeProblem(error)).toBe("channel_refused");
  });

  it("a channel dropped before MyInfo: channel_closed", async () => {
    const { sim, diagnosis } = await setUp();
    await logIn(diagnosis);
    await diagnosis.openSession();
    await diagnosis.openChannel();
    await fault(sim, { dropWebsockets: true });
    const error = await diagnosis.readDevices().catch((e) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toBe("The event channel closed before the device list arrived.");
    expect(probeProblem(error)).toBe("channel_closed");
  });

  it("a 5xx to RequestMyInfo is passed on untagged", async () => {
    const { sim, diagnosis } = await setUp();
    await logIn(diagnosis);
    await diagnosis.openSession();
    await diagnosis.openChannel();
    await fault(sim, { failNext: { count: 1, status: 500 } });
    const error = await diagnosis.readDevices().catch((e) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(probeProblem(error)).toBeUndefined();
  });
});
