// POST /v1/calls with a contact's name, as the CLI and the dialer page take one: one matching
// number is called, several or none are refused with 400 and nothing dialled; an unknown device
// is refused in the API's own terms (the "device" field), not a CLI flag's.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseScenario } from "../sim/index.js";
import { startTestGateway, type TestGateway } from "./testing.js";

const scenario = parseScenario({
  extensions: [
    {
      number: "100",
      password: "dial3cx-demo",
      firstName: "Erika",
      devices: [
        {
          contact: "sip:100@192.168.178.20:5062;rinstance=a1",
          userAgent: "Yealink SIP-T46S",
          sourceAddress: "192.168.178.20:5062",
        },
      ],
    },
  ],
  contacts: [
    { firstName: "Ayşe", lastName: "Yılmaz", business: "+49 30 7654321" },
    { firstName: "Anna", lastName: "Schmidt", home: "030 98765432", mobile: "0152 12345678" },
  ],
});

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({
    sim: { scenario },
    gateway: { rateLimit: { calls: 1000, windowMs: 60_000 }, dedupeSeconds: 0 },
  });
});

afterAll(async () => {
  await t?.stop();
});

describe("POST /v1/calls with a name", () => {
  it("calls the one number a name matches, folded like the CLI (ayse finds Ayşe)", async () => {
    for (const to of ["Ayşe", "ayse yilmaz"]) {
      const answer = await t.call("POST", "/v1/calls", { body: { to } });
      expect(answer.status).toBe(201);
      expect(answer.json).toMatchObject({ to: "0049307654321" });
    }
    expect((await t.simCalls()).map((c) => c.destination)).toEqual([
      "0049307654321",
      "0049307654321",
    ]);
  });

  it("a name with several numbers: 400 listing them, nothing dialled", async () => {
    const before = (await t.simCalls()).length;
    const answer = await t.call("POST", "/v1/calls", { body: { to: "Anna Schmidt" } });
    expect(answer.status).toBe(400);
    expect(answer.json.error.code).toBe("bad_number");
    expect(answer.json.error.message).toMatch(/matches 2 numbers: send one of them in "to"/);
    expect(answer.json.error.message).toContain("0152 12345678");
    expect(await t.simCalls()).toHaveLength(before);
  });

  it("a name nobody has: 400, nothing dialled", async () => {
    const answer = await t.call("POST", "/v1/calls", { body: { to: "Nobody Known" } });
    expect(answer.status).toBe(400);
    expect(answer.json.error.message).toMatch(/No contact matches "Nobody Known"/);
  });

  it("an unknown device: 422 naming the request's device field, not --device", async () => {
    const answer = await t.call("POST", "/v1/calls", {
      body: { to: "+49 30 123456", device: "nokia" },
    });
    expect(answer.status).toBe(422);
    expect(answer.json.error.code).toBe("device_not_found");
    expect(answer.json.error.message).toMatch(/set "device" in the request/);
    expect(answer.json.error.message).not.toContain("--device");
  });
});

describe("GET /v1/contacts ids", () => {
  it("gives every number its own id, the same on every request", async () => {
    const first = await t.call("GET", "/v1/contacts?q=anna");
    expect(first.status).toBe(200);
    const ids = first.json.contacts.map((c: { id: string }) => c.id);
    expect(first.json.contacts).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    const again = await t.call("GET", "/v1/contacts?q=anna");
    expect(again.json.contacts.map((c: { id: string }) => c.id)).toEqual(ids);
  });
});
