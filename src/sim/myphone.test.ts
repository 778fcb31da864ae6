import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { type DecodedMessage, decodeMessage, encodeMessage, isMessage } from "../protocol/codec.js";
import {
  ActionType,
  CallState,
  ErrorCodes,
  type MyExtensionInfo,
  RequestCallHistorySchema,
  RequestChangeStatusSchema,
  RequestDropCallSchema,
  RequestLookupContactSchema,
  RequestMakeCallSchema,
  type ResponseAcknowledge,
} from "../protocol/gen/myphone_pb.js";
import type { SimulatorOptions } from "./server.js";
import {
  emptyRequest,
  type LoggedIn,
  type SocketProbe,
  startWired,
  type WireClient,
} from "./testing.js";

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function start(options: SimulatorOptions = {}): Promise<WireClient> {
  const wired = await startWired({ answerAfterMs: 40, ...options });
  stops.push(wired.stop);
  return wired.client;
}

/** Logs in, opens the websocket and waits for START, like the seed. */
async function connect(
  client: WireClient,
  user = "100",
  password = "dial3cx-demo",
): Promise<LoggedIn & { socket: SocketProbe }> {
  const login = await client.loginV20(user, password);
  const socket = await client.openSocket(login.sessionKey, login.pass);
  stops.push(async () => socket.close());
  expect(await socket.next()).toBe("START");
  return { ...login, socket };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

async function post(
  client: WireClient,
  sessionKey: string,
  body: Uint8Array,
): Promise<DecodedMessage> {
  const answer = await client.myPhone(sessionKey, body);
  expect(answer.status).toBe(200);
  expect(answer.headers.get("content-type")).toBe("application/octet-stream");
  return decodeMessage(answer.body);
}

async function ack(
  client: WireClient,
  sessionKey: string,
  body: Uint8Array,
): Promise<ResponseAcknowledge> {
  const decoded = await post(client, sessionKey, body);
  if (!isMessage(decoded, 207)) throw new Error(`expected an Ack, got ${decoded.id}`);
  return decoded.message;
}

async function nextMyInfo(socket: SocketProbe, timeoutMs = 2000): Promise<MyExtensionInfo> {
  const decoded = decodeMessage(await socket.nextBinary(timeoutMs));
  if (!isMessage(decoded, 201)) throw new Error(`expected MyInfo, got ${decoded.id}`);
  return decoded.message;
}

/** MakeCall exactly as the seed builds it (reference §9.3): one-byte lengths, fields 1 and 3. */
function seedMakeCall(number: string, contact: string): Uint8Array {
  const inner = Buffer.concat([
    Buffer.from([0x0a, number.length]),
    Buffer.from(number),
    Buffer.from([0x1a, contact.length]),
    Buffer.from(contact),
  ]);
  return Buffer.concat([Buffer.from([0x08, 0x77, 0xba, 0x07, inner.length]), inner]);
}

function makeCall(destination: string, deviceId?: string): Uint8Array {
  return encodeMessage(
    119,
    create(RequestMakeCallSchema, { destination, ...(deviceId === undefined ? {} : { deviceId }) }),
  );
}

function dropCall(id: number): Uint8Array {
  return encodeMessage(
    115,
    create(RequestDropCallSchema, { localConnectionId: id, isLocal: true }),
  );
}

async function simCalls(client: WireClient) {
  return JSON.parse((await client.request("GET", "/__sim/calls")).text) as Array<
    Record<string, unknown>
  >;
}

const DESK_PHONE = "sip:100@192.168.178.20:5062;rinstance=a1";

describe("RequestMyInfo (102)", () => {
  it("answers the live Ack bytes and pushes the full MyInfo on the websocket", async () => {
    const client = await start();
    const { sessionKey, socket } = await connect(client);
    const answer = await client.myPhone(sessionKey, Buffer.from("0866b20600", "hex"));
    const message = Buffer.from("Request has been successfully processed").toString("hex");
    expect(hex(answer.body)).toBe(`08cf01fa0c2d08011a27${message}3000`);
    const frame = await socket.nextBinary();
    expect(hex(frame.subarray(0, 5))).toBe("08c901ca0c");
    const decoded = decodeMessage(frame);
    if (!isMessage(decoded, 201)) throw new Error("not MyInfo");
    const info = decoded.message;
    expect(info).toMatchObject({
      action: ActionType.FULL_UPDATE,
      number: "100",
      firstName: "Erika",
      lastName: "Mustermann",
      currentProfileId: 1,
      dnd: false,
      missedCallsCount: 0,
    });
    expect(info.id).toBeGreaterThan(0);
    expect(info.activeDevices?.action).toBe(ActionType.FULL_UPDATE);
    expect(info.activeDevices?.items.map((d) => [d.action, d.contact, d.userAgent])).toEqual([
      [ActionType.INSERTED, DESK_PHONE, "Yealink SIP-T46S"],
      [
        ActionType.INSERTED,
        "sip:100@192.168.178.34:51470;rinstance=7c1e2f9a4b3d5e60",
        "3CX Desktop App for Windows 20.0.1",
      ],
    ]);
    const desk = info.activeDevices?.items[0];
    expect(desk?.sourceAddress).toBe("192.168.178.20:5062");
    const expiresAt = desk?.expiresAt;
    const expiry = Date.UTC(
      expiresAt?.year ?? 0,
      (expiresAt?.month ?? 1) - 1,
      expiresAt?.day,
      expiresAt?.hour,
      expiresAt?.minute,
      expiresAt?.second,
    );
    expect(expiry).toBeGreaterThan(Date.now());
    expect(info.profiles?.items.map((p) => p.name)).toEqual([
      "Available",
      "Away",
      "Out of office",
      "Custom 1",
      "Custom 2",
    ]);
    expect(info.connections?.items).toEqual([]);
  });

  it("is parseable the seed's way: a 40-byte contact directly followed by SourceAddress", async () => {
    const client = await start();
    const { sessionKey, socket } = await connect(client);
    await client.myPhone(sessionKey, emptyRequest(102));
    const frame = Buffer.from(await socket.nextBinary());
    // §9.2: split at 0x1a, keep the first part starting with "(sip:", cut it at 0x22.
    const parts: Buffer[] = [];
    let partStart = 0;
    for (let i = 0; i <= frame.length; i++) {
      if (i === frame.length || frame[i] === 0x1a) {
        parts.push(frame.subarray(partStart, i));
        partStart = i + 1;
      }
    }
    const part = parts.find((p) => p.subarray(0, 5).toString("latin1") === "(sip:");
    expect(part).toBeDefined();
    const config = part!.subarray(0, part!.indexOf(0x22));
    expect(config[0]).toBe(40);
    expect(config.subarray(1).toString("utf8")).toBe(DESK_PHONE);
    // The bytes right after the contact: tag 0x22, length 19, "192.168.178.20:5062".
    expect(part!.subarray(41, 43)).toEqual(Buffer.from([0x22, 19]));
    // The seed's MakeCall built from that config is accepted.
    const number = "004930123456";
    const body = Buffer.concat([
      Buffer.from([0x08, 0x77, 0xba, 0x07, 2 + number.length + config.length + 1]),
      Buffer.from([0x0a, number.length]),
      Buffer.from(number),
      Buffer.from([0x1a]),
      config,
    ]);
    expect(body).toEqual(seedMakeCall(number, DESK_PHONE));
    expect((await ack(client, sessionKey, body)).success).toBe(true);
  });

  it("pushes only to the websockets of the requesting session", async () => {
    const client = await start();
    const first = await connect(client);
    const second = await connect(client);
    await client.myPhone(first.sessionKey, emptyRequest(102));
    await first.socket.nextBinary();
    await expect(second.socket.nextBinary(150)).rejects.toThrow(/no matching frame/);
  });
});

describe("RequestMakeCall (119) and the call lifecycle", () => {
  it("places a call, pushes Inserted then Connected, and DropCall ends it", async () => {
    const client = await start();
    const { sessionKey, socket } = await connect(client);
    const reply = await ack(client, sessionKey, seedMakeCall("004930123456", DESK_PHONE));
    expect(reply).toMatchObject({ success: true, errorType: ErrorCodes.SUCCESS });

    const inserted = await nextMyInfo(socket);
    expect(inserted.action).toBe(ActionType.UPDATED);
    expect(inserted.connections?.action).toBe(ActionType.UPDATED);
    const [dialing] = inserted.connections?.items ?? [];
    expect(dialing).toMatchObject({
      action: ActionType.INSERTED,
      state: CallState.DIALING,
      otherPartyNumber: "004930123456",
      otherPartyDisplayName: "Ada Lovelace",
      isIncoming: false,
    });
    const connectionId = dialing!.id;

    const connected = await nextMyInfo(socket);
    expect(connected.connections?.items[0]).toMatchObject({
      action: ActionType.UPDATED,
      id: connectionId,
      state: CallState.CONNECTED,
    });
    const [live] = await simCalls(client);
    expect(live).toMatchObject({
      id: connectionId,
      extension: "100",
      destination: "004930123456",
      device: DESK_PHONE,
      state: "connected",
      endedAt: null,
    });

    expect((await ack(client, sessionKey, dropCall(connectionId))).success).toBe(true);
    const deleted = await nextMyInfo(socket);
    expect(deleted.connections?.items[0]).toMatchObject({
      action: ActionType.DELETED,
      id: connectionId,
    });
    const [ended] = await simCalls(client);
    expect(ended?.state).toBe("ended");
    for (const key of ["createdAt", "connectedAt", "endedAt"]) {
      expect(new Date(String(ended?.[key])).toISOString()).toBe(ended?.[key]);
    }

    // The ended call is in the history (106 → 204), with its answer time.
    const history = await post(
      client,
      sessionKey,
      encodeMessage(106, create(RequestCallHistorySchema, { callType: 0, recordLimit: 10 })),
    );
    if (!isMessage(history, 204)) throw new Error("not 204");
    expect(history.message.records).toHaveLength(1);
    const party = history.message.records[0]?.parties?.items[0];
    expect(party).toMatchObject({ number: "004930123456", name: "Ada Lovelace", kind: 3 });
    expect(party?.answeredAt?.year).toBeGreaterThan(2000);
    const missed = await post(
      client,
      sessionKey,
      encodeMessage(106, create(RequestCallHistorySchema, { callType: 1 })),
    );
    expect(isMessage(missed, 204) && missed.message.records).toEqual([]);
  });

  it("shows live calls in a later full MyInfo", async () => {
    const client = await start({ answerAfterMs: 60_000 });
    const { sessionKey, socket } = await connect(client);
    await ack(client, sessionKey, makeCall("*72"));
    await nextMyInfo(socket);
    await client.myPhone(sessionKey, emptyRequest(102));
    const full = await nextMyInfo(socket);
    expect(full.action).toBe(ActionType.FULL_UPDATE);
    expect(full.connections?.items.map((c) => [c.otherPartyNumber, c.state])).toEqual([
      ["*72", CallState.DIALING],
    ]);
  });

  it("pushes call changes to every session of the extension and to no other", async () => {
    const client = await start();
    const a = await connect(client);
    const b = await connect(client);
    const colleague = await connect(client, "101", "dial3cx-101");
    await ack(client, a.sessionKey, makeCall("+4930123456"));
    expect((await nextMyInfo(a.socket)).connections?.items[0]?.state).toBe(CallState.DIALING);
    expect((await nextMyInfo(b.socket)).connections?.items[0]?.state).toBe(CallState.DIALING);
    await expect(colleague.socket.nextBinary(150)).rejects.toThrow(/no matching frame/);
  });

  it("lets the remote party hang up after hangupAfterMs", async () => {
    const client = await start({ answerAfterMs: 10, hangupAfterMs: 30 });
    const { sessionKey, socket } = await connect(client);
    await ack(client, sessionKey, makeCall("101"));
    const inserted = await nextMyInfo(socket);
    expect(inserted.connections?.items[0]?.otherPartyDisplayName).toBe("Max Mustermann");
    expect((await nextMyInfo(socket)).connections?.items[0]?.state).toBe(CallState.CONNECTED);
    expect((await nextMyInfo(socket)).connections?.items[0]?.action).toBe(ActionType.DELETED);
    expect((await simCalls(client))[0]?.state).toBe("ended");
  });

  it("rings the first device when field 3 is absent, and works without a websocket", async () => {
    const client = await start();
    const { sessionKey } = await client.loginV20("100", "dial3cx-demo");
    expect((await ack(client, sessionKey, makeCall("0301234567"))).success).toBe(true);
    expect((await simCalls(client))[0]).toMatchObject({
      destination: "0301234567",
      device: null,
      state: "dialing",
    });
  });

  it("accepts every device of the caller and refuses an unknown contact", async () => {
    const client = await start();
    const { sessionKey } = await client.loginV20("100", "dial3cx-demo");
    const app = "sip:100@192.168.178.34:51470;rinstance=7c1e2f9a4b3d5e60";
    expect((await ack(client, sessionKey, makeCall("123", app))).success).toBe(true);
    const colleaguesPhone = "sip:101@192.168.178.21:5062;rinstance=b2";
    const refused = await ack(client, sessionKey, makeCall("123", colleaguesPhone));
    expect(refused).toMatchObject({
      success: false,
      errorType: ErrorCodes.INVALID_VALUE,
      parameter: "DeviceID",
    });
    expect(refused.message).toContain(colleaguesPhone);
    const calls = await simCalls(client);
    expect(calls[1]).toMatchObject({
      destination: "123",
      device: colleaguesPhone,
      state: "failed",
      connectedAt: null,
    });
  });

  it("validates the destination", async () => {
    const client = await start({ answerAfterMs: 60_000 }); // accepted calls stay "dialing"
    const { sessionKey } = await client.loginV20("100", "dial3cx-demo");
    for (const bad of ["12a", "+49 30 123456", "++49", "1".repeat(33), "", "tel:123"]) {
      const refused = await ack(client, sessionKey, makeCall(bad, DESK_PHONE));
      expect(refused, bad).toMatchObject({
        success: false,
        errorType: ErrorCodes.INVALID_VALUE,
        parameter: "Destination",
      });
      expect(refused.message.length).toBeGreaterThan(10);
    }
    for (const good of ["1".repeat(32), `+${"4".repeat(32)}`, "*72#", "#31#0301234"]) {
      expect((await ack(client, sessionKey, makeCall(good, DESK_PHONE))).success, good).toBe(true);
    }
    const calls = await simCalls(client);
    expect(calls.map((c) => c.state)).toEqual([
      ...Array(6).fill("failed"),
      ...Array(4).fill("dialing"),
    ]);
    expect(calls[1]?.destination).toBe("+49 30 123456");
  });

  it("refuses a call from an extension without a registered device", async () => {
    const client = await start({
      scenario: {
        extensions: [
          { number: "200", password: "pw", firstName: "No", lastName: "Phone", devices: [] },
        ],
        contacts: [],
      },
    });
    const { sessionKey } = await client.loginV20("200", "pw");
    const refused = await ack(client, sessionKey, makeCall("123"));
    expect(refused).toMatchObject({ success: false, errorType: ErrorCodes.OPERATION_FAILED });
    expect(refused.message).toMatch(/no registered device/);
    expect((await simCalls(client))[0]).toMatchObject({ state: "failed", device: null });
  });

  it("refuses DropCall of an unknown or foreign connection", async () => {
    const client = await start({ answerAfterMs: 60_000 });
    const mine = await client.loginV20("100", "dial3cx-demo");
    const theirs = await client.loginV20("101", "dial3cx-101");
    await ack(client, theirs.sessionKey, makeCall("123"));
    const [call] = await simCalls(client);
    const refused = await ack(client, mine.sessionKey, dropCall(Number(call?.id)));
    expect(refused).toMatchObject({ success: false, parameter: "LocalConnectionId" });
    expect((await ack(client, mine.sessionKey, dropCall(4711))).success).toBe(false);
    expect((await simCalls(client))[0]?.state).toBe("dialing");
  });

  it("answers a dialing connection at once on AutoAnswer (152)", async () => {
    const client = await start({ answerAfterMs: 60_000 });
    const { sessionKey, socket } = await connect(client);
    await ack(client, sessionKey, makeCall("123"));
    const id = (await nextMyInfo(socket)).connections?.items[0]?.id ?? 0;
    const autoAnswer = Buffer.from([0x08, 0x98, 0x01, 0xc2, 0x09, 0x02, 0x08, id]);
    expect((await ack(client, sessionKey, autoAnswer)).success).toBe(true);
    expect((await nextMyInfo(socket)).connections?.items[0]?.state).toBe(CallState.CONNECTED);
  });
});

describe("RequestLookupContact (104)", () => {
  async function lookup(
    client: WireClient,
    sessionKey: string,
    init: Parameters<typeof create<typeof RequestLookupContactSchema>>[1],
  ) {
    const decoded = await post(
      client,
      sessionKey,
      encodeMessage(104, create(RequestLookupContactSchema, init)),
    );
    if (!isMessage(decoded, 202)) throw new Error(`expected 202, got ${decoded.id}`);
    return decoded.message.entries;
  }

  it("finds phone-book contacts by name, company and number, case-insensitively", async () => {
    const client = await start();
    const { sessionKey } = await client.loginV20("100", "dial3cx-demo");
    const [ada] = await lookup(client, sessionKey, { input: "ADA" });
    expect(ada).toMatchObject({
      firstName: "Ada",
      lastName: "Lovelace",
      company: "Analytical Engines Ltd",
      number4: "+49 30 123456",
      contactType: 1,
    });
    expect((await lookup(client, sessionKey, { input: "müller" })).map((e) => e.lastName)).toEqual([
      "Müller",
    ]);
    expect((await lookup(client, sessionKey, { input: "pizzeria" })).map((e) => e.company)).toEqual(
      ["Pizzeria Napoli"],
    );
    expect((await lookup(client, sessionKey, { input: "4930123" })).map((e) => e.lastName)).toEqual(
      ["Lovelace"],
    );
    expect((await lookup(client, sessionKey, { input: "+4930" })).map((e) => e.lastName)).toEqual([
      "Lovelace",
    ]);
    expect(await lookup(client, sessionKey, { input: "nobody-here" })).toEqual([]);
  });

  it("includes the other extensions as colleagues (type 0) unless ExtIncluded is false", async () => {
    const client = await start();
    const { sessionKey } = await client.loginV20("100", "dial3cx-demo");
    const [max] = await lookup(client, sessionKey, { input: "max" });
    expect(max).toMatchObject({
      firstName: "Max",
      lastName: "Mustermann",
      number5: "101",
      contactType: 0,
    });
    expect(await lookup(client, sessionKey, { input: "erika" })).toEqual([]);
    expect(await lookup(client, sessionKey, { input: "max", extIncluded: false })).toEqual([]);
  });

  it("honours offset and count (0 = no limit)", async () => {
    const client = await start();
    const { sessionKey } = await client.loginV20("100", "dial3cx-demo");
    const all = await lookup(client, sessionKey, { input: "", count: 0 });
    expect(all).toHaveLength(12);
    const page = await lookup(client, sessionKey, { input: "", offset: 3, count: 4 });
    expect(page).toEqual(all.slice(3, 7));
    const byFirstName = await lookup(client, sessionKey, { sortBy: 1 });
    expect(byFirstName[0]?.firstName).toBe("Ada");
  });

  it("answers the seed's start-up lookup with one entry", async () => {
    const client = await start();
    const { sessionKey } = await client.loginV20("100", "dial3cx-demo");
    const decoded = await post(
      client,
      sessionKey,
      Buffer.from("0868c2060e10001801200040004800500058 20".replace(" ", ""), "hex"),
    );
    expect(isMessage(decoded, 202) && decoded.message.entries.length).toBe(1);
  });
});

describe("other requests", () => {
  it("changes the status profile (103) and pushes the change", async () => {
    const client = await start();
    const { sessionKey, socket } = await connect(client);
    const change = encodeMessage(103, create(RequestChangeStatusSchema, { profileId: 2 }));
    expect((await ack(client, sessionKey, change)).success).toBe(true);
    const delta = await nextMyInfo(socket);
    expect(delta).toMatchObject({ action: ActionType.UPDATED, currentProfileId: 2 });
    await client.myPhone(sessionKey, emptyRequest(102));
    expect((await nextMyInfo(socket)).currentProfileId).toBe(2);
    const unknown = encodeMessage(103, create(RequestChangeStatusSchema, { profileId: 99 }));
    expect(await ack(client, sessionKey, unknown)).toMatchObject({
      success: false,
      parameter: "ProfileId",
    });
  });

  it("acknowledges the seed's start-up requests and the empty Login", async () => {
    const client = await start();
    const { sessionKey } = await connect(client);
    for (const bytes of [
      "087ad20700",
      "0866b20600",
      "0883019a0800",
      "08f403a21f00",
      "088001820802 0804",
      "08a501aa0a00",
      "0864a20600",
      "087dea0700",
    ]) {
      const reply = await ack(client, sessionKey, Buffer.from(bytes.replace(" ", ""), "hex"));
      expect(reply.success, bytes).toBe(true);
    }
  });

  it("refuses unknown ids with NoSuchRequest", async () => {
    const client = await start();
    const { sessionKey } = await client.loginV20("100", "dial3cx-demo");
    for (const id of [101, 140, 999]) {
      const reply = await ack(client, sessionKey, emptyRequest(id));
      expect(reply, String(id)).toMatchObject({
        success: false,
        errorType: ErrorCodes.NO_SUCH_REQUEST,
      });
    }
  });

  it("answers 400 to a body that is not a GenericMessage and keeps serving", async () => {
    const client = await start();
    const { sessionKey } = await client.loginV20("100", "dial3cx-demo");
    for (const garbage of [
      Buffer.from("hello, PBX"),
      Buffer.alloc(0),
      Buffer.from([0x08, 0x77, 0xba, 0x07, 0x40, 0x0a]),
    ]) {
      const answer = await client.myPhone(sessionKey, garbage);
      expect(answer.status).toBe(400);
    }
    expect((await ack(client, sessionKey, emptyRequest(102))).success).toBe(true);
  });

  it("answers 401 'Login is required' without a live MyPhoneSession", async () => {
    const client = await start();
    const missing = await client.request("POST", "/MyPhone/MPWebService.asmx", {
      body: emptyRequest(102),
    });
    expect([missing.status, missing.text]).toEqual([401, "Login is required"]);
    const unknown = await client.myPhone("00000000-0000-0000-0000-000000000000", emptyRequest(102));
    expect(unknown.status).toBe(401);
    expect(unknown.text).toContain("Login is required");
  });
});

describe("V18 PBX", () => {
  it("serves the same MyPhone flow on a cookie session", async () => {
    const client = await start({ pbxVersion: 18 });
    const { sessionKey, pass } = await client.loginV18("100", "dial3cx-demo");
    const socket = await client.openSocket(sessionKey, pass);
    stops.push(async () => socket.close());
    expect(await socket.next()).toBe("START");
    expect((await ack(client, sessionKey, emptyRequest(102))).success).toBe(true);
    expect((await nextMyInfo(socket)).number).toBe("100");
    expect((await ack(client, sessionKey, seedMakeCall("004930123456", DESK_PHONE))).success).toBe(
      true,
    );
    expect((await nextMyInfo(socket)).connections?.items[0]?.state).toBe(CallState.DIALING);
  });
});
