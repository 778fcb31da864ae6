// The API end to end: a real simulator, a real gateway on 127.0.0.1 port 0, plain HTTP requests.
// Every endpoint, the error mapping, SSE for a call placed through POST, the OpenAPI document.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ErrorCode } from "../errors.js";
import { parseScenario } from "../sim/index.js";
import { accountFromSettings } from "./accounts.js";
import { STATUS_BY_CODE } from "./api/index.js";
import { EventHub } from "./events.js";
import { EventReader, http, startTestGateway, type TestGateway } from "./testing.js";

const scenario = parseScenario({
  extensions: [
    {
      number: "100",
      password: "dial3cx-demo",
      firstName: "Erika",
      lastName: "Mustermann",
      devices: [
        {
          contact: "sip:100@192.168.178.20:5062;rinstance=a1",
          userAgent: "Yealink SIP-T46S",
          sourceAddress: "192.168.178.20:5062",
        },
        {
          contact: "sip:100@192.168.178.34:51470;rinstance=7c",
          userAgent: "3CX Desktop App for Windows 20.0.1",
          sourceAddress: "192.168.178.34:51470",
        },
      ],
    },
    { number: "103", password: "no-devices", firstName: "Nora", devices: [] },
  ],
  contacts: [
    { firstName: "Ada", lastName: "Lovelace", business: "+49 30 123456" },
    { firstName: "Jürgen", lastName: "Müller", business: "089 1234567" },
  ],
});

const VCARD = [
  "BEGIN:VCARD",
  "VERSION:3.0",
  "FN:Grace Hopper",
  "N:Hopper;Grace;;;",
  "TEL;TYPE=WORK:+1 212 555 0147",
  "END:VCARD",
  "",
].join("\r\n");

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({
    sim: { scenario },
    gateway: { rateLimit: { calls: 1000, windowMs: 60_000 }, dedupeSeconds: 0, keepAliveMs: 150 },
    accounts: async (settings, root) => {
      const dir = path.join(root, "contacts");
      await mkdir(dir);
      await writeFile(path.join(dir, "grace.vcf"), VCARD);
      return [accountFromSettings({ ...settings, contacts: [dir] })];
    },
  });
});

afterAll(async () => {
  await t?.stop();
});

describe("without a token", () => {
  it("GET /healthz answers {ok: true} and how many logins were refused, nothing else", async () => {
    const answer = await http(t.gateway.url, "GET", "/healthz");
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('{"ok":true,"loginRefused":0}');
  });

  it.each([
    ["GET", "/v1/devices"],
    ["GET", "/v1/calls"],
    ["GET", "/v1/calls/1"],
    ["DELETE", "/v1/calls/1"],
    ["GET", "/v1/status"],
    ["GET", "/v1/contacts?q=ada"],
    ["GET", "/v1/events"],
    ["POST", "/v1/calls"],
  ])("%s %s needs a bearer token: 401", async (method, pathname) => {
    const body = method === "POST" ? { to: "+49 30 123456" } : undefined;
    for (const token of [null, "d3x_wrong-token-of-the-right-length-000000000", ""]) {
      const answer = await t.call(method, pathname, { token, body });
      expect(answer.status).toBe(401);
      expect(answer.json.error.code).toBe("unauthorized");
      expect(answer.headers["www-authenticate"]).toBe('Bearer realm="dial3cx"');
    }
    const basic = await t.call(method, pathname, {
      token: null,
      body,
      headers: { authorization: `Basic ${await t.token()}` },
    });
    expect(basic.status).toBe(401);
    expect(await t.simCalls()).toEqual([]);
  });
});

describe("calls", () => {
  it("POST /v1/calls rings the desk phone and answers 201 with the call", async () => {
    const answer = await t.call("POST", "/v1/calls", { body: { to: "+49 30 123456" } });
    expect(answer.status).toBe(201);
    expect(answer.json).toMatchObject({
      to: "004930123456",
      toE164: "+4930123456",
      display: "+49 30 123456",
      device: "Yealink T46S",
      deviceId: "1",
      extension: "100",
      duplicate: false,
    });
    expect(answer.json.id).toMatch(/^\d+$/);
    expect(["dialing", "ringing", "connected"]).toContain(answer.json.state);
    const placed = (await t.simCalls()).at(-1);
    expect(placed).toMatchObject({
      extension: "100",
      destination: "004930123456",
      device: "sip:100@192.168.178.20:5062;rinstance=a1",
    });

    const listed = await t.call("GET", "/v1/calls");
    expect(listed.status).toBe(200);
    expect(listed.json.calls).toContainEqual(
      expect.objectContaining({
        id: answer.json.id,
        number: "004930123456",
        incoming: false,
        device: "Yealink T46S",
      }),
    );
    const one = await t.call("GET", `/v1/calls/${answer.json.id}`);
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({
      id: answer.json.id,
      name: "Ada Lovelace",
      device: "Yealink T46S",
    });

    const hangup = await t.call("DELETE", `/v1/calls/${answer.json.id}`);
    expect(hangup.status).toBe(204);
    await waitFor(async () => (await t.call("GET", `/v1/calls/${answer.json.id}`)).status === 404);
  });

  it("picks the device given by name or index", async () => {
    const byName = await t.call("POST", "/v1/calls", { body: { to: "201", device: "3cx" } });
    expect(byName.status).toBe(201);
    expect(byName.json.device).toBe("3CX app (Windows)");
    const byIndex = await t.call("POST", "/v1/calls", { body: { to: "202", device: "1" } });
    expect(byIndex.json.device).toBe("Yealink T46S");
    expect((await t.simCalls()).slice(-2).map((c) => c.device)).toEqual([
      "sip:100@192.168.178.34:51470;rinstance=7c",
      "sip:100@192.168.178.20:5062;rinstance=a1",
    ]);
    // GET /v1/calls says which device each call rings on; null for a call it did not place.
    const incoming = await http(t.sim.url, "POST", "/__sim/calls", {
      body: { from: "+49 89 555", to: "100", answerAfter: 600_000 },
    });
    expect(incoming.status).toBeLessThan(300);
    await waitFor(async () =>
      (await t.call("GET", "/v1/calls")).json.calls.some((c: { incoming: boolean }) => c.incoming),
    );
    const devices = (await t.call("GET", "/v1/calls")).json.calls.map(
      (c: { id: string; incoming: boolean; device: string | null }) => [c.id, c.incoming, c.device],
    );
    expect(devices).toEqual(
      expect.arrayContaining([
        [byName.json.id, false, "3CX app (Windows)"],
        [byIndex.json.id, false, "Yealink T46S"],
        [expect.any(String), true, null],
      ]),
    );
    await http(t.sim.url, "POST", `/__sim/calls/${incoming.json.id}/hangup`);
  });

  it("maps bad input to the CLI's error codes, and sends nothing", async () => {
    const before = (await t.simCalls()).length;
    const cases: [unknown, number, string][] = [
      [{ to: "not a number" }, 400, "bad_number"],
      [{ to: "+49 30 123456", device: "nokia" }, 422, "device_not_found"],
      [{ to: "+49 30 123456", device: "7" }, 422, "device_not_found"],
      [{}, 400, "usage"],
      [{ to: 4930123456 }, 400, "usage"],
      [{ to: "" }, 400, "usage"],
      [{ to: "+49 30 123456", extension: "abc" }, 400, "usage"],
    ];
    for (const [body, status, code] of cases) {
      const answer = await t.call("POST", "/v1/calls", { body });
      expect([answer.status, answer.json.error.code], JSON.stringify(body)).toEqual([status, code]);
      expect(typeof answer.json.error.message).toBe("string");
    }
    const malformed = await t.call("POST", "/v1/calls", {
      rawBody: '{"to": ',
      headers: { "content-type": "application/json" },
    });
    expect([malformed.status, malformed.json.error.code]).toEqual([400, "usage"]);
    expect((await t.simCalls()).length).toBe(before);
  });

  it("answers 503 pbx_unreachable when the PBX fails, and works again afterwards", async () => {
    await http(t.sim.url, "POST", "/__sim/faults", {
      body: { failNext: { count: 1, status: 503 } },
    });
    const failed = await t.call("POST", "/v1/calls", { body: { to: "301" } });
    expect([failed.status, failed.json.error.code]).toEqual([503, "pbx_unreachable"]);
    // A 500 may come after the call was placed: that outcome is unknown, never a plain 503.
    await http(t.sim.url, "POST", "/__sim/faults", {
      body: { failNext: { count: 1, status: 500 } },
    });
    const unknown = await t.call("POST", "/v1/calls", { body: { to: "303" } });
    expect([unknown.status, unknown.json.error.code]).toEqual([504, "outcome_unknown"]);
    const retried = await t.call("POST", "/v1/calls", { body: { to: "301" } });
    expect(retried.status).toBe(201);
  });

  it("keeps the session warm: an expired PBX session is renewed by the client", async () => {
    await http(t.sim.url, "POST", "/__sim/faults", { body: { expireSessions: true } });
    const answer = await t.call("POST", "/v1/calls", { body: { to: "302" } });
    expect(answer.status).toBe(201);
  });

  it("answers 404 for calls that are not active on the extension", async () => {
    for (const method of ["GET", "DELETE"]) {
      const answer = await t.call(method, "/v1/calls/999999");
      expect([answer.status, answer.json.error.code]).toEqual([404, "not_found"]);
    }
  });

  it("refuses to act for another extension: 403", async () => {
    const post = await t.call("POST", "/v1/calls", { body: { to: "303", extension: "101" } });
    expect([post.status, post.json.error.code]).toEqual([403, "forbidden"]);
    for (const pathname of [
      "/v1/calls",
      "/v1/devices",
      "/v1/status",
      "/v1/contacts",
      "/v1/events",
    ]) {
      const answer = await t.call("GET", `${pathname}?extension=101`);
      expect([pathname, answer.status]).toEqual([pathname, 403]);
    }
    const own = await t.call("GET", "/v1/status?extension=100");
    expect(own.status).toBe(200);
  });
});

describe("information", () => {
  it("GET /v1/devices lists the registered devices", async () => {
    const answer = await t.call("GET", "/v1/devices");
    expect(answer.status).toBe(200);
    expect(answer.json.devices).toHaveLength(2);
    expect(answer.json.devices[0]).toMatchObject({
      id: "1",
      name: "Yealink T46S",
      kind: "desk-phone",
      contact: "sip:100@192.168.178.20:5062;rinstance=a1",
      sourceAddress: "192.168.178.20:5062",
      userAgent: "Yealink SIP-T46S",
    });
  });

  it("GET /v1/status describes the extension and its session", async () => {
    const answer = await t.call("GET", "/v1/status");
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      extension: "100",
      name: "Erika Mustermann",
      pbx: t.sim.url,
      connection: "open",
      devices: 2,
    });
    expect(typeof answer.json.calls).toBe("number");
  });

  it("GET /v1/contacts searches the configured vCards", async () => {
    const answer = await t.call("GET", "/v1/contacts?q=grace");
    expect(answer.status).toBe(200);
    expect(answer.json.contacts[0]).toMatchObject({
      name: "Grace Hopper",
      number: "+1 212 555 0147",
      numberType: "work",
      source: "vcard",
    });
    const byNumber = await t.call("GET", "/v1/contacts?q=2125550147&limit=1");
    expect(byNumber.json.contacts).toHaveLength(1);
    expect(byNumber.json.contacts[0].match).toBe("number");
    const bad = await t.call("GET", "/v1/contacts?limit=0");
    expect([bad.status, bad.json.error.code]).toEqual([400, "usage"]);
  });

  it.each(["muller", "mueller", "Müller"])(
    "GET /v1/contacts?q=%s folds accents like the CLI and finds the PBX's Müller",
    async (q) => {
      const answer = await t.call("GET", `/v1/contacts?q=${encodeURIComponent(q)}`);
      expect(answer.status).toBe(200);
      expect(answer.json.contacts).toEqual([
        expect.objectContaining({ name: "Jürgen Müller", number: "089 1234567", source: "pbx" }),
      ]);
    },
  );

  it("unknown paths answer 404 in the error format", async () => {
    const answer = await t.call("GET", "/v1/nothing");
    expect(answer.status).toBe(404);
    expect(answer.json).toEqual({ error: { code: "not_found", message: expect.any(String) } });
  });
});

describe("no device", () => {
  it("answers 409 no_device when nothing is registered on the extension", async () => {
    const gateway = await startTestGateway({
      sim: { scenario },
      env: { DIAL3CX_PASSWORD: "no-devices" },
      accounts: (settings) => [accountFromSettings({ ...settings, extension: "103" })],
    });
    try {
      const token = await gateway.token("103");
      const answer = await gateway.call("POST", "/v1/calls", { token, body: { to: "100" } });
      expect([answer.status, answer.json.error.code]).toEqual([409, "no_device"]);
      expect(await gateway.simCalls()).toEqual([]);
    } finally {
      await gateway.stop();
    }
  });
});

describe("GET /v1/events", () => {
  it("streams call.created, call.updated and call.ended for a call placed through POST", async () => {
    const opened = await EventReader.open(t.gateway.url, await t.token());
    expect(opened.status).toBe(200);
    expect(opened.headers["content-type"]).toMatch(/^text\/event-stream/);
    const events = opened.reader!;
    try {
      await events.next((m) => m.comment === "connected");
      const placed = await t.call("POST", "/v1/calls", { body: { to: "+44 20 7946 0958" } });
      expect(placed.status).toBe(201);

      const ofThisCall = async (type: string) =>
        JSON.parse(
          (
            await events.next(
              (m) => m.event === type && JSON.parse(m.data ?? "{}").call?.id === placed.json.id,
            )
          ).data!,
        );
      const created = await ofThisCall("call.created");
      expect(created).toMatchObject({
        type: "call.created",
        extension: "100",
        call: { id: placed.json.id, number: "00442079460958", incoming: false },
      });
      expect(Date.parse(created.time)).not.toBeNaN();
      const updated = await ofThisCall("call.updated");
      expect(updated.call).toMatchObject({ id: placed.json.id, state: "connected" });

      await t.call("DELETE", `/v1/calls/${placed.json.id}`);
      const ended = await ofThisCall("call.ended");
      expect(ended.call).toMatchObject({ id: placed.json.id, state: "ended" });
      expect(Number(ended.id)).toBeGreaterThan(Number(created.id));
    } finally {
      events.close();
    }
  });

  it("lets go of a stream's subscription when the client goes away", async () => {
    let live = 0;
    const subscribe = EventHub.prototype.subscribe;
    const spy = vi.spyOn(EventHub.prototype, "subscribe").mockImplementation(function (
      this: EventHub,
      ...args: Parameters<EventHub["subscribe"]>
    ) {
      live++;
      const unsubscribe = subscribe.apply(this, args);
      return () => {
        live--;
        return unsubscribe();
      };
    });
    try {
      const readers: EventReader[] = [];
      for (let i = 0; i < 3; i++) {
        const reader = (await EventReader.open(t.gateway.url, await t.token())).reader!;
        await reader.next((m) => m.comment === "connected");
        readers.push(reader);
      }
      expect(live).toBe(3);
      for (const reader of readers) reader.close();
      await waitFor(async () => live === 0);
    } finally {
      spy.mockRestore();
    }
  });

  it("sends a keep-alive comment regularly", async () => {
    const events = (await EventReader.open(t.gateway.url, await t.token())).reader!;
    try {
      await events.next((m) => m.comment === "keep-alive", 2000);
    } finally {
      events.close();
    }
  });
});

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document listing every route, with bearer security", async () => {
    const answer = await http(t.gateway.url, "GET", "/openapi.json");
    expect(answer.status).toBe(200);
    const doc = answer.json;
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(doc.components.securitySchemes.bearer).toEqual(
      expect.objectContaining({ type: "http", scheme: "bearer" }),
    );
    const routes = Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${p}`),
    );
    expect(routes.sort()).toEqual(
      [
        "POST /v1/calls",
        "GET /v1/calls",
        "GET /v1/calls/{id}",
        "DELETE /v1/calls/{id}",
        "GET /v1/devices",
        "GET /v1/status",
        "GET /v1/contacts",
        "GET /v1/events",
        "GET /v1/history",
        "POST /v1/check",
        "GET /healthz",
        "POST /v1/accounts/{extension}/retry",
      ].sort(),
    );
    for (const [p, ops] of Object.entries<Record<string, OpenApiOperation>>(doc.paths)) {
      for (const operation of Object.values(ops)) {
        expect(operation.security, p).toEqual(p.startsWith("/v1/") ? [{ bearer: [] }] : []);
        expect(Object.keys(operation.responses).length).toBeGreaterThan(0);
        if (p.startsWith("/v1/")) {
          expect(operation.responses["401"]?.content["application/json"]?.schema).toEqual({
            $ref: "#/components/schemas/Error",
          });
        }
      }
    }
    const post = doc.paths["/v1/calls"].post;
    expect(post.requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/MakeCall",
    });
    expect(Object.keys(post.responses)).toEqual(
      expect.arrayContaining([
        "200",
        "201",
        "400",
        "409",
        "413",
        "415",
        "422",
        "429",
        "502",
        "503",
      ]),
    );
    expect(doc.components.schemas.MakeCall.required).toEqual(["to"]);
  });
});

describe("STATUS_BY_CODE", () => {
  it("gives every CLI error code a status, upstream failures a 5xx", () => {
    const expected: Record<ErrorCode, number> = {
      usage: 400,
      bad_number: 400,
      config: 500,
      not_logged_in: 502,
      auth: 502,
      two_factor_required: 502,
      blocked: 502,
      auth_failed: 502,
      rejected: 422,
      device_not_found: 422,
      no_device: 409,
      pbx_unreachable: 503,
      tls: 502,
      protocol: 502,
      outcome_unknown: 504,
    };
    expect(STATUS_BY_CODE).toEqual(expected);
  });
});

interface OpenApiOperation {
  security?: unknown;
  responses: Record<string, { content: Record<string, { schema: unknown }> } | undefined>;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
