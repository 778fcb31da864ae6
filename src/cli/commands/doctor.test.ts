// `dial3cx doctor` against the simulator: a healthy V20 and V18 PBX, both drivers, each refusal
// with its exit code, TLS trust, an unreachable PBX, and every fault `/__sim/faults` can inject,
// before the run and right before the step it breaks.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { memoryStore } from "../../features/settings/secrets.js";
import {
  DEFAULT_DEMO_PASSWORD,
  defaultScenario,
  type RequestLogEntry,
  type Scenario,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from "../../sim/index.js";
import type { Io } from "../io.js";
import {
  type CheckId,
  type DoctorFlags,
  type DoctorOptions,
  type DoctorReport,
  runDoctor,
} from "./doctor.js";

const API_KEY = "doctor-api-key";
const scenario: Scenario = {
  ...defaultScenario,
  apiClients: [{ clientId: "900", apiKey: API_KEY, monitor: ["100"] }],
};

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function simulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await startSimulator({ scenario, ...options });
  cleanups.push(() => sim.stop());
  return sim;
}

async function home(extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
  const root = await mkdtemp(path.join(tmpdir(), "dial3cx-doctor-"));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  return {
    HOME: root,
    XDG_CONFIG_HOME: path.join(root, "config"),
    XDG_STATE_HOME: path.join(root, "state"),
    DBUS_SESSION_BUS_ADDRESS: "disabled:",
    DIAL3CX_PASSWORD: DEFAULT_DEMO_PASSWORD,
    ...extra,
  };
}

const API_ENV = { DIAL3CX_CLIENT_ID: "900", DIAL3CX_API_KEY: API_KEY };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  report: DoctorReport;
  status: (id: CheckId) => string;
  check: (id: CheckId) => DoctorReport["checks"][number];
}

async function doctor(
  flags: DoctorFlags,
  env: NodeJS.ProcessEnv,
  options: DoctorOptions = {},
): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on("data", (chunk) => out.push(String(chunk)));
  stderr.on("data", (chunk) => err.push(String(chunk)));
  const io: Io = { stdout, stderr, stdin: new PassThrough(), env };
  const run = (json: boolean) =>
    runDoctor({ ...flags, json }, io, { store: memoryStore(), timeoutMs: 3000, ...options });
  const code = await run(true);
  const report = JSON.parse(out.join("")) as DoctorReport;
  const check = (id: CheckId) => report.checks.find((c) => c.id === id)!;
  return {
    code,
    stdout: out.join(""),
    stderr: err.join(""),
    report,
    status: (id) => check(id).status,
    check,
  };
}

/** The human form of the same run (a second run: the doctor is cheap). */
async function humanDoctor(
  flags: DoctorFlags,
  env: NodeJS.ProcessEnv,
  options: DoctorOptions = {},
): Promise<{ code: number; text: string }> {
  const stdout = new PassThrough();
  const out: string[] = [];
  stdout.on("data", (chunk) => out.push(String(chunk)));
  const io: Io = { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env };
  const code = await runDoctor(flags, io, { store: memoryStore(), timeoutMs: 3000, ...options });
  return { code, text: out.join("") };
}

function flagsFor(sim: Simulator, extra: DoctorFlags = {}): DoctorFlags {
  return { pbx: sim.url, extension: "100", ...extra };
}

async function fault(sim: Simulator, body: object): Promise<void> {
  const response = await fetch(`${sim.url}/__sim/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

async function requestLog(sim: Simulator): Promise<string[]> {
  const log = (await (await fetch(`${sim.url}/__sim/requests`)).json()) as RequestLogEntry[];
  return log.map((e) => `${e.method} ${e.path} ${e.status}`);
}

const WEB_CLIENT_CHECKS: CheckId[] = ["login", "session", "websocket", "devices", "webclient"];
const ALL: CheckId[] = [
  "settings",
  "reachable",
  "tls",
  "version",
  ...WEB_CLIENT_CHECKS,
  "callcontrol",
  "gateway",
];

describe("dial3cx doctor on a healthy PBX", () => {
  it("V20 without an API client: every check passes, Call Control is not configured", async () => {
    const sim = await simulator();
    const run = await doctor(flagsFor(sim), await home());
    expect(run.code).toBe(0);
    expect(run.report.ok).toBe(true);
    expect(run.report.checks.map((c) => [c.id, c.status])).toEqual([
      ["settings", "pass"],
      ["reachable", "pass"],
      ["tls", "skip"],
      ["version", "pass"],
      ["login", "pass"],
      ["session", "pass"],
      ["websocket", "pass"],
      ["devices", "pass"],
      ["webclient", "pass"],
      ["callcontrol", "skip"],
      ["gateway", "skip"],
    ]);
    expect(run.check("version").detail).toContain("3CX V20");
    expect(run.check("devices").detail).toBe("2 registered: Yealink T46S, 3CX app (Windows)");
    expect(run.check("login").detail).toContain("password from DIAL3CX_PASSWORD");
    expect(run.check("callcontrol")).toMatchObject({
      detail: "not configured",
      fix: expect.stringContaining("client_id"),
    });
    expect(run.report.driver).toEqual({ configured: "auto", selected: "webclient" });
    // One login, and the version probe sent no credentials.
    const logins = (await requestLog(sim)).filter((l) => l.includes("/Login/GetAccessToken"));
    expect(logins).toEqual([
      "POST /webclient/api/Login/GetAccessToken 400",
      "POST /webclient/api/Login/GetAccessToken 200",
    ]);
  });

  it("prints one line per check with ✓, ✗ or – and the chosen driver", async () => {
    const sim = await simulator();
    const { code, text } = await humanDoctor(flagsFor(sim), await home(API_ENV));
    expect(code).toBe(0);
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(ALL.length + 1);
    expect(lines[0]).toMatch(
      /^✓ Settings +http:\/\/127\.0\.0\.1:\d+, extension 100, driver auto, API client 900$/,
    );
    expect(lines[2]).toMatch(/^– TLS +plain http: .* → use https:\/\//);
    expect(lines[9]).toMatch(
      /^✓ Call Control driver +token granted to API client 900, extension 100 monitored, 2 devices: Yealink T46S, 3CX app \(Windows\), events open; PBX seen: token .*$/,
    );
    expect(lines[10]).toMatch(/^– Gateway +no /);
    expect(lines[11]).toBe("Driver: auto → Call Control");
  });

  it("V18: cookie login; Call Control is absent (404) and says it needs V20", async () => {
    const sim = await simulator({ pbxVersion: 18 });
    const without = await doctor(flagsFor(sim), await home());
    expect(without.code).toBe(0);
    expect(without.check("version").detail).toContain("3CX V18");
    expect(without.check("login").detail).toContain("cookie login");
    expect(without.status("webclient")).toBe("pass");

    const withApi = await doctor(flagsFor(sim), await home(API_ENV));
    expect(withApi.code).toBe(5);
    expect(withApi.check("callcontrol")).toMatchObject({
      status: "fail",
      code: "protocol",
      detail: expect.stringContaining("needs 3CX V20"),
      fix: expect.stringContaining("404 on a V18 PBX: Call Control needs 3CX V20"),
    });
    expect(withApi.report.driver).toEqual({ configured: "auto", selected: "webclient" });
  });

  it("with driver callcontrol and no password, skips the web-client steps", async () => {
    const sim = await simulator();
    const env = await home({ ...API_ENV, DIAL3CX_PASSWORD: "" });
    const run = await doctor(flagsFor(sim, { driver: "callcontrol" }), env);
    expect(run.code).toBe(0);
    for (const id of WEB_CLIENT_CHECKS) expect(run.status(id)).toBe("skip");
    expect(run.status("callcontrol")).toBe("pass");
    expect(run.report.driver).toEqual({ configured: "callcontrol", selected: "callcontrol" });
  });
});

describe("dial3cx doctor on refusals", () => {
  it("a wrong API key: ✗ Call Control, exit 3, wrong client id or API key", async () => {
    const sim = await simulator();
    const run = await doctor(
      flagsFor(sim),
      await home({ ...API_ENV, DIAL3CX_API_KEY: "not-the-key" }),
    );
    expect(run.code).toBe(3);
    expect(run.check("callcontrol")).toMatchObject({
      status: "fail",
      code: "auth",
      exitCode: 3,
      fix: expect.stringContaining("wrong client id or API key"),
    });
    expect(run.stdout).not.toContain("not-the-key");
    expect(run.report.driver.selected).toBe("webclient");
  });

  it("an unmonitored extension: ✗ Call Control, exit 4, names the extension and the client", async () => {
    const sim = await simulator();
    const env = await home({ ...API_ENV, DIAL3CX_PASSWORD: "dial3cx-101" });
    const run = await doctor(flagsFor(sim, { extension: "101" }), env);
    expect(run.code).toBe(4);
    expect(run.check("callcontrol")).toMatchObject({
      status: "fail",
      code: "rejected",
      fix: "extension 101 not monitored by API client 900: add it under Integrations → API",
    });
  });

  it("a licence without Call Control: ✗ Call Control, exit 4, says so", async () => {
    const sim = await simulator({ callControlLicensed: false });
    const run = await doctor(flagsFor(sim), await home(API_ENV));
    expect(run.code).toBe(4);
    expect(run.check("callcontrol").fix).toContain("licence without Call Control API");
  });

  it("a wrong password: ✗ Login, exit 3, the later web-client steps skipped, one attempt only", async () => {
    const sim = await simulator();
    const run = await doctor(flagsFor(sim), await home({ DIAL3CX_PASSWORD: "wrong" }));
    expect(run.code).toBe(3);
    expect(run.check("login")).toMatchObject({
      status: "fail",
      code: "auth",
      fix: "DIAL3CX_PASSWORD is wrong: fix or unset it",
    });
    for (const id of ["session", "websocket", "devices", "webclient"] as const) {
      expect(run.check(id)).toMatchObject({ status: "skip", detail: "not checked: Login failed" });
    }
    const logins = (await requestLog(sim)).filter((l) => l.includes("/Login/GetAccessToken"));
    expect(logins).toHaveLength(2); // the probe (400) and the one login
  });

  it("no PBX configured: ✗ Settings, exit 3", async () => {
    const run = await doctor({}, await home());
    expect(run.code).toBe(3);
    expect(run.report.checks).toEqual([
      expect.objectContaining({ id: "settings", status: "fail", code: "not_logged_in" }),
      expect.objectContaining({ id: "gateway", status: "skip" }),
    ]);
  });

  it("nothing listening: ✗ PBX reachable, exit 5, everything else skipped", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    const run = await doctor({ pbx: `http://127.0.0.1:${port}`, extension: "100" }, await home());
    expect(run.code).toBe(5);
    expect(run.check("reachable")).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("connection refused"),
    });
    for (const id of ALL.slice(2)) expect(run.status(id)).toBe("skip");
  });
});

describe("dial3cx doctor and TLS", () => {
  it("an untrusted certificate: ✗ TLS, exit 5, shows the fingerprint to pin", async () => {
    const sim = await simulator({ tls: true });
    const run = await doctor(flagsFor(sim), await home());
    expect(run.code).toBe(5);
    expect(run.check("tls")).toMatchObject({ status: "fail", code: "tls" });
    expect(run.check("tls").fix).toContain(`SHA-256 ${sim.fingerprint}`);
    expect(run.check("tls").fix).toContain("dial3cx login to pin it");
  });

  it("a pinned certificate passes; a different pin fails", async () => {
    const sim = await simulator({ tls: true });
    const pinned = await doctor(flagsFor(sim, { fingerprint: sim.fingerprint! }), await home());
    expect(pinned.code).toBe(0);
    expect(pinned.check("tls").detail).toContain("pinned certificate matches");
    const other = "AB".repeat(32);
    const wrong = await doctor(flagsFor(sim, { fingerprint: other }), await home());
    expect(wrong.code).toBe(5);
    expect(wrong.check("tls").detail).toContain("The certificate changed");
  });
});

describe("dial3cx doctor with the simulator's faults", () => {
  it("latency: every check passes, only slower", async () => {
    const sim = await simulator();
    await fault(sim, { latencyMs: 60 });
    const run = await doctor(flagsFor(sim), await home(API_ENV));
    expect(run.code).toBe(0);
    expect(run.check("version").ms).toBeGreaterThanOrEqual(55); // one probe on a V20
  });

  it("latency beyond the time-out: ✗ PBX version, exit 5, no answer in time", async () => {
    const sim = await simulator();
    await fault(sim, { latencyMs: 1500 });
    const run = await doctor(flagsFor(sim), await home(), { timeoutMs: 300 });
    expect(run.code).toBe(5);
    expect(run.check("version").detail).toContain("sent no answer within 300 ms");
  });

  it("failNext 503: ✗ PBX version, exit 5, up but failing", async () => {
    const sim = await simulator();
    await fault(sim, { failNext: { count: 1, status: 503 } });
    const run = await doctor(flagsFor(sim), await home());
    expect(run.code).toBe(5);
    expect(run.check("version")).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("HTTP 503"),
      fix: expect.stringContaining("try again later"),
    });
    expect(run.status("login")).toBe("skip");
  });

  it.each(["dropWebsockets", "expireSessions", "expireTokens"])(
    "%s before the run: the doctor starts afresh, so every check passes",
    async (name) => {
      const sim = await simulator();
      await fault(sim, { [name]: true });
      expect((await doctor(flagsFor(sim), await home(API_ENV))).code).toBe(0);
    },
  );

  it.each([
    ["failNext 503", "login", { failNext: { count: 1, status: 503 } }, 5, "HTTP 503"],
    ["expireTokens", "session", { expireTokens: true }, 5, "refused a MyPhone session"],
    ["expireSessions", "websocket", { expireSessions: true }, 5, "NOT AUTH"],
    ["dropWebsockets", "devices", { dropWebsockets: true }, 5, "event channel closed"],
  ] as const)(
    "%s right before %s: that step fails and says why",
    async (_name, step, body, exitCode, text) => {
      const sim = await simulator();
      const run = await doctor(flagsFor(sim), await home(), {
        beforeCheck: async (id) => {
          if (id === step) await fault(sim, body);
        },
      });
      expect(run.code).toBe(exitCode);
      expect(run.report.checks.find((c) => c.status === "fail")).toMatchObject({
        id: step,
        detail: expect.stringContaining(text),
      });
    },
  );

  it("expireTokens right before Call Control: a fresh token is fetched, it passes", async () => {
    const sim = await simulator();
    const run = await doctor(flagsFor(sim), await home(API_ENV), {
      beforeCheck: async (id) => {
        if (id === "callcontrol") await fault(sim, { expireTokens: true });
      },
    });
    expect(run.code).toBe(0);
  });
});
