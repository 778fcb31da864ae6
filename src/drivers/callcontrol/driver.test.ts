// The Call Control driver against the simulator over real HTTP and websockets: devices, calls on a
// device or on the DN, events, hang-up, token renewal, reconnects, and each refusal as a typed
// error with the CLI's exit code. Then every operation through both drivers, via the client.
import { afterEach, describe, expect, it } from "vitest";
import { AuthError, ProtocolError, RejectedError } from "../../errors.js";
import { type ConnectOptions, connect, type Dial3cxClient } from "../../features/calls/client.js";
import {
  DEFAULT_DEMO_PASSWORD,
  defaultScenario,
  type RequestLogEntry,
  type Scenario,
  type SimulatorOptions,
} from "../../sim/index.js";
import { failure, getJson, type Pbx, startPbx, type WireClient } from "../../sim/testing.js";
import type { CallChange, ConnectionState, DriverCall } from "../driver.js";
import { callControlProblem } from "./api.js";
import { CallControlDriver, type CallControlOptions } from "./driver.js";

const API_KEY = "driver-test-key";
const DESK_PHONE = "sip:100@192.168.178.20:5062;rinstance=a1";
const WINDOWS_APP = "sip:100@192.168.178.34:51470;rinstance=7c1e2f9a4b3d5e60";
const scenario: Scenario = {
  ...defaultScenario,
  apiClients: [
    { clientId: "900", apiKey: API_KEY, monitor: ["100"] },
    // A second client, to act on the PBX without revoking the driver's token.
    { clientId: "901", apiKey: "other-key", monitor: ["100"] },
  ],
};

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function simulator(options: SimulatorOptions = {}): Promise<Pbx> {
  return startPbx({ scenario, answerAfterMs: 40, ...options }, cleanups);
}

async function driverFor(
  pbx: Pbx,
  options: Partial<CallControlOptions> = {},
): Promise<CallControlDriver> {
  const driver = await CallControlDriver.connect({
    pbx: pbx.sim.url,
    extension: "100",
    clientId: "900",
    apiKey: API_KEY,
    timeoutMs: 3000,
    ...options,
  });
  cleanups.push(() => driver.close());
  return driver;
}

/** The public client for extension 100: the web-client driver unless `options` choose another. */
async function clientFor(pbx: Pbx, options: Partial<ConnectOptions> = {}): Promise<Dial3cxClient> {
  const client = await connect({
    pbx: pbx.sim.url,
    extension: "100",
    password: DEFAULT_DEMO_PASSWORD,
    driver: "webclient",
    timeoutMs: 3000,
    ...options,
  });
  cleanups.push(() => client.close());
  return client;
}

async function requestLines(wire: WireClient): Promise<string[]> {
  const log = await getJson<RequestLogEntry[]>(wire, "/__sim/requests");
  return log.map((e) => `${e.method} ${e.path} ${e.status}`);
}

function recordCalls(driver: CallControlDriver | Dial3cxClient) {
  const events: Array<[CallChange, DriverCall]> = [];
  driver.on("call", ({ type, call }) => events.push([type, call]));
  return events;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function otherClientToken(wire: WireClient): Promise<string> {
  const answer = await wire.request("POST", "/connect/token", {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials&client_id=901&client_secret=other-key",
  });
  return (JSON.parse(answer.text) as { access_token: string }).access_token;
}

describe("CallControlDriver", () => {
  it("reads the devices of the DN; the SIP contact is the device id", async () => {
    const pbx = await simulator();
    const driver = await driverFor(pbx);
    expect(driver.kind).toBe("callcontrol");
    expect(driver.extensionInfo()).toEqual({ extension: "100" });
    expect(driver.devices()).toEqual([
      { id: DESK_PHONE, contact: DESK_PHONE, userAgent: "Yealink SIP-T46S" },
      {
        id: WINDOWS_APP,
        contact: WINDOWS_APP,
        userAgent: "3CX Desktop App for Windows 20.0.1",
      },
    ]);
    expect(driver.calls()).toEqual([]);
  });

  it("places a call on a device and follows it: created, updated (connected), ended", async () => {
    const pbx = await simulator({ hangupAfterMs: 40 });
    const driver = await driverFor(pbx);
    const events = recordCalls(driver);
    await driver.makeCall("004930123456", { id: WINDOWS_APP, contact: WINDOWS_APP });
    await until(() => events.some(([type]) => type === "ended"));
    expect(events.map(([type, call]) => [type, call.state])).toEqual([
      ["created", "ringing"],
      ["updated", "connected"],
      ["ended", "ended"],
    ]);
    expect(events[0]![1]).toMatchObject({
      number: "004930123456",
      name: "Ada Lovelace",
      incoming: false,
    });
    const [call] = await getJson<Array<{ device: string; state: string }>>(
      pbx.wire,
      "/__sim/calls",
    );
    expect(call).toMatchObject({ device: WINDOWS_APP, state: "ended" });
    expect(driver.calls()).toEqual([]);
    const lines = await requestLines(pbx.wire);
    expect(lines).toContain(
      `POST /callcontrol/100/devices/${encodeURIComponent(WINDOWS_APP)}/makecall 200`,
    );
  });

  it("places a call on the DN without a device, and hangs it up by dropping the participant", async () => {
    const pbx = await simulator({ answerAfterMs: 60_000 });
    const driver = await driverFor(pbx);
    const events = recordCalls(driver);
    await driver.makeCall("101");
    expect(driver.calls()).toMatchObject([
      { number: "101", state: "dialing", name: "Max Mustermann" },
    ]);
    const id = driver.calls()[0]!.id;
    await driver.hangup(id);
    expect(driver.calls()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the remove event changes nothing
    expect(events.map(([type]) => type)).toEqual(["created", "ended"]);
    const lines = await requestLines(pbx.wire);
    expect(lines).toContain("POST /callcontrol/100/makecall 200");
    expect(lines).toContain(`POST /callcontrol/100/participants/${id}/drop 200`);
    const error = await failure(driver.hangup(id));
    expect(error).toBeInstanceOf(RejectedError);
    expect(error.message).toContain(`There is no call ${id}`);
  });

  it("follows calls placed elsewhere (the web client) through the events", async () => {
    const pbx = await simulator({ answerAfterMs: 60_000 });
    const driver = await driverFor(pbx);
    const events = recordCalls(driver);
    const web = await clientFor(pbx);
    await web.makeCall("101");
    await until(() => events.length === 1);
    expect(events[0]).toMatchObject(["created", { number: "101", state: "dialing" }]);
    await web.hangupAll();
    await until(() => events.length === 2);
    expect(events[1]).toMatchObject(["ended", { state: "ended" }]);
  });

  it("refuses a bad destination and a device that is gone, as typed errors", async () => {
    const pbx = await simulator();
    const driver = await driverFor(pbx);
    const bad = await failure(driver.makeCall("12a"));
    expect(bad).toBeInstanceOf(RejectedError);
    expect(bad.message).toMatch(/refused the call to 12a: .*not a dialable number/);
    const gone = await failure(driver.makeCall("101", { id: "x", contact: "sip:gone@10.0.0.9" }));
    expect((gone as RejectedError).code).toBe("device_not_found");
    expect((gone as RejectedError).exitCode).toBe(4);
  });

  it("turns a wrong API key or client id into an AuthError (exit 3) and never retries it", async () => {
    const pbx = await simulator();
    for (const options of [{ apiKey: "wrong" }, { clientId: "902" }]) {
      const error = await failure(driverFor(pbx, options));
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).exitCode).toBe(3);
      expect(error.message).toContain("wrong client id");
      expect(error.message).toContain("API key");
      expect(error.message).not.toContain(API_KEY);
      expect(callControlProblem(error)).toBe("credentials");
    }
    const tokenRequests = (await requestLines(pbx.wire)).filter((l) =>
      l.includes("/connect/token"),
    );
    expect(tokenRequests).toEqual(["POST /connect/token 401", "POST /connect/token 401"]);
  });

  it("explains a 403: extension not monitored (exit 4), or a licence without Call Control", async () => {
    const pbx = await simulator();
    const notMonitored = await failure(driverFor(pbx, { extension: "101" }));
    expect(notMonitored).toBeInstanceOf(RejectedError);
    expect((notMonitored as RejectedError).exitCode).toBe(4);
    expect(notMonitored.message).toContain('Extension 101 is not monitored by API client "900"');
    expect(callControlProblem(notMonitored)).toBe("not_monitored");

    const unlicensed = await simulator({ callControlLicensed: false });
    for (const events of [true, false]) {
      const error = await failure(driverFor(unlicensed, { events }));
      expect(error).toBeInstanceOf(RejectedError);
      expect(error.message).toContain("licence has no Call Control API");
      expect(callControlProblem(error)).toBe("unlicensed");
    }
  });

  it("says a V18 PBX has no Call Control API (404)", async () => {
    const pbx = await simulator({ pbxVersion: 18 });
    const error = await failure(driverFor(pbx));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toContain("needs 3CX V20");
    expect(callControlProblem(error)).toBe("unavailable");
  });

  it("gets one new token when the PBX refuses the current one, and sends the request again", async () => {
    const pbx = await simulator({ answerAfterMs: 60_000 });
    const driver = await driverFor(pbx, { events: false });
    expect((await pbx.wire.postJson("/__sim/faults", { expireTokens: true })).status).toBe(200);
    await driver.makeCall("101");
    const lines = await requestLines(pbx.wire);
    expect(lines.slice(-3)).toEqual([
      "POST /callcontrol/100/makecall 401",
      "POST /connect/token 200",
      "POST /callcontrol/100/makecall 200",
    ]);
    expect(await getJson<unknown[]>(pbx.wire, "/__sim/calls")).toHaveLength(1);
  });

  it("renews a token by its JWT lifetime, whatever unit expires_in was meant in", async () => {
    let now = Date.now();
    const pbx = await simulator({ callControlExpiresIn: "minutes", tokenLifetimeSeconds: 1200 });
    const driver = await driverFor(pbx, { events: false });
    // expires_in is 20 (minutes); the JWT says 1200 s: renewed 10 % before its end, at 1080 s.
    const api = driver.api as unknown as { now: () => number };
    api.now = () => now;
    await driver.makeCall("101");
    now += 55_000;
    await driver.makeCall("101");
    now += 1000_000;
    await driver.makeCall("101");
    now += 30_000;
    await driver.makeCall("101");
    const tokens = (await requestLines(pbx.wire)).filter((l) => l.includes("/connect/token"));
    expect(tokens).toEqual(["POST /connect/token 200", "POST /connect/token 200"]);
  });

  it("reconnects a dropped event socket and announces what changed meanwhile", async () => {
    const pbx = await simulator({ answerAfterMs: 60_000 });
    const driver = await driverFor(pbx);
    const states: ConnectionState[] = [];
    driver.on("connection", (state) => states.push(state));
    const events = recordCalls(driver);
    await driver.makeCall("101");
    const id = driver.calls()[0]!.id;
    const other = await otherClientToken(pbx.wire);
    // The first re-read after the drop fails (503): the call ends while no socket is open.
    await pbx.wire.postJson("/__sim/faults", { failNext: { count: 1, status: 503 } });
    await pbx.wire.postJson("/__sim/faults", { dropWebsockets: true });
    await until(async () => (await requestLines(pbx.wire)).includes("GET /callcontrol/100 503"));
    const dropped = await pbx.wire.postJson(
      `/callcontrol/100/participants/${id}/drop`,
      {},
      { authorization: `Bearer ${other}` },
    );
    expect(dropped.status).toBe(200);
    await until(() => states.includes("open") && events.length === 2);
    expect(states).toEqual(["reconnecting", "open"]);
    expect(events.map(([type]) => type)).toEqual(["created", "ended"]);
    // And the new socket carries events.
    await driver.makeCall("101");
    await driver.hangup(driver.calls()[0]!.id);
    expect(events.map(([type]) => type)).toEqual(["created", "ended", "created", "ended"]);
  });
});

/** The participant GETs in the request log: per-id and list. */
async function participantGets(wire: WireClient) {
  const lines = await requestLines(wire);
  return {
    single: lines.filter((l) => /^GET \/callcontrol\/100\/participants\/\d+ /.test(l)),
    list: lines.filter((l) => l.startsWith("GET /callcontrol/100/participants ")),
  };
}

describe("Call Control as live PBXs speak it (reference §10, §10.1)", () => {
  it("1: a makecall answered 200 without result.id is a failure, with the PBX's reasontext", async () => {
    const pbx = await simulator({
      scenario: { ...scenario, makeCallRefusedAs: "emptyResult" },
    });
    const driver = await driverFor(pbx);
    const error = await failure(driver.makeCall("12a"));
    expect(error).toBeInstanceOf(RejectedError);
    expect(error.message).toMatch(/^The PBX refused the call to 12a: .*not a dialable number/);
    expect((error as RejectedError).exitCode).toBe(4);
    expect(driver.observations().makeCallWithoutResult).toBe(1);
    expect(driver.calls()).toEqual([]);
    expect(await requestLines(pbx.wire)).toContain("POST /callcontrol/100/makecall 200");
  });

  it("2: reads the bare {EventType, Entity} form too, and logs an unknown frame once", async () => {
    const pbx = await simulator({ answerAfterMs: 60_000, callControlUpsetRepeatMs: 0 });
    const debug: string[] = [];
    const driver = await driverFor(pbx, { onDebug: (line) => debug.push(line) });
    const events = recordCalls(driver);
    await driver.makeCall("101");
    const id = driver.calls()[0]!.id;
    const bare = {
      EventType: 1,
      Entity: `/callcontrol/100/participants/${id}`,
      AttachedData: null,
    };
    await pbx.wire.postJson("/__sim/faults", { callControlFrame: JSON.stringify(bare) });
    await until(() => events.length === 2);
    expect(events.map(([type]) => type)).toEqual(["created", "ended"]);
    for (let n = 0; n < 2; n++) {
      await pbx.wire.postJson("/__sim/faults", { callControlFrame: '{"hello":"world"}' });
    }
    // DTMF and Response events are known, only not acted on.
    const dtmf = { sequence: 9, event: { event_type: 2, entity: "", attached_data: {} } };
    await pbx.wire.postJson("/__sim/faults", { callControlFrame: JSON.stringify(dtmf) });
    await until(() => driver.observations().unknownFrames === 2);
    await until(() => driver.observations().wrappedEvents >= 2);
    expect(debug).toEqual(["Call Control event socket: a frame of an unknown shape, {hello}"]);
    expect(driver.observations().unwrappedEvents).toBe(1);
  });

  it("3: coalesces the Upsets 3CX repeats while a call rings: far fewer GETs, no change lost", async () => {
    const pbx = await simulator({ answerAfterMs: 1200, callControlUpsetRepeatMs: 20 });
    const driver = await driverFor(pbx, { upsetRecheckMs: 300 });
    const events = recordCalls(driver);
    await driver.makeCall("101");
    await until(() => events.some(([, call]) => call.state === "connected"), 4000);
    const { single } = await participantGets(pbx.wire);
    const upsets = driver.observations().upsets;
    // ~60 Upsets in 1.2 s; one GET each would be ~60. Coalesced: about one per 300 ms.
    expect(upsets).toBeGreaterThan(30);
    expect(single.length).toBeLessThanOrEqual(8);
    expect(events.map(([type, call]) => [type, call.state])).toEqual([
      ["created", "dialing"],
      ["updated", "connected"],
    ]);
  });

  it("3: keeps at most one GET in flight per participant, even when the PBX is slow", async () => {
    const pbx = await simulator({ answerAfterMs: 60_000, callControlUpsetRepeatMs: 10 });
    const driver = await driverFor(pbx, { upsetRecheckMs: 0 });
    await driver.makeCall("101");
    await pbx.wire.postJson("/__sim/faults", { latencyMs: 100 });
    const before = (await participantGets(pbx.wire)).single.length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    await pbx.wire.postJson("/__sim/faults", { latencyMs: 0 });
    const during = (await participantGets(pbx.wire)).single.length - before;
    // 60 Upsets in 600 ms, GETs of 100 ms one after the other: at most ~7.
    expect(driver.observations().upsets).toBeGreaterThan(30);
    expect(during).toBeLessThanOrEqual(8);
  });

  it("4: reads a leg whose own GET answers 403 from the participant list", async () => {
    const pbx = await simulator({ answerAfterMs: 80, hangupAfterMs: 80 });
    const driver = await driverFor(pbx);
    const events = recordCalls(driver);
    const problems: Error[] = [];
    driver.on("problem", (error) => problems.push(error));
    const web = await clientFor(pbx, { events: false });
    await web.makeCall("+49 30 123456");
    await until(() => events.length === 3);
    expect(events.map(([type, call]) => [type, call.state])).toEqual([
      ["created", "ringing"],
      ["updated", "connected"],
      ["ended", "ended"],
    ]);
    expect(events[0]![1]).toMatchObject({ number: "004930123456", incoming: false });
    const { single, list } = await participantGets(pbx.wire);
    expect(single).toEqual([expect.stringMatching(/ 403$/)]);
    expect(list.length).toBeGreaterThanOrEqual(1);
    expect(driver.observations().participant403).toBe(1);
    expect(problems).toEqual([]);
  });

  it("4: a 404 on the device path re-reads the devices once and calls the same phone", async () => {
    const pbx = await simulator({ answerAfterMs: 60_000 });
    const driver = await driverFor(pbx);
    const devices: string[] = [];
    driver.on("device", ({ type }) => devices.push(type));
    const stale = driver.devices()[1]!;
    await pbx.wire.postJson("/__sim/faults", { reregisterDevices: "100" });
    await driver.makeCall("101", stale);
    const fresh = driver.devices().find((d) => d.userAgent === stale.userAgent)!;
    expect(fresh.contact).not.toBe(stale.contact);
    const lines = (await requestLines(pbx.wire)).filter((l) => l.includes("/callcontrol/100/dev"));
    expect(lines).toEqual([
      `POST /callcontrol/100/devices/${encodeURIComponent(stale.contact)}/makecall 404`,
      "GET /callcontrol/100/devices 200",
      `POST /callcontrol/100/devices/${encodeURIComponent(fresh.contact)}/makecall 200`,
    ]);
    const [call] = await getJson<Array<{ device: string }>>(pbx.wire, "/__sim/calls");
    expect(call!.device).toBe(fresh.contact);
    expect(devices).toEqual(["unregistered", "unregistered", "registered", "registered"]);
    expect(driver.observations().staleDevice404).toBe(1);
  });

  it("5: takes the token's lifetime from the JWT, and moves the socket to a renewed token", async () => {
    let now = Date.now();
    const clock = () => now;
    const pbx = await simulator({ answerAfterMs: 60_000, now: clock });
    const driver = await driverFor(pbx);
    (driver.api as unknown as { now: () => number }).now = clock;
    const states: ConnectionState[] = [];
    driver.on("connection", (state) => states.push(state));
    const events = recordCalls(driver);
    const tokens = async () =>
      (await requestLines(pbx.wire)).filter((l) => l.startsWith("POST /connect/token"));
    // expires_in says 60, the JWT an hour: no renewal after a minute...
    now += 120_000;
    await driver.makeCall("101");
    expect(await tokens()).toHaveLength(1);
    expect(driver.api.tokenLifetimes()).toEqual({ expiresIn: 60, jwtLifetime: 3600 });
    // ...but five minutes before the JWT expires, single-flight: one token for two requests.
    now += 3600_000 - 120_000 - 299_000;
    await Promise.all([driver.makeCall("101"), driver.makeCall("101")]);
    expect(await tokens()).toHaveLength(2);
    // The socket follows the new token (the PBX closed the old one) without a reconnect.
    await until(
      async () =>
        (await requestLines(pbx.wire)).filter((l) => l === "GET /callcontrol/ws 101").length === 2,
    );
    await until(() => driver.followsEvents());
    for (const call of driver.calls()) await driver.hangup(call.id);
    await driver.makeCall("101");
    const web = await clientFor(pbx, { events: false });
    await web.hangupAll();
    await until(() => events.filter(([type]) => type === "ended").length === 4);
    expect(states).toEqual([]);
    expect(driver.observations().socketTokenSwaps).toBe(1);
    const ws = (await requestLines(pbx.wire)).filter((l) => l.startsWith("GET /callcontrol/ws"));
    expect(ws).toEqual(["GET /callcontrol/ws 101", "GET /callcontrol/ws 101"]);
  });

  it("6: a hang-up while the makecall is in flight drops its leg as soon as its id is known", async () => {
    const pbx = await simulator({ answerAfterMs: 60_000 });
    const client = await clientFor(pbx, {
      driver: "callcontrol",
      callControl: { clientId: "900", apiKey: API_KEY },
    });
    const events = recordCalls(client);
    await pbx.wire.postJson("/__sim/faults", { latencyMs: 200 });
    const placing = client.makeCall("+49 30 123456");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await client.hangupAll()).toEqual([]); // nothing to see yet
    await placing;
    await until(() => events.some(([type]) => type === "ended"));
    const [call] = await getJson<Array<{ state: string }>>(pbx.wire, "/__sim/calls");
    expect(call!.state).toBe("ended");
    expect(client.calls()).toEqual([]);
    expect((client.driver as CallControlDriver).observations().cancelledMakeCalls).toBe(1);
  });
});

describe("every operation through both drivers (Dial3cxClient)", () => {
  for (const kind of ["webclient", "callcontrol"] as const) {
    it(`${kind}: devices, make call, created/updated/ended events, hang up`, async () => {
      const pbx = await simulator({ answerAfterMs: 40 });
      const client = await clientFor(pbx, {
        driver: kind,
        callControl: { clientId: "900", apiKey: async () => API_KEY },
      });
      expect(client.driver.kind).toBe(kind);
      expect(client.devices().map((d) => [d.name, d.contact])).toEqual([
        ["Yealink T46S", DESK_PHONE],
        ["3CX app (Windows)", WINDOWS_APP],
      ]);
      const events = recordCalls(client);
      const call = await client.makeCall("+49 30 123456", { device: "windows" });
      await until(() => call.state === "connected");
      expect(call.id).toBeDefined();
      expect(call.info).toMatchObject({ number: "004930123456", state: "connected" });
      expect(client.calls().map((c) => c.id)).toEqual([call.id]);
      await call.hangup();
      await call.wait();
      await until(() => events.length === 3);
      // Call Control shows an outside call as Ringing (§10); the web client as dialling.
      expect(events.map(([type, info]) => [type, info.state])).toEqual([
        ["created", kind === "callcontrol" ? "ringing" : "dialing"],
        ["updated", "connected"],
        ["ended", "ended"],
      ]);
      const [placed] = await getJson<Array<{ device: string; state: string; id: number }>>(
        pbx.wire,
        "/__sim/calls",
      );
      expect(placed).toMatchObject({ device: WINDOWS_APP, state: "ended" });
      expect(String(placed!.id)).toBe(call.id);
    });
  }
});
