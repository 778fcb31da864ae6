// Incoming-call notifications and the on_incoming URL against the simulator over real sockets,
// with recording stand-ins for notify-send and xdg-open: names from vCards, then the PBX phone
// book, then the PBX's caller name; "Call back" only for numbers; percent-encoded CRM URLs;
// caller details only in debug log lines.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_DEMO_PASSWORD } from "../../sim/index.js";
import { type Pbx, startPbx } from "../../sim/testing.js";
import { connect, type Dial3cxClient } from "../calls/client.js";
import { resolveSettings } from "../settings/config.js";
import { writeStandIn } from "./desktop-testing.js";
import { fillIncomingUrl, type IncomingLogLevel, watchIncomingCalls } from "./incoming.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const ADA_CARD = [
  "BEGIN:VCARD",
  "VERSION:3.0",
  "FN:Ada Lovelace",
  "ORG:Analytical Engines",
  "TEL;TYPE=WORK:+44 20 7946 0001",
  "END:VCARD",
].join("\r\n");

async function setUp(config: { onIncoming?: string; onIncomingWhen?: string } = {}) {
  const pbx: Pbx = await startPbx({ port: 0, answerAfterMs: 30 }, cleanups);
  const dir = await mkdtemp(path.join(tmpdir(), "dial3cx-incoming-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, "contacts"));
  await writeFile(path.join(dir, "contacts", "ada.vcf"), `${ADA_CARD}\r\n`);
  const bin = path.join(dir, "bin");
  const notifySend = await writeStandIn(bin, "notify-send", { stdout: "callback\n" });
  const xdgOpen = await writeStandIn(bin, "xdg-open");
  const client: Dial3cxClient = await connect({
    pbx: pbx.sim.url,
    extension: "100",
    password: DEFAULT_DEMO_PASSWORD,
    timeoutMs: 3000,
  });
  cleanups.push(() => client.close());
  const settings = resolveSettings({
    env: {},
    config: {
      contacts: [path.join(dir, "contacts")],
      ...(config.onIncoming ? { on_incoming: config.onIncoming } : {}),
      ...(config.onIncomingWhen ? { on_incoming_when: config.onIncomingWhen as "answered" } : {}),
    },
  });
  const callBacks: string[] = [];
  const logLines: Array<[IncomingLogLevel, string, object | undefined]> = [];
  const watcher = watchIncomingCalls({
    client,
    settings,
    env: { PATH: `${bin}:${process.env.PATH}` },
    notify: true,
    callBack: async (uri) => {
      callBacks.push(uri);
    },
    log: (level, message, facts) => logLines.push([level, message, facts]),
  });
  cleanups.push(() => watcher.stop());
  const ring = async (body: Record<string, unknown>) => {
    const answer = await pbx.wire.postJson("/__sim/calls", { to: "100", ...body });
    return (JSON.parse(answer.text) as { id: number }).id;
  };
  /** Waits until the client saw `count` call events and the watcher finished its work. */
  const settled = async (events: number) => {
    const deadline = Date.now() + 3000;
    while (seen.length < events) {
      if (Date.now() > deadline) throw new Error(`only ${seen.length} events`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await watcher.idle();
  };
  const seen: unknown[] = [];
  client.on("call", (event) => seen.push(event));
  const summaries = async () =>
    (await notifySend.runs()).map((argv) => argv[argv.indexOf("--") + 1]);
  return { pbx, notifySend, xdgOpen, callBacks, logLines, ring, settled, summaries };
}

describe("incoming-call notifications", () => {
  it("names the caller from the vCards, with the company, the number and the device", async () => {
    const t = await setUp();
    await t.ring({ from: "+44 20 7946 0001", name: "TRUNK NAME" });
    await t.settled(1);
    expect(await t.summaries()).toEqual([
      "Ada Lovelace (Analytical Engines) · +44 20 7946 0001 · on Yealink T46S",
    ]);
  });

  it("falls back to the PBX phone book, then to the PBX's caller name", async () => {
    const t = await setUp();
    await t.ring({ from: "+44 20 7946 0958" });
    await t.settled(1);
    await t.ring({ from: "+49 89 7654321", name: "Sales Hotline" });
    await t.settled(2);
    expect(await t.summaries()).toEqual([
      "Charles Babbage (Difference Engine Works) · +44 20 7946 0958 · on Yealink T46S",
      "Sales Hotline · +49 89 7654321 · on Yealink T46S",
    ]);
  });

  it("offers Call back on a missed call from a number, and it calls back once", async () => {
    const t = await setUp();
    await t.ring({ from: "+44 20 7946 0001", hangupAfter: 20 });
    await t.settled(2);
    const runs = await t.notifySend.runs();
    expect(runs[1]).toEqual(
      expect.arrayContaining([
        "--action=callback=Call back",
        "--",
        "Missed call: Ada Lovelace (Analytical Engines) · +44 20 7946 0001",
      ]),
    );
    expect(t.callBacks).toEqual(["tel:+442079460001"]);
  });

  it.each([
    ["anonymous", "anonymous"],
    ["", "No caller id"],
    ["sip:bob@example.com", "sip:bob@example.com"],
  ])("shows caller id %j as is and never offers to call it back", async (from, shown) => {
    const t = await setUp();
    await t.ring({ from, hangupAfter: 20 });
    await t.settled(2);
    const runs = await t.notifySend.runs();
    expect(runs.map((argv) => argv[argv.indexOf("--") + 1])).toEqual([
      `${shown} · on Yealink T46S`,
      `Missed call: ${shown}`,
    ]);
    expect(runs.flat().some((arg) => arg.startsWith("--action"))).toBe(false);
    expect(t.callBacks).toEqual([]);
  });

  it("keeps caller names and numbers out of log lines above debug", async () => {
    const t = await setUp();
    await t.ring({ from: "+44 20 7946 0001", hangupAfter: 20 });
    await t.settled(2);
    const above = t.logLines.filter(([level]) => level !== "debug");
    expect(above.length).toBeGreaterThan(0);
    expect(JSON.stringify(above)).not.toMatch(/Ada|7946/);
    expect(JSON.stringify(t.logLines.filter(([level]) => level === "debug"))).toMatch(/Ada/);
  });
});

describe("on_incoming", () => {
  const template = "https://crm.example.com/search?phone={e164}&name={name}&raw={number}";

  it("opens the URL with the values percent-encoded when the call rings", async () => {
    const t = await setUp({ onIncoming: template });
    await t.ring({ from: "+44 20 7946 0001" });
    await t.settled(1);
    expect(await t.xdgOpen.runs()).toEqual([
      [
        "https://crm.example.com/search?phone=%2B442079460001&name=Ada%20Lovelace&raw=%2B44%2020%207946%200001",
      ],
    ]);
  });

  it("with on_incoming_when = answered, opens it on answer only", async () => {
    const t = await setUp({ onIncoming: template, onIncomingWhen: "answered" });
    const id = await t.ring({ from: "anonymous" });
    await t.settled(1);
    expect(await t.xdgOpen.runs()).toEqual([]);
    await t.pbx.wire.request("POST", `/__sim/calls/${id}/answer`);
    await t.settled(2);
    expect(await t.xdgOpen.runs()).toEqual([
      ["https://crm.example.com/search?phone=&name=&raw=anonymous"],
    ]);
  });
});

describe("fillIncomingUrl", () => {
  it("encodes every value so it cannot change the URL's host or query", () => {
    expect(fillIncomingUrl("https://crm.example.com/?q={name}", { name: "a&b=c#d/../x y" })).toBe(
      "https://crm.example.com/?q=a%26b%3Dc%23d%2F..%2Fx%20y",
    );
    // In the host, an encoded value makes no valid host: nothing is opened.
    expect(fillIncomingUrl("https://{name}.example.com/", { name: "evil.com/" })).toBeUndefined();
  });

  it("refuses a result that is not https or loopback http", () => {
    expect(fillIncomingUrl("http://127.0.0.1:8080/?n={number}", { number: "1" })).toBe(
      "http://127.0.0.1:8080/?n=1",
    );
    expect(fillIncomingUrl("http://crm.example.com/?n={number}", { number: "1" })).toBeUndefined();
  });
});
