// The simulated Call Control API (reference §10) over real HTTP and websockets: the client token,
// every REST path, the event socket, 401/403/404, and one call model shared with the web client.
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { decodeMessage, isMessage } from "../protocol/codec.js";
import { defaultScenario, type Scenario } from "./scenario.js";
import type { SimulatorOptions } from "./server.js";
import { emptyRequest, startWired, type WireClient } from "./testing.js";

const API_KEY = "sim-api-key";
const scenario: Scenario = {
  ...defaultScenario,
  apiClients: [{ clientId: "900", apiKey: API_KEY, monitor: ["100"] }],
};
const DESK_PHONE = "sip:100@192.168.178.20:5062;rinstance=a1";
const SOFTPHONE = "sip:100@192.168.178.34:51470;rinstance=7c1e2f9a4b3d5e60";

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function start(options: SimulatorOptions = {}): Promise<WireClient> {
  const wired = await startWired({ scenario, answerAfterMs: 60_000, ...options });
  stops.push(wired.stop);
  return wired.client;
}

function tokenRequest(client: WireClient, clientId = "900", apiKey = API_KEY) {
  return client.request("POST", "/connect/token", {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: clientId,
      client_secret: apiKey,
      grant_type: "client_credentials",
    }).toString(),
  });
}

async function token(client: WireClient): Promise<string> {
  const answer = await tokenRequest(client);
  return (JSON.parse(answer.text) as { access_token: string }).access_token;
}

function api(client: WireClient, bearer: string) {
  const headers = { authorization: `Bearer ${bearer}` };
  return {
    get: (path: string) => client.request("GET", path, { headers }),
    getJson: async (path: string) =>
      JSON.parse((await client.request("GET", path, { headers })).text),
    post: (path: string, body?: unknown) =>
      body === undefined
        ? client.request("POST", path, { headers })
        : client.postJson(path, body, headers),
  };
}

/** A Call Control event socket that records the JSON events it receives. */
class EventProbe {
  readonly events: Array<Record<string, unknown>> = [];
  private waiters: Array<() => void> = [];
  constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.events.push(JSON.parse(String(data)));
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static open(baseUrl: string, bearer: string | undefined): Promise<EventProbe> {
    const url = `${baseUrl.replace(/^http/, "ws")}/callcontrol/ws`;
    const ws = new WebSocket(url, {
      headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` },
    });
    return new Promise((resolve, reject) => {
      ws.once("open", () => {
        const probe = new EventProbe(ws);
        stops.push(async () => ws.terminate());
        resolve(probe);
      });
      ws.once("unexpected-response", (_request, response) =>
        reject(new Error(`HTTP ${response.statusCode}`)),
      );
      ws.once("error", reject);
    });
  }

  async waitFor(count: number, timeoutMs = 2000): Promise<Array<Record<string, unknown>>> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`only ${this.events.length} of ${count} events`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.events.slice(0, count);
  }
}

describe("client_credentials token (POST /connect/token)", () => {
  it("grants a bearer token; a wrong key or client id gets 401", async () => {
    const client = await start({ callControlExpiresIn: "seconds" });
    const granted = await tokenRequest(client);
    expect(granted.status).toBe(200);
    expect(JSON.parse(granted.text)).toEqual({
      token_type: "Bearer",
      expires_in: 3600,
      access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
    });
    for (const [id, key] of [
      ["900", "wrong"],
      ["901", API_KEY],
      ["", ""],
    ] as const) {
      const refused = await tokenRequest(client, id, key);
      expect([refused.status, JSON.parse(refused.text)]).toEqual([
        401,
        { error: "invalid_client" },
      ]);
    }
  });

  it("by default says expires_in 60 on a JWT valid an hour, as a live PBX did (§10.1 item 4)", async () => {
    const client = await start();
    const body = JSON.parse((await tokenRequest(client)).text);
    expect(body.expires_in).toBe(60);
    const claims = JSON.parse(
      Buffer.from(String(body.access_token).split(".")[1]!, "base64url").toString("utf8"),
    );
    expect(claims.exp - claims.iat).toBe(3600);
  });

  it("reports expires_in in minutes when asked to imitate builds before 20.0.9", async () => {
    const client = await start({ callControlExpiresIn: "minutes", tokenLifetimeSeconds: 1800 });
    expect(JSON.parse((await tokenRequest(client)).text).expires_in).toBe(30);
  });

  it("keeps one active token per client: a new token revokes the old one", async () => {
    const client = await start();
    const first = await token(client);
    expect((await api(client, first).get("/callcontrol")).status).toBe(200);
    const second = await token(client);
    expect((await api(client, first).get("/callcontrol")).status).toBe(401);
    expect((await api(client, second).get("/callcontrol")).status).toBe(200);
  });

  it("does not let a client token open a MyPhone session, nor a user token reach /callcontrol", async () => {
    const client = await start();
    const clientToken = await token(client);
    const session = await client.postJson(
      "/webclient/api/MyPhone/session",
      {},
      { authorization: `Bearer ${clientToken}` },
    );
    expect(session.status).toBe(401);
    const { accessToken } = await client.loginV20("100", "dial3cx-demo");
    expect((await api(client, accessToken!).get("/callcontrol")).status).toBe(401);
  });
});

describe("MyPhone session for an API client (impersonation, 3CX 20.0.8+)", () => {
  const session = (client: WireClient, bearer: string, body: unknown) =>
    client.postJson("/webclient/api/MyPhone/session", body, { authorization: `Bearer ${bearer}` });

  it("opens a session for a monitored extension without its password; 403 for others", async () => {
    const client = await start();
    const bearer = await token(client);
    const body = { name: "AI", version: "0.1", isHuman: false, impersonate: "100" };
    const opened = await session(client, bearer, body);
    expect(opened.status).toBe(200);
    const { sessionKey } = JSON.parse(opened.text) as { sessionKey: string };
    const makeCall = Buffer.from("0877ba070e0a0c303034393330313233343536", "hex");
    expect((await client.myPhone(sessionKey, makeCall)).status).toBe(200);
    expect(JSON.parse((await client.request("GET", "/__sim/calls")).text)).toMatchObject([
      { extension: "100", destination: "004930123456" },
    ]);
    expect((await session(client, bearer, { ...body, impersonate: "101" })).status).toBe(403);
    expect((await session(client, bearer, { ...body, impersonate: "999" })).status).toBe(403);
    expect((await session(client, bearer, { name: "AI" })).status).toBe(401);
    expect((await session(client, "a.b.c", body)).status).toBe(401);
  });
});

describe("REST paths", () => {
  it("lists the monitored DNs with their devices and participants", async () => {
    const client = await start();
    const cc = api(client, await token(client));
    const devices = [
      { dn: "100", device_id: DESK_PHONE, user_agent: "Yealink SIP-T46S" },
      { dn: "100", device_id: SOFTPHONE, user_agent: "3CX Desktop App for Windows 20.0.1" },
    ];
    // Route point (the client id), queues and extensions, as 3CX's samples expect (§10).
    expect(await cc.getJson("/callcontrol")).toEqual([
      { dn: "900", type: "Wroutepoint", devices: [], participants: [] },
      { dn: "800", type: "Wqueue", devices: [], participants: [] },
      { dn: "100", type: "Wextension", devices, participants: [] },
    ]);
    expect(await cc.getJson("/callcontrol/100")).toEqual({
      dn: "100",
      type: "Wextension",
      devices,
      participants: [],
    });
    expect(await cc.getJson("/callcontrol/100/devices")).toEqual(devices);
    expect(await cc.getJson(`/callcontrol/100/devices/${encodeURIComponent(DESK_PHONE)}`)).toEqual(
      devices[0],
    );
    expect((await cc.get("/callcontrol/100/devices/sip%3Anobody")).status).toBe(404);
    expect(await cc.getJson("/callcontrol/100/participants")).toEqual([]);
    expect((await cc.get("/callcontrol/100/participants/1")).status).toBe(404);
  });

  it("answers 401 without a token, 403 on an unmonitored DN, 404 on an unknown one, 405 on a wrong method", async () => {
    const client = await start();
    expect((await client.request("GET", "/callcontrol/100")).status).toBe(401);
    const cc = api(client, await token(client));
    expect((await cc.get("/callcontrol/101")).status).toBe(403);
    expect((await cc.post("/callcontrol/101/makecall", { destination: "123" })).status).toBe(403);
    expect((await cc.get("/callcontrol/999")).status).toBe(404);
    expect((await cc.get("/callcontrol/100/nothing")).status).toBe(404);
    const wrongMethod = await cc.get("/callcontrol/100/makecall");
    expect([wrongMethod.status, wrongMethod.headers.get("allow")]).toEqual([405, "POST"]);
    expect(JSON.parse((await client.request("GET", "/__sim/calls")).text)).toEqual([]);
  });

  it("answers 403 everywhere on a licence without Call Control (option or scenario flag)", async () => {
    for (const options of [
      { callControlLicensed: false },
      { scenario: { ...scenario, callControlLicensed: false } },
    ]) {
      const client = await start(options);
      const bearer = await token(client);
      expect((await api(client, bearer).get("/callcontrol")).status).toBe(403);
      expect((await api(client, bearer).get("/callcontrol/100/devices")).status).toBe(403);
      await expect(EventProbe.open(client.baseUrl, bearer)).rejects.toThrow("HTTP 403");
    }
  });

  it("is absent on a V18 PBX: 404 for the token, the REST paths and the websocket", async () => {
    const client = await start({ pbxVersion: 18 });
    expect((await tokenRequest(client)).status).toBe(404);
    expect((await client.request("GET", "/callcontrol")).status).toBe(404);
    expect((await client.request("GET", "/callcontrol/100/devices")).status).toBe(404);
    await expect(EventProbe.open(client.baseUrl, "x")).rejects.toThrow("HTTP 404");
  });
});

describe("makecall and drop", () => {
  it("places a call on a device, answers a CallControlResultResponse and shows it everywhere", async () => {
    const client = await start();
    const cc = api(client, await token(client));
    const path = `/callcontrol/100/devices/${encodeURIComponent(SOFTPHONE)}/makecall`;
    const answer = await cc.post(path, { destination: "+4930123456", timeout: 30 });
    expect(answer.status).toBe(200);
    const result = JSON.parse(answer.text);
    expect(result).toMatchObject({
      finalstatus: 1,
      result: {
        id: expect.any(Number),
        status: "Ringing",
        dn: "100",
        party_dn: "10000",
        party_caller_id: "+4930123456",
        party_caller_name: "Ada Lovelace",
        device_id: SOFTPHONE,
        party_dn_type: "Wexternalline",
        direct_control: true,
        originated_by_dn: "",
        originated_by_type: "None",
      },
    });
    const id = result.result.id;
    expect(await cc.getJson(`/callcontrol/100/participants/${id}`)).toEqual(result.result);
    expect(await cc.getJson("/callcontrol/100/participants")).toEqual([result.result]);
    const calls = JSON.parse((await client.request("GET", "/__sim/calls")).text);
    expect(calls).toMatchObject([
      { id, extension: "100", destination: "+4930123456", device: SOFTPHONE, state: "dialing" },
    ]);
  });

  it("places a call on the DN (the first device rings) and refuses bad bodies and numbers", async () => {
    const client = await start();
    const cc = api(client, await token(client));
    const placed = JSON.parse(
      (await cc.post("/callcontrol/100/makecall", { destination: "101" })).text,
    );
    expect(placed.result).toMatchObject({ device_id: DESK_PHONE, party_dn_type: "Wextension" });
    expect((await cc.post("/callcontrol/100/makecall", { number: "101" })).status).toBe(400);
    expect((await cc.post("/callcontrol/100/makecall")).status).toBe(400);
    const bad = await cc.post("/callcontrol/100/makecall", { destination: "12a" });
    expect(bad.status).toBe(422);
    const refusal = JSON.parse(bad.text);
    expect(refusal).toMatchObject({
      finalstatus: -1,
      reasontext: expect.stringContaining("not a dialable number"),
    });
    expect(refusal.result).toBeUndefined();
    const unknownDevice = await cc.post("/callcontrol/100/devices/sip%3Ax/makecall", {
      destination: "101",
    });
    expect(unknownDevice.status).toBe(404);
  });

  it("drops a participant; the call ends on both sides", async () => {
    const client = await start();
    const cc = api(client, await token(client));
    const { result } = JSON.parse(
      (await cc.post("/callcontrol/100/makecall", { destination: "101" })).text,
    );
    const dropped = await cc.post(`/callcontrol/100/participants/${result.id}/drop`, {});
    expect(dropped.status).toBe(200);
    expect(JSON.parse(dropped.text)).toMatchObject({
      finalstatus: 1,
      result: { id: result.id },
    });
    expect(await cc.getJson("/callcontrol/100/participants")).toEqual([]);
    const [call] = JSON.parse((await client.request("GET", "/__sim/calls")).text);
    expect(call.state).toBe("ended");
    expect((await cc.post(`/callcontrol/100/participants/${result.id}/drop`, {})).status).toBe(404);
  });

  it("answers a participant (the device picks up)", async () => {
    const client = await start();
    const cc = api(client, await token(client));
    const { result } = JSON.parse(
      (await cc.post("/callcontrol/100/makecall", { destination: "101" })).text,
    );
    const answered = JSON.parse(
      (await cc.post(`/callcontrol/100/participants/${result.id}/answer`, {})).text,
    );
    expect(answered.result.status).toBe("Connected");
    expect((await cc.post(`/callcontrol/100/participants/${result.id}/divert`, {})).status).toBe(
      501,
    );
  });
});

describe("/callcontrol/ws events", () => {
  it("sends upsert events while a call lives and a remove when it ends; the entity can be fetched", async () => {
    const client = await start({ answerAfterMs: 40 });
    const bearer = await token(client);
    const cc = api(client, bearer);
    const events = await EventProbe.open(client.baseUrl, bearer);
    const { result } = JSON.parse(
      (await cc.post("/callcontrol/100/makecall", { destination: "101" })).text,
    );
    const entity = `/callcontrol/100/participants/${result.id}`;
    const [created, connected] = await events.waitFor(2);
    expect(created).toEqual({
      sequence: 1,
      event: { event_type: 0, entity, attached_data: null },
    });
    expect(connected).toMatchObject({ sequence: 2, event: { event_type: 0, entity } });
    expect((await cc.getJson(entity)).status).toBe("Connected");
    await cc.post(`${entity}/drop`, {});
    const [, , removed] = await events.waitFor(3);
    expect(removed).toMatchObject({ sequence: 3, event: { event_type: 1, entity } });
    expect((await cc.get(entity)).status).toBe(404);
  });

  it("sends events for calls placed by the web client, and only for monitored DNs", async () => {
    const client = await start({ callControlUpsetRepeatMs: 0 });
    const bearer = await token(client);
    const events = await EventProbe.open(client.baseUrl, bearer);
    // Extension 101 (not monitored) calls first, then 100 through MPWebService.
    const other = await client.loginV20("101", "dial3cx-101");
    await client.myPhone(other.sessionKey, Buffer.from("0877ba07050a03313030", "hex"));
    const own = await client.loginV20("100", "dial3cx-demo");
    const makeCall = Buffer.from("0877ba070e0a0c303034393330313233343536", "hex");
    await client.myPhone(own.sessionKey, makeCall);
    const [event] = await events.waitFor(1);
    const participants = await api(client, bearer).getJson("/callcontrol/100/participants");
    expect(participants).toMatchObject([
      {
        party_caller_id: "004930123456",
        party_dn: "10000",
        status: "Ringing",
        direct_control: false,
      },
    ]);
    // A leg the DN does not control: its own GET is refused, the list shows it (pocket-dial #40).
    const single = await api(client, bearer).get(
      `/callcontrol/100/participants/${participants[0].id}`,
    );
    expect(single.status).toBe(403);
    expect(event).toMatchObject({
      event: { event_type: 0, entity: `/callcontrol/100/participants/${participants[0].id}` },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events.events).toHaveLength(1);
  });

  it("pushes a call placed through Call Control to the web client's websocket", async () => {
    const client = await start();
    const { sessionKey, pass } = await client.loginV20("100", "dial3cx-demo");
    const socket = await client.openSocket(sessionKey, pass);
    stops.push(async () => socket.close());
    expect(await socket.next()).toBe("START");
    await client.myPhone(sessionKey, emptyRequest(102));
    await socket.nextBinary(); // the full MyInfo
    const cc = api(client, await token(client));
    const { result } = JSON.parse(
      (await cc.post("/callcontrol/100/makecall", { destination: "101" })).text,
    );
    const delta = decodeMessage(await socket.nextBinary());
    if (!isMessage(delta, 201)) throw new Error(`expected MyInfo, got ${delta.id}`);
    const connections = delta.message.connections;
    expect(connections?.items.map((c) => c.id)).toEqual([result.id]);
  });

  it("repeats the Upset of a participant every 750 ms until it is connected", async () => {
    const client = await start({ answerAfterMs: 1700 });
    const bearer = await token(client);
    const events = await EventProbe.open(client.baseUrl, bearer);
    const started = Date.now();
    const { result } = JSON.parse(
      (await api(client, bearer).post("/callcontrol/100/makecall", { destination: "101" })).text,
    );
    const entity = `/callcontrol/100/participants/${result.id}`;
    // created, two repeats (750, 1500 ms), connected at 1700 ms; none after.
    await events.waitFor(4, 4000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1600);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(events.events.map((e) => (e.event as { entity: string }).entity)).toEqual(
      Array(4).fill(entity),
    );
    expect(events.events.map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
  });

  it("answers 200 without a result for a refused destination when the scenario says so", async () => {
    const client = await start({ scenario: { ...scenario, makeCallRefusedAs: "emptyResult" } });
    const cc = api(client, await token(client));
    const answer = await cc.post("/callcontrol/100/makecall", { destination: "12a" });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({
      finalstatus: -1,
      reason: "Failed",
      reasontext: expect.stringContaining("not a dialable number"),
    });
  });

  it("closes an event socket whose token a newer one revoked; sends raw frames on request", async () => {
    const client = await start();
    const bearer = await token(client);
    const events = await EventProbe.open(client.baseUrl, bearer);
    await client.postJson("/__sim/faults", { callControlFrame: '{"hello":1}' });
    await events.waitFor(1);
    expect(events.events[0]).toEqual({ hello: 1 });
    const closed = new Promise((resolve) => events.ws.once("close", resolve));
    await token(client);
    await closed;
  });

  it("refuses the socket without a valid token (401); dropWebsockets and expireTokens end access", async () => {
    const client = await start();
    await expect(EventProbe.open(client.baseUrl, undefined)).rejects.toThrow("HTTP 401");
    await expect(EventProbe.open(client.baseUrl, "a.b.c")).rejects.toThrow("HTTP 401");
    const bearer = await token(client);
    const events = await EventProbe.open(client.baseUrl, bearer);
    const closed = new Promise((resolve) => events.ws.once("close", resolve));
    await client.postJson("/__sim/faults", { dropWebsockets: true });
    await closed;
    expect((await api(client, bearer).get("/callcontrol")).status).toBe(200);
    await client.postJson("/__sim/faults", { expireTokens: true });
    expect((await api(client, bearer).get("/callcontrol")).status).toBe(401);
    const log = JSON.parse((await client.request("GET", "/__sim/requests")).text);
    expect(log.filter((e: { path: string }) => e.path === "/callcontrol/ws")).toMatchObject([
      { status: 401 },
      { status: 401 },
      { status: 101, note: "accepted" },
    ]);
  });
});
