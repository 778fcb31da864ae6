// Incoming calls and call history through the public client, against the simulator over real
// sockets: the phases of `client.on("call")`, the journal of finished calls (a real file), and
// `client.callHistory()` from the PBX, filtered, with talk times from the journal, and from the
// journal when the PBX refuses.
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BadInputError, RejectedError } from "../../errors.js";
import { DEFAULT_DEMO_PASSWORD, defaultScenario, parseScenario } from "../../sim/index.js";
import { failure, type Pbx, startPbx } from "../../sim/testing.js";
import { type CallEvent, connect, type Dial3cxClient } from "./client.js";
import { FileCallJournal } from "./history.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(options: { scenario?: ReturnType<typeof parseScenario> } = {}) {
  const pbx: Pbx = await startPbx({ port: 0, answerAfterMs: 30, ...options }, cleanups);
  const dir = await mkdtemp(path.join(tmpdir(), "dial3cx-history-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const journal = new FileCallJournal(path.join(dir, "state", "history.jsonl"));
  const client = await connect({
    pbx: pbx.sim.url,
    extension: "100",
    password: DEFAULT_DEMO_PASSWORD,
    timeoutMs: 3000,
    journal,
  });
  cleanups.push(() => client.close());
  return { pbx, client, journal };
}

function phases(client: Dial3cxClient): CallEvent[] {
  const events: CallEvent[] = [];
  client.on("call", (event) => events.push(event));
  return events;
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function ringIn(pbx: Pbx, body: Record<string, unknown>): Promise<number> {
  const answer = await pbx.wire.postJson("/__sim/calls", body);
  expect(answer.status).toBe(201);
  return (JSON.parse(answer.text) as { id: number }).id;
}

describe("incoming calls on client.on('call')", () => {
  it("tells ringing with the caller's number and PBX name, then answered, then ended", async () => {
    const { pbx, client, journal } = await setUp();
    const events = phases(client);
    const id = await ringIn(pbx, { from: "+44 20 7946 0958", to: "100" });
    await until(() => events.length === 1);
    expect(events[0]).toEqual({
      type: "created",
      incoming: "ringing",
      call: {
        id: String(id),
        state: "ringing",
        number: "+44 20 7946 0958",
        name: "Charles Babbage",
        incoming: true,
      },
    });
    await pbx.wire.request("POST", `/__sim/calls/${id}/answer`);
    await until(() => events.length === 2);
    expect(events[1]).toMatchObject({ type: "updated", incoming: "answered" });
    await pbx.wire.request("POST", `/__sim/calls/${id}/hangup`);
    await until(() => events.length === 3);
    expect(events[2]).toMatchObject({ type: "ended", incoming: "ended" });

    const [entry] = await waitForJournal(journal, 1);
    expect(entry).toMatchObject({
      direction: "incoming",
      missed: false,
      number: "+44 20 7946 0958",
      name: "Charles Babbage",
    });
    expect(entry?.answeredAt).toBeGreaterThanOrEqual(entry?.startedAt ?? 0);
    // Caller numbers are personal data: the journal is owner-only.
    expect((await stat(journal.file)).mode & 0o777).toBe(0o600);
  });

  it("tells missed when the caller hangs up first, and keeps a non-number caller id as is", async () => {
    const { pbx, client, journal } = await setUp();
    const events = phases(client);
    await ringIn(pbx, { from: "anonymous", to: "100", hangupAfter: 40 });
    await until(() => events.length === 2);
    expect(events.map((e) => [e.type, e.incoming, e.call.number])).toEqual([
      ["created", "ringing", "anonymous"],
      ["ended", "missed", "anonymous"],
    ]);
    expect(await waitForJournal(journal, 1)).toMatchObject([
      { direction: "incoming", missed: true, number: "anonymous" },
    ]);
  });

  it("gives outgoing calls no incoming phase", async () => {
    const { client } = await setUp();
    const events = phases(client);
    const call = await client.makeCall("+49 30 123456");
    await call.hangup();
    await until(() => events.some((e) => e.type === "ended"));
    expect(events.every((e) => e.incoming === undefined)).toBe(true);
  });
});

describe("client.callHistory()", () => {
  it("reads the PBX's history newest first, filters missed calls, adds journal talk times", async () => {
    const scenario = parseScenario({
      ...defaultScenario,
      history: [
        { extension: "100", kind: "missed", number: "anonymous", minutesAgo: 30 },
        { extension: "100", kind: "outgoing", number: "004930123456", minutesAgo: 20 },
      ],
    });
    const { pbx, client } = await setUp({ scenario });
    const events = phases(client);
    const id = await ringIn(pbx, { from: "+44 20 7946 0958", to: "100", answerAfter: 10 });
    await until(() => events.some((e) => e.incoming === "answered"));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await pbx.wire.request("POST", `/__sim/calls/${id}/hangup`);
    await until(() => events.some((e) => e.type === "ended"));

    const all = await client.callHistory({ limit: 10 });
    expect(all.map((e) => [e.direction, e.missed, e.number, e.source])).toEqual([
      ["incoming", false, "+44 20 7946 0958", "pbx"],
      ["outgoing", false, "004930123456", "pbx"],
      ["incoming", true, "anonymous", "pbx"],
    ]);
    expect(all[0]?.name).toBe("Charles Babbage");
    expect(all[0]?.durationSeconds).toBeGreaterThanOrEqual(1);
    expect(all[0]?.durationSeconds).toBeLessThan(10);
    expect(all[1]?.durationSeconds).toBeUndefined();
    expect(new Date(all[2]?.time ?? "").getTime()).toBeLessThan(Date.now() - 29 * 60_000);

    expect((await client.callHistory({ missed: true })).map((e) => e.number)).toEqual([
      "anonymous",
    ]);
    expect(await client.callHistory({ limit: 1 })).toHaveLength(1);
    expect(await failure(client.callHistory({ limit: 0 }))).toBeInstanceOf(BadInputError);
  });

  it("falls back to the journal, and says why, when the PBX refuses", async () => {
    const { pbx, client, journal } = await setUp();
    const events = phases(client);
    await ringIn(pbx, { from: "sip:bob@example.com", to: "100", hangupAfter: 20 });
    await until(() => events.some((e) => e.type === "ended"));
    await waitForJournal(journal, 1);
    await pbx.wire.postJson("/__sim/faults", { refuseMessages: [106] });
    const reasons: Error[] = [];
    const entries = await client.callHistory({ missed: true, onFallback: (e) => reasons.push(e) });
    expect(entries).toEqual([
      {
        direction: "incoming",
        missed: true,
        number: "sip:bob@example.com",
        time: expect.any(String),
        source: "journal",
      },
    ]);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(RejectedError);
  });

  it("without a journal, a refusal is thrown", async () => {
    const pbx = await startPbx({ port: 0 }, cleanups);
    const client = await connect({
      pbx: pbx.sim.url,
      extension: "100",
      password: DEFAULT_DEMO_PASSWORD,
    });
    cleanups.push(() => client.close());
    await pbx.wire.postJson("/__sim/faults", { refuseMessages: [106] });
    expect(await failure(client.callHistory())).toBeInstanceOf(RejectedError);
  });
});

async function waitForJournal(journal: FileCallJournal, count: number) {
  const deadline = Date.now() + 3000;
  for (;;) {
    const text = await readFile(journal.file, "utf8").catch(() => "");
    if (text.split("\n").filter(Boolean).length >= count) return journal.read(100, false);
    if (Date.now() > deadline) throw new Error("journal not written");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
