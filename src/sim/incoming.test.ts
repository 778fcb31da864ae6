// Incoming calls on the simulator over real sockets: `POST /__sim/calls` rings an extension, its
// MyInfo pushes show the ringing incoming connection, answer/hang-up end it, missed and answered
// calls land in the history (106 → 204), the scenario pre-fills the history, and the Call Control
// API shows the inbound leg as Ringing.
import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { decodeMessage, encodeMessage, isMessage } from "../protocol/codec.js";
import {
  ActionType,
  CallState,
  type MyExtensionInfo,
  RequestCallHistorySchema,
  type ResponseCallHistory,
} from "../protocol/gen/myphone_pb.js";
import { defaultScenario, parseScenario, type Scenario } from "./scenario.js";
import type { SimulatorOptions } from "./server.js";
import { type SocketProbe, startWired, type WireClient } from "./testing.js";

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function start(options: SimulatorOptions = {}): Promise<WireClient> {
  const wired = await startWired(options);
  stops.push(wired.stop);
  return wired.client;
}

async function connect(client: WireClient) {
  const login = await client.loginV20("100", "dial3cx-demo");
  const socket = await client.openSocket(login.sessionKey, login.pass);
  stops.push(async () => socket.close());
  expect(await socket.next()).toBe("START");
  return { ...login, socket };
}

async function nextMyInfo(socket: SocketProbe): Promise<MyExtensionInfo> {
  const decoded = decodeMessage(await socket.nextBinary());
  if (!isMessage(decoded, 201)) throw new Error(`expected MyInfo, got ${decoded.id}`);
  return decoded.message;
}

async function ringIn(client: WireClient, body: Record<string, unknown>) {
  const answer = await client.postJson("/__sim/calls", body);
  return { status: answer.status, body: JSON.parse(answer.text) as Record<string, unknown> };
}

async function history(
  client: WireClient,
  sessionKey: string,
  callType: number,
): Promise<ResponseCallHistory> {
  const request = create(RequestCallHistorySchema, { callType, recordLimit: 10 });
  const answer = decodeMessage(
    (await client.myPhone(sessionKey, encodeMessage(106, request))).body,
  );
  if (!isMessage(answer, 204)) throw new Error(`expected 204, got ${answer.id}`);
  return answer.message;
}

describe("incoming calls (POST /__sim/calls)", () => {
  it("rings with the caller id and phone-book name, connects on answer, then is 'received'", async () => {
    const client = await start();
    const { sessionKey, socket } = await connect(client);
    const rung = await ringIn(client, { from: "+44 20 7946 0958", to: "100" });
    expect(rung.status).toBe(201);
    expect(rung.body).toMatchObject({ state: "ringing", incoming: true, missed: false });

    const ringing = await nextMyInfo(socket);
    expect(ringing.connections?.items[0]).toMatchObject({
      action: ActionType.INSERTED,
      id: rung.body.id,
      state: CallState.RINGING,
      isIncoming: true,
      otherPartyNumber: "+44 20 7946 0958",
      otherPartyDisplayName: "Charles Babbage",
    });

    const answered = await client.request("POST", `/__sim/calls/${rung.body.id}/answer`);
    expect(answered.status).toBe(200);
    expect((await nextMyInfo(socket)).connections?.items[0]).toMatchObject({
      action: ActionType.UPDATED,
      state: CallState.CONNECTED,
      isIncoming: true,
    });
    // Answering twice is a conflict, not a second answer.
    expect((await client.request("POST", `/__sim/calls/${rung.body.id}/answer`)).status).toBe(409);

    const hungUp = await client.request("POST", `/__sim/calls/${rung.body.id}/hangup`);
    expect(JSON.parse(hungUp.text)).toMatchObject({ state: "ended", missed: false });
    expect((await nextMyInfo(socket)).connections?.items[0]).toMatchObject({
      action: ActionType.DELETED,
    });
    const [entry] = (await history(client, sessionKey, 0)).records;
    expect(entry?.parties?.items[0]).toMatchObject({
      number: "+44 20 7946 0958",
      name: "Charles Babbage",
      kind: 2,
    });
    expect(entry?.parties?.items[0]?.answeredAt?.year).toBeGreaterThan(2000);
  });

  it("a caller who hangs up before an answer leaves a missed call and counts it", async () => {
    const client = await start();
    const { sessionKey, socket } = await connect(client);
    await ringIn(client, { from: "anonymous", to: "100", hangupAfter: 30 });
    expect((await nextMyInfo(socket)).connections?.items[0]).toMatchObject({
      state: CallState.RINGING,
      otherPartyNumber: "anonymous",
    });
    expect((await nextMyInfo(socket)).connections?.items[0]?.action).toBe(ActionType.DELETED);
    expect((await nextMyInfo(socket)).missedCallsCount).toBe(1);

    const missed = (await history(client, sessionKey, 1)).records;
    expect(missed).toHaveLength(1);
    expect(missed[0]?.parties?.items[0]).toMatchObject({ number: "anonymous", kind: 1 });
    expect(missed[0]?.parties?.items[0]?.answeredAt).toBeUndefined();
    const [call] = JSON.parse((await client.request("GET", "/__sim/calls")).text);
    expect(call).toMatchObject({ incoming: true, missed: true, state: "ended" });
  });

  it("answerAfter connects, hangupAfter ends the answered call as received", async () => {
    const client = await start();
    const { sessionKey, socket } = await connect(client);
    await ringIn(client, { from: "", to: "100", name: "Sales", answerAfter: 20, hangupAfter: 60 });
    const ringing = await nextMyInfo(socket);
    // An empty caller id stays empty; the trunk's name is the PBX's caller name.
    expect(ringing.connections?.items[0]?.otherPartyNumber).toBe("");
    expect(ringing.connections?.items[0]?.otherPartyDisplayName).toBe("Sales");
    expect((await nextMyInfo(socket)).connections?.items[0]?.state).toBe(CallState.CONNECTED);
    expect((await nextMyInfo(socket)).connections?.items[0]?.action).toBe(ActionType.DELETED);
    const [entry] = (await history(client, sessionKey, 0)).records;
    expect(entry?.parties?.items[0]).toMatchObject({ number: "", name: "Sales", kind: 2 });
  });

  it("refuses a bad body, an unknown extension and an unknown call", async () => {
    const client = await start();
    expect((await ringIn(client, { to: "100" })).status).toBe(400);
    expect((await ringIn(client, { from: "1", to: "100", extra: 1 })).status).toBe(400);
    expect(await ringIn(client, { from: "1", to: "999" })).toEqual({
      status: 404,
      body: { error: "to: no extension 999" },
    });
    expect((await client.request("POST", "/__sim/calls/77/answer")).status).toBe(404);
    expect((await client.request("GET", "/__sim/calls/77/answer")).status).toBe(405);
  });

  it("shows the inbound leg as Ringing on the Call Control API", async () => {
    const scenario: Scenario = {
      ...defaultScenario,
      apiClients: [{ clientId: "900", apiKey: "k", monitor: ["100"] }],
    };
    const client = await start({ scenario });
    const granted = await client.request("POST", "/connect/token", {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "client_id=900&client_secret=k&grant_type=client_credentials",
    });
    const bearer = (JSON.parse(granted.text) as { access_token: string }).access_token;
    await ringIn(client, { from: "+44 20 7946 0958", to: "100" });
    const participants = JSON.parse(
      (
        await client.request("GET", "/callcontrol/100/participants", {
          headers: { authorization: `Bearer ${bearer}` },
        })
      ).text,
    );
    expect(participants[0]).toMatchObject({
      status: "Ringing",
      party_caller_id: "+44 20 7946 0958",
      party_caller_name: "Charles Babbage",
      originated_by_dn: "ROUTER",
    });
  });
});

describe("fault refuseMessages", () => {
  it("answers the listed request ids with NoSuchRequest until cleared", async () => {
    const client = await start();
    const { sessionKey } = await client.loginV20("100", "dial3cx-demo");
    const set = await client.postJson("/__sim/faults", { refuseMessages: [106] });
    expect(JSON.parse(set.text).active).toEqual({ refuseMessages: [106] });
    const request = encodeMessage(106, create(RequestCallHistorySchema, { callType: 0 }));
    const refused = decodeMessage((await client.myPhone(sessionKey, request)).body);
    expect(isMessage(refused, 207) && refused.message).toMatchObject({
      success: false,
      message: "No such request: 106",
    });
    await client.postJson("/__sim/faults", { refuseMessages: [] });
    expect((await history(client, sessionKey, 0)).records).toEqual([]);
  });
});

describe("scenario history", () => {
  it("pre-fills the history, newest first, and restores it on reset", async () => {
    const scenario = parseScenario({
      ...defaultScenario,
      history: [
        { extension: "100", kind: "missed", number: "+44 20 7946 0958", minutesAgo: 5 },
        {
          extension: "100",
          kind: "outgoing",
          number: "004930123456",
          name: "Ada Lovelace",
          at: "2026-01-02T10:00:00Z",
        },
        { extension: "101", kind: "received", number: "100", minutesAgo: 1 },
      ],
    });
    const client = await start({ scenario });
    const { sessionKey } = await client.loginV20("100", "dial3cx-demo");
    const before = (await history(client, sessionKey, 0)).records.map((r) => r.parties?.items[0]);
    expect(before.map((p) => [p?.kind, p?.number])).toEqual([
      [1, "+44 20 7946 0958"],
      [3, "004930123456"],
    ]);
    expect(before[1]?.dateTime).toMatchObject({ year: 2026, month: 1, day: 2, hour: 10 });
    await client.request("POST", "/__sim/reset");
    expect((await history(client, sessionKey, 1)).records).toHaveLength(1);
  });

  it("refuses history of an unknown extension", () => {
    expect(() =>
      parseScenario({
        ...defaultScenario,
        history: [{ extension: "555", kind: "missed", number: "1" }],
      }),
    ).toThrow(/history.0.extension: 555 is not an extension/);
  });
});
