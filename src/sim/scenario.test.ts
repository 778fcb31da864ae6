import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import {
  DEFAULT_DEMO_PASSWORD,
  DEFAULT_TOTP_SECRET,
  defaultScenario,
  loadScenarioFile,
  parseScenario,
} from "./scenario.js";
import { startSimulator } from "./server.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dial3cx-scenario-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function scenarioFile(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

const minimal = { extensions: [{ number: "200", password: "pw", firstName: "Solo" }] };

describe("default scenario", () => {
  it("has the extensions and devices the issue describes", () => {
    const [ext100, ext101, ext102] = defaultScenario.extensions;
    expect(ext100?.password).toBe(DEFAULT_DEMO_PASSWORD);
    expect(ext100?.devices).toHaveLength(2);
    const desk = ext100?.devices[0];
    expect(desk).toEqual({
      contact: "sip:100@192.168.178.20:5062;rinstance=a1",
      userAgent: "Yealink SIP-T46S",
      sourceAddress: "192.168.178.20:5062",
    });
    // The seed's parser needs exactly 40 bytes and no 0x1a or 0x22 inside (reference §9.2).
    expect(Buffer.byteLength(desk?.contact ?? "")).toBe(40);
    expect(ext100?.devices[1]?.userAgent).toMatch(/^3CX .*Windows/);
    expect(ext101?.devices).toHaveLength(1);
    expect(ext102?.totpSecret).toBe(DEFAULT_TOTP_SECRET);
  });

  it("has ten contacts with national and international numbers, Ada Lovelace and a Müller", () => {
    const contacts = defaultScenario.contacts;
    expect(contacts).toHaveLength(10);
    expect(contacts.find((c) => c.lastName === "Lovelace")).toMatchObject({
      firstName: "Ada",
      business: "+49 30 123456",
    });
    expect(contacts.some((c) => c.lastName === "Müller")).toBe(true);
    const numbers = contacts.flatMap((c) => [c.business, c.mobile, c.home]).filter(Boolean);
    expect(numbers.some((n) => n?.startsWith("+"))).toBe(true);
    expect(numbers.some((n) => n?.startsWith("0"))).toBe(true);
  });
});

describe("loadScenarioFile", () => {
  it("loads a valid file, with defaults and an apiClients list", async () => {
    const path = await scenarioFile(
      "ok.json",
      JSON.stringify({ ...minimal, apiClients: [{ clientId: "900", apiKey: "k" }] }),
    );
    const scenario = await loadScenarioFile(path);
    expect(scenario.extensions[0]).toMatchObject({ number: "200", lastName: "", devices: [] });
    expect(scenario.contacts).toEqual([]);
    expect(scenario.apiClients).toEqual([{ clientId: "900", apiKey: "k", monitor: [] }]);
  });

  it("takes queue DNs and how a refused makecall answers, and refuses other values", () => {
    const parsed = parseScenario({ ...minimal, queues: ["800"], makeCallRefusedAs: "emptyResult" });
    expect([parsed.queues, parsed.makeCallRefusedAs]).toEqual([["800"], "emptyResult"]);
    expect(() => parseScenario({ ...minimal, queues: ["8x"] })).toThrow("queues.0");
    expect(() => parseScenario({ ...minimal, makeCallRefusedAs: "silence" })).toThrow(
      "makeCallRefusedAs",
    );
  });

  it("refuses API clients without a key, twice the same id, or monitoring no extension", () => {
    const ext = minimal.extensions[0]!.number;
    const attempt = (apiClients: unknown) => () => parseScenario({ ...minimal, apiClients });
    expect(attempt([{ clientId: "900" }])).toThrow("apiClients.0.apiKey");
    expect(
      attempt([
        { clientId: "900", apiKey: "a" },
        { clientId: "900", apiKey: "b" },
      ]),
    ).toThrow("duplicate clientId 900");
    expect(attempt([{ clientId: "900", apiKey: "a", monitor: [ext, "555"] }])).toThrow(
      "apiClients.0.monitor.1: 555 is not an extension of the scenario",
    );
  });

  it("refuses a missing file, bad JSON and an invalid scenario with the path and the first error", async () => {
    const missing = join(dir, "missing.json");
    await expect(loadScenarioFile(missing)).rejects.toThrow(ConfigError);
    await expect(loadScenarioFile(missing)).rejects.toThrow(missing);
    const broken = await scenarioFile("broken.json", "{ extensions: ");
    await expect(loadScenarioFile(broken)).rejects.toThrow(new RegExp(`${broken}: not JSON`));
    const invalid = await scenarioFile(
      "invalid.json",
      JSON.stringify({ extensions: [{ number: "1x", password: "pw", firstName: "A" }] }),
    );
    await expect(loadScenarioFile(invalid)).rejects.toThrow(
      `Invalid scenario file ${invalid}: extensions.0.number: must be 2 to 8 digits`,
    );
  });

  it("refuses duplicates, unknown keys, bad devices and bad TOTP secrets", async () => {
    const cases: Array<[unknown, string]> = [
      [
        { extensions: [minimal.extensions[0], minimal.extensions[0]] },
        "extensions.1.number: duplicate extension 200",
      ],
      [{ ...minimal, extras: 1 }, "extras"],
      [
        {
          extensions: [
            {
              ...minimal.extensions[0],
              devices: [{ contact: "100@pbx", userAgent: "x", sourceAddress: "1.2.3.4:5" }],
            },
          ],
        },
        "extensions.0.devices.0.contact",
      ],
      [
        { extensions: [{ ...minimal.extensions[0], totpSecret: "not base32!" }] },
        "extensions.0.totpSecret",
      ],
      [{ ...minimal, contacts: [{ firstName: "No number" }] }, "contacts.0"],
      [{ extensions: [] }, "extensions"],
    ];
    for (const [content, error] of cases) {
      const path = await scenarioFile("case.json", JSON.stringify(content));
      await expect(loadScenarioFile(path), error).rejects.toThrow(error);
    }
  });

  it("is enforced by startSimulator too", async () => {
    await expect(startSimulator({ scenario: { extensions: [] } as never })).rejects.toThrow(
      ConfigError,
    );
    await expect(startSimulator({ port: 70000 })).rejects.toThrow(/port/);
  });
});
