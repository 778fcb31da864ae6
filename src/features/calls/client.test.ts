// Integration tests of the public client (`connect`, `Dial3cxClient`, `Call`) against the
// in-process simulator over real sockets: devices, placing and following calls, hanging up, events
// across a dropped websocket, the warm path from a snapshot, and every refusal before or at the PBX.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CallChange, ConnectionState } from "../../drivers/driver.js";
import { BadInputError, DeviceNotFoundError, NoDeviceError, RejectedError } from "../../errors.js";
import { DEFAULT_DEMO_PASSWORD, type Scenario, type SimulatorOptions } from "../../sim/index.js";
import {
  failure,
  type Pbx,
  requestCount,
  requestLog,
  simCalls,
  startPbx,
  type WireClient,
} from "../../sim/testing.js";
import {
  type Call,
  type CallInfo,
  type ConnectOptions,
  connect,
  type Dial3cxClient,
} from "./client.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  // Last in, first out: clients close before the simulator they talk to stops.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function simulator(options: SimulatorOptions = {}): Promise<Pbx> {
  return startPbx({ port: 0, answerAfterMs: 30, ...options }, cleanups);
}

async function connectTo(pbx: Pbx, options: Partial<ConnectOptions> = {}): Promise<Dial3cxClient> {
  const client = await connect({
    pbx: pbx.sim.url,
    extension: "100",
    password: DEFAULT_DEMO_PASSWORD,
    timeoutMs: 3000,
    ...options,
  });
  cleanups.push(() => client.close());
  return client;
}

async function fault(wire: WireClient, body: object): Promise<void> {
  expect((await wire.postJson("/__sim/faults", body)).status).toBe(200);
}

function recordCallEvents(client: Dial3cxClient): Array<[CallChange, CallInfo["state"]]> {
  const events: Array<[CallChange, CallInfo["state"]]> = [];
  client.on("call", ({ type, call }) => events.push([type, call.state]));
  return events;
}

function recordStates(call: Call): Array<CallInfo["state"]> {
  const states: Array<CallInfo["state"]> = [];
  call.on("state", (info) => states.push(info.state));
  return states;
}

function waitForState(call: Call, state: CallInfo["state"]): Promise<void> {
  return new Promise((resolve) => {
    if (call.state === state) return resolve();
    const onState = (info: CallInfo) => {
      if (info.state !== state) return;
      call.off("state", onState);
      resolve();
    };
    call.on("state", onState);
  });
}

const MYPHONE = "POST /MyPhone/MPWebService.asmx";
const DESK_PHONE = "sip:100@192.168.178.20:5062;rinstance=a1";
const WINDOWS_APP = "sip:100@192.168.178.34:51470;rinstance=7c1e2f9a4b3d5e60";

function scenarioWithDevices(devices: Array<{ contact: string; userAgent: string }>): Scenario {
  return {
    extensions: [
      {
        number: "100",
        password: DEFAULT_DEMO_PASSWORD,
        firstName: "Erika",
        lastName: "Mustermann",
        devices: devices.map((d, i) => ({ ...d, sourceAddress: `10.0.0.${i + 1}:5060` })),
      },
    ],
    contacts: [],
  };
}

describe("devices", () => {
  it("lists the registered devices with friendly names, contact, address and expiry", async () => {
    const pbx = await simulator();
    const client = await connectTo(pbx);
    expect(client.extension()).toMatchObject({ extension: "100", firstName: "Erika" });
    expect(client.devices()).toEqual([
      expect.objectContaining({
        name: "Yealink T46S",
        kind: "desk-phone",
        contact: DESK_PHONE,
        sourceAddress: "192.168.178.20:5062",
      }),
      expect.objectContaining({
        name: "3CX app (Windows)",
        kind: "softphone",
        contact: WINDOWS_APP,
        sourceAddress: "192.168.178.34:51470",
      }),
    ]);
    for (const device of client.devices()) {
      expect(device.expiresAt!.getTime()).toBeGreaterThan(Date.now());
    }
  });
});

describe("placing and following a call", () => {
  it("dials +49 30 123456 as 004930123456 on the desk phone and follows it to its end", async () => {
    const pbx = await simulator({ answerAfterMs: 30, hangupAfterMs: 30 });
    const client = await connectTo(pbx);
    const events = recordCallEvents(client);
    const call = await client.makeCall("+49 30 123456");
    const states = recordStates(call);
    expect(call.device.name).toBe("Yealink T46S");
    expect(call.to.dial).toBe("004930123456");

    const ended = await call.wait();
    const [placed, ...others] = await simCalls(pbx.wire);
    expect(others).toEqual([]);
    expect(placed).toMatchObject({
      destination: "004930123456",
      device: DESK_PHONE,
      state: "ended",
    });
    expect(call.id).toBe(String(placed!.id));
    expect(ended).toMatchObject({ id: call.id, state: "ended", number: "004930123456" });
    expect(ended.name).toBe("Ada Lovelace");
    // "dialing" may have been shown before the listener above was attached.
    expect(states.filter((s) => s !== "dialing")).toEqual(["connected", "ended"]);
    expect(events).toEqual([
      ["created", "dialing"],
      ["updated", "connected"],
      ["ended", "ended"],
    ]);
    expect(client.calls()).toEqual([]);
    expect((await requestLog(pbx.wire)).filter((l) => l.startsWith(`${MYPHONE}#119`))).toEqual([
      `${MYPHONE}#119 200`,
    ]);
  });

  it("hangs up its own call with call.hangup() (DropCall 115)", async () => {
    const pbx = await simulator({ answerAfterMs: 20 });
    const client = await connectTo(pbx);
    const call = await client.makeCall("101");
    await waitForState(call, "connected");
    expect(client.calls()).toEqual([expect.objectContaining({ id: call.id, state: "connected" })]);
    await call.hangup();
    expect(await call.wait()).toMatchObject({ state: "ended" });
    expect(await simCalls(pbx.wire)).toMatchObject([{ destination: "101", state: "ended" }]);
    expect((await requestLog(pbx.wire)).at(-1)).toBe(`${MYPHONE}#115 200`);
  });

  it("hangs up by id with client.hangup(id), and all calls with hangupAll()", async () => {
    const pbx = await simulator({ answerAfterMs: 60_000 });
    const client = await connectTo(pbx);
    const first = await client.makeCall("101");
    const second = await client.makeCall("0301234567");
    await vi.waitFor(() => expect(client.calls()).toHaveLength(2));
    await client.hangup(first.id!);
    await first.wait();
    expect(second.state).toBe("dialing");
    expect(await client.hangupAll()).toEqual([second.id]);
    await second.wait();
    expect((await simCalls(pbx.wire)).map((c) => c.state)).toEqual(["ended", "ended"]);
  });

  it("refuses to hang up a call the PBX does not know, with the PBX's message", async () => {
    const pbx = await simulator();
    const client = await connectTo(pbx);
    const error = await failure(client.hangup("4711"));
    expect(error).toBeInstanceOf(RejectedError);
    expect((error as RejectedError).pbxMessage).toMatch(/No live connection 4711/);
  });

  it("cannot follow a call without the event channel, and says so", async () => {
    const pbx = await simulator();
    const client = await connectTo(pbx, { events: false });
    const call = await client.makeCall("101", { trackTimeoutMs: 50 });
    await expect(call.wait()).rejects.toMatchObject({ code: "protocol" });
    expect(await simCalls(pbx.wire)).toHaveLength(1);
    // Given up: it no longer listens, so a later call to the same number is not taken for it.
    expect(client.listenerCount("call")).toBe(0);
  });
});

describe("the event channel", () => {
  it("reconnects a dropped websocket, and call events keep arriving", async () => {
    const pbx = await simulator({ answerAfterMs: 30, hangupAfterMs: 30 });
    const client = await connectTo(pbx);
    const connection: ConnectionState[] = [];
    client.on("connection", (state) => connection.push(state));
    await fault(pbx.wire, { dropWebsockets: true });
    await vi.waitFor(() => expect(connection).toEqual(["reconnecting", "open"]));

    const events = recordCallEvents(client);
    const call = await client.makeCall("+49 30 123456");
    expect(await call.wait()).toMatchObject({ state: "ended" });
    expect(events.map(([type]) => type)).toEqual(["created", "updated", "ended"]);
  });

  it("follows a call through a drop: the state it missed comes with the fresh MyInfo", async () => {
    const pbx = await simulator({ answerAfterMs: 150, hangupAfterMs: 150 });
    const client = await connectTo(pbx);
    const connection: ConnectionState[] = [];
    client.on("connection", (state) => connection.push(state));
    const call = await client.makeCall("101");
    await vi.waitFor(() => expect(call.id).toBeDefined());
    await fault(pbx.wire, { dropWebsockets: true });
    expect(await call.wait()).toMatchObject({ id: call.id, state: "ended" });
    expect(connection).toEqual(["reconnecting", "open"]);
  });
});

describe("warm path: resuming a snapshot", () => {
  async function snapshotOf(pbx: Pbx) {
    const first = await connectTo(pbx);
    const snapshot = first.snapshot()!;
    // The first client goes away, as a CLI process would: its channel adds nothing to the log.
    await first.close();
    return snapshot;
  }

  it("sends exactly one request, the MakeCall, while the session is valid", async () => {
    const pbx = await simulator();
    const snapshot = await snapshotOf(pbx);
    const from = await requestCount(pbx.wire);
    const client = await connectTo(pbx, { resume: snapshot, events: false });
    expect(client.devices().map((d) => d.name)).toEqual(["Yealink T46S", "3CX app (Windows)"]);
    await client.makeCall("+49 30 123456");
    expect(await requestLog(pbx.wire, from)).toEqual([`${MYPHONE}#119 200`]);
    expect(await simCalls(pbx.wire)).toMatchObject([
      { destination: "004930123456", device: DESK_PHONE },
    ]);
  });

  it("logs in again, transparently, when the saved session expired, and calls once", async () => {
    const pbx = await simulator();
    const snapshot = await snapshotOf(pbx);
    await fault(pbx.wire, { expireSessions: true });
    const from = await requestCount(pbx.wire);
    const client = await connectTo(pbx, { resume: snapshot, events: false });
    await client.makeCall("+49 30 123456");
    expect(await requestLog(pbx.wire, from)).toEqual([
      `${MYPHONE}#119 401`,
      "POST /connect/token 200",
      "POST /webclient/api/MyPhone/session 200",
      `${MYPHONE}#119 200`,
    ]);
    expect(await simCalls(pbx.wire)).toHaveLength(1);
    // The renewed session is what the next snapshot saves.
    expect(client.snapshot()!.sessionKey).not.toBe(snapshot.sessionKey);
  });

  it("opens the event channel from a snapshot, renewing a stale session first", async () => {
    const pbx = await simulator();
    const snapshot = await snapshotOf(pbx);
    await fault(pbx.wire, { expireSessions: true });
    const from = await requestCount(pbx.wire);
    const client = await connectTo(pbx, { resume: snapshot });
    expect(client.devices()).toHaveLength(2);
    expect(await requestLog(pbx.wire, from)).toEqual([
      "GET /ws/webclient 101 NOT AUTH",
      "POST /connect/token 200",
      "POST /webclient/api/MyPhone/session 200",
      "GET /ws/webclient 101 START",
      `${MYPHONE}#102 200`,
    ]);
  });
});

describe("refusals", () => {
  it("passes on the PBX's refusal of a device it does not know (stale cached device)", async () => {
    const pbx = await simulator();
    const first = await connectTo(pbx);
    const stale = "sip:100@192.168.178.99:5060;rinstance=gone";
    const snapshot = {
      ...first.snapshot()!,
      devices: [{ id: "9", contact: stale, userAgent: "Yealink SIP-T46S" }],
    };
    const client = await connectTo(pbx, { resume: snapshot, events: false });
    const error = await failure(client.makeCall("101"));
    expect(error).toBeInstanceOf(RejectedError);
    const rejected = error as RejectedError;
    expect(rejected.pbxMessage).toBe(
      `No device with contact "${stale}" is registered on extension 100.`,
    );
    expect(rejected.pbxErrorCode).toBe(40); // InvalidValue
    expect(rejected.message).toContain(rejected.pbxMessage);
    expect(await simCalls(pbx.wire)).toMatchObject([{ state: "failed", device: stale }]);
  });

  for (const input of ["hello", "", "tel:+1-800-FLOWERS", "+49 30 12a456"]) {
    it(`rejects the destination ${JSON.stringify(input)} before sending anything`, async () => {
      const pbx = await simulator();
      const client = await connectTo(pbx);
      const from = await requestCount(pbx.wire);
      const error = await failure(client.makeCall(input));
      expect(error).toBeInstanceOf(BadInputError);
      expect(await requestCount(pbx.wire)).toBe(from);
    });
  }

  it("reports NoDeviceError when the extension has no registered device", async () => {
    const pbx = await simulator({ scenario: scenarioWithDevices([]) });
    const client = await connectTo(pbx);
    const from = await requestCount(pbx.wire);
    const error = await failure(client.makeCall("101"));
    expect(error).toBeInstanceOf(NoDeviceError);
    expect(await requestCount(pbx.wire)).toBe(from);
  });

  it("asks which device when several apps and no desk phone are registered", async () => {
    const pbx = await simulator({
      scenario: scenarioWithDevices([
        {
          contact: "sip:100@10.0.0.1:5060;rinstance=w",
          userAgent: "3CX Desktop App for Windows 20",
        },
        { contact: "sip:100@10.0.0.2:5060;rinstance=a", userAgent: "3CX Android 20.0.6" },
      ]),
    });
    const client = await connectTo(pbx);
    const error = await failure(client.makeCall("101"));
    expect(error).toBeInstanceOf(DeviceNotFoundError);
    expect(error.message).toContain("1 3CX app (Windows), 2 3CX app (Android)");
    expect(await simCalls(pbx.wire)).toEqual([]);

    await client.makeCall("101", { device: "android" });
    await client.makeCall("102", { device: "1" });
    expect((await simCalls(pbx.wire)).map((c) => c.device)).toEqual([
      "sip:100@10.0.0.2:5060;rinstance=a",
      "sip:100@10.0.0.1:5060;rinstance=w",
    ]);
  });

  it("uses the default device selector given to connect()", async () => {
    const pbx = await simulator();
    const client = await connectTo(pbx, { device: "windows" });
    const call = await client.makeCall("101");
    expect(call.device.contact).toBe(WINDOWS_APP);
    expect(await simCalls(pbx.wire)).toMatchObject([{ device: WINDOWS_APP }]);
  });
});

describe("phone book", () => {
  it("searches the PBX phone book and colleagues (104 → 202)", async () => {
    const pbx = await simulator();
    const client = await connectTo(pbx, { events: false });
    const found = await client.lookupContacts("lovelace");
    expect(found).toEqual([
      expect.objectContaining({
        firstName: "Ada",
        lastName: "Lovelace",
        isColleague: false,
        numbers: expect.arrayContaining([{ type: "work", value: expect.stringContaining("30") }]),
      }),
    ]);
    const colleagues = await client.lookupContacts("101");
    expect(
      colleagues.some((c) => c.isColleague && c.numbers.some((n) => n.type === "extension")),
    ).toBe(true);
  });
});
