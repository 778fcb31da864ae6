// Integration tests of the web-client driver against the in-process simulator over real sockets:
// version detection, TLS trust, 2FA, refused logins and lockout, session renewal (HTTP and
// websocket), failures that must not be retried, and the wire options pinned by default.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Secret, TOTP } from "otpauth";
import { afterEach, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import {
  AuthError,
  BadInputError,
  NetworkError,
  OutcomeUnknownError,
  ProtocolError,
  TlsError,
  TwoFactorRequiredError,
} from "../../errors.js";
import {
  DEFAULT_DEMO_PASSWORD,
  DEFAULT_TOTP_SECRET,
  type SimulatorOptions,
} from "../../sim/index.js";
import {
  failure,
  type Pbx,
  requestCount,
  requestLog,
  simCalls,
  startPbx,
  type WireClient,
} from "../../sim/testing.js";
import type { ConnectionState } from "../driver.js";
import { PbxHttp } from "../http.js";
import { EventChannel } from "./channel.js";
import { WebClientDriver, type WebClientOptions } from "./driver.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  // Last in, first out: drivers close before the simulator they talk to stops.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function simulator(options: SimulatorOptions = {}): Promise<Pbx> {
  return startPbx({ port: 0, answerAfterMs: 20, ...options }, cleanups);
}

async function connect(pbx: Pbx, options: Partial<WebClientOptions> = {}) {
  const driver = await WebClientDriver.connect({
    pbx: pbx.sim.url,
    extension: "100",
    password: DEFAULT_DEMO_PASSWORD,
    timeoutMs: 3000,
    ...options,
  });
  cleanups.push(() => driver.close());
  return driver;
}

/** The error connect() fails with (a driver that connects anyway is closed after the test). */
function connectError(pbx: Pbx, options: Partial<WebClientOptions> = {}): Promise<Error> {
  return failure(connect(pbx, options));
}

async function fault(wire: WireClient, body: object): Promise<void> {
  const answer = await wire.postJson("/__sim/faults", body);
  expect(answer.status).toBe(200);
}

function totpNow(): string {
  return TOTP.generate({ secret: Secret.fromBase32(DEFAULT_TOTP_SECRET) });
}

function connectionStates(driver: WebClientDriver): ConnectionState[] {
  const states: ConnectionState[] = [];
  driver.on("connection", (state) => states.push(state));
  return states;
}

const V20_LOGIN = "POST /webclient/api/Login/GetAccessToken";
const V18_LOGIN = "POST /webclient/api/Login";
const SESSION = "POST /webclient/api/MyPhone/session";
const REFRESH = "POST /connect/token";
const MYPHONE = "POST /MyPhone/MPWebService.asmx";
const SOCKET_START = "GET /ws/webclient 101 START";
const DESTINATION = "004930123456";
const DESK_PHONE = "sip:100@192.168.178.20:5062;rinstance=a1";

describe("login and version detection", () => {
  it("logs in on V20: token, session, websocket START, then RequestMyInfo", async () => {
    const pbx = await simulator();
    const driver = await connect(pbx);
    expect(driver.pbxVersion).toBe(20);
    expect(await requestLog(pbx.wire)).toEqual([
      `${V20_LOGIN} 200`,
      `${SESSION} 200`,
      SOCKET_START,
      `${MYPHONE}#102 200`,
    ]);
    expect(driver.extensionInfo()).toMatchObject({
      extension: "100",
      firstName: "Erika",
      lastName: "Mustermann",
      presence: "Available",
    });
    expect(driver.devices().map((d) => d.contact)).toContain(DESK_PHONE);
  });

  it("falls back to V18 after the V20 login answers 404 (auto mode)", async () => {
    const pbx = await simulator({ pbxVersion: 18 });
    const driver = await connect(pbx);
    expect(driver.pbxVersion).toBe(18);
    expect(await requestLog(pbx.wire)).toEqual([
      `${V20_LOGIN} 404`,
      `${V18_LOGIN} 200`,
      `${SESSION} 200`,
      SOCKET_START,
      `${MYPHONE}#102 200`,
    ]);
    await driver.makeCall(DESTINATION, driver.devices()[0]);
    expect(await simCalls(pbx.wire)).toMatchObject([{ destination: DESTINATION }]);
  });

  it("refuses a V18 PBX when pinned to V20, saying so, and sends no V18 login", async () => {
    const pbx = await simulator({ pbxVersion: 18 });
    const error = await connectError(pbx, { pbxVersion: 20 });
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toMatch(/no 3CX V20 web-client login \(it answered 404\)/);
    expect(error.message).toMatch(/If it runs 3CX V18/);
    expect(await requestLog(pbx.wire)).toEqual([`${V20_LOGIN} 404`]);
  });

  it("goes straight to the V18 login when pinned to V18", async () => {
    const pbx = await simulator({ pbxVersion: 18 });
    await connect(pbx, { pbxVersion: 18 });
    expect((await requestLog(pbx.wire))[0]).toBe(`${V18_LOGIN} 200`);
  });
});

describe("TLS", () => {
  async function caFile(pem: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "dial3cx-ca-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, "pbx.pem");
    await writeFile(path, pem, { mode: 0o600 });
    return path;
  }

  it("trusts the PBX through a CA file, for HTTP and the websocket", async () => {
    const pbx = await simulator({ tls: true });
    const driver = await connect(pbx, { tls: { ca: await caFile(pbx.sim.certPem!) } });
    await driver.makeCall(DESTINATION, driver.devices()[0]);
    expect(await requestLog(pbx.wire)).toContain(SOCKET_START);
    expect(await simCalls(pbx.wire)).toHaveLength(1);
  });

  it("trusts a pinned fingerprint, in colon and in bare lowercase form", async () => {
    const pbx = await simulator({ tls: true });
    const colon = pbx.sim.fingerprint!;
    const bare = colon.replaceAll(":", "").toLowerCase();
    for (const fingerprint of [colon, bare]) {
      const driver = await connect(pbx, { tls: { fingerprint } });
      await driver.makeCall(DESTINATION, driver.devices()[0]);
    }
    expect(await simCalls(pbx.wire)).toHaveLength(2);
  });

  it("refuses a wrong fingerprint before sending anything, naming both fingerprints", async () => {
    const pbx = await simulator({ tls: true });
    const wrong = `${"AB:".repeat(31)}AB`;
    const error = await connectError(pbx, { tls: { fingerprint: wrong } });
    expect(error).toBeInstanceOf(TlsError);
    expect(error.message).toContain(pbx.sim.fingerprint!);
    expect(error.message).toContain(wrong);
    expect(await requestLog(pbx.wire)).toEqual([]);
  });

  it("refuses a certificate nobody vouches for", async () => {
    const pbx = await simulator({ tls: true });
    const error = await connectError(pbx);
    expect(error).toBeInstanceOf(TlsError);
    expect(error.message).toMatch(/not trusted/);
    expect(await requestLog(pbx.wire)).toEqual([]);
  });

  it("connects with verification off when asked to (insecure)", async () => {
    const pbx = await simulator({ tls: true });
    const driver = await connect(pbx, { tls: { insecure: true } });
    await driver.makeCall(DESTINATION, driver.devices()[0]);
    expect(await simCalls(pbx.wire)).toHaveLength(1);
  });
});

describe("2FA", () => {
  const twoFactor = { extension: "102", password: "dial3cx-2fa" };

  it("asks for a code when none is given", async () => {
    const pbx = await simulator();
    const error = await connectError(pbx, twoFactor);
    expect(error).toBeInstanceOf(TwoFactorRequiredError);
    expect(await requestLog(pbx.wire)).toEqual([`${V20_LOGIN} 200`]);
  });

  it("logs in with a valid TOTP code", async () => {
    const pbx = await simulator();
    const driver = await connect(pbx, { ...twoFactor, securityCode: totpNow() });
    expect(driver.extensionInfo().extension).toBe("102");
  });

  it("refuses a wrong code with an AuthError and does not retry", async () => {
    const pbx = await simulator();
    const wrong = String((Number(totpNow()) + 500_000) % 1_000_000).padStart(6, "0");
    const error = await connectError(pbx, { ...twoFactor, securityCode: wrong });
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).code).toBe("auth");
    expect(await requestLog(pbx.wire)).toEqual([`${V20_LOGIN} 200`]);
  });
});

describe("refused logins", () => {
  for (const loginFailure of ["status", "http401"] as const) {
    it(`refuses a wrong password once, without retrying (loginFailure ${loginFailure})`, async () => {
      const pbx = await simulator({ loginFailure });
      const error = await connectError(pbx, { password: "wrong" });
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).code).toBe("auth");
      expect(error.message).not.toContain("wrong");
      expect(await requestLog(pbx.wire)).toEqual([
        `${V20_LOGIN} ${loginFailure === "status" ? 200 : 401}`,
      ]);
    });
  }

  it("reports a blocked address, even with the right password, after the lockout threshold", async () => {
    const pbx = await simulator({ lockout: { max: 2, windowMs: 60_000 } });
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(await connectError(pbx, { password: "wrong" })).toMatchObject({ code: "auth" });
    }
    const error = await connectError(pbx);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).code).toBe("blocked");
    expect(await requestLog(pbx.wire)).toEqual([
      `${V20_LOGIN} 200`,
      `${V20_LOGIN} 200`,
      `${V20_LOGIN} 403`,
    ]);
  });
});

describe("session expiring mid-use", () => {
  const cases = [
    {
      name: "expired session: a new session from the refresh token",
      faults: { expireSessions: true },
      renewal: [`${REFRESH} 200`, `${SESSION} 200`],
    },
    {
      name: "expired session and access token: the refresh token still works",
      faults: { expireSessions: true, expireTokens: true },
      renewal: [`${REFRESH} 200`, `${SESSION} 200`],
    },
    {
      name: "everything expired: one full login with the password",
      faults: { expireSessions: true, expireRefreshTokens: true },
      renewal: [`${REFRESH} 400`, `${V20_LOGIN} 200`, `${SESSION} 200`],
    },
  ];
  for (const { name, faults, renewal } of cases) {
    it(`places exactly one call after a refused MakeCall (${name})`, async () => {
      const pbx = await simulator();
      const driver = await connect(pbx, { events: false });
      const from = await requestCount(pbx.wire);
      await fault(pbx.wire, faults);
      await driver.makeCall(DESTINATION, { id: "1", contact: DESK_PHONE });
      expect(await requestLog(pbx.wire, from)).toEqual([
        `${MYPHONE}#119 401`,
        ...renewal,
        `${MYPHONE}#119 200`,
      ]);
      // One call; on a loaded machine the simulator may already have answered it.
      expect(await simCalls(pbx.wire)).toMatchObject([
        { destination: DESTINATION, state: expect.stringMatching(/^(dialing|connected)$/) },
      ]);
    });
  }

  it("renews a V18 session with one full login", async () => {
    const pbx = await simulator({ pbxVersion: 18 });
    const driver = await connect(pbx, { events: false, pbxVersion: 18 });
    const from = await requestCount(pbx.wire);
    await fault(pbx.wire, { expireSessions: true, expireTokens: true });
    await driver.makeCall(DESTINATION, { id: "1", contact: DESK_PHONE });
    expect(await requestLog(pbx.wire, from)).toEqual([
      `${MYPHONE}#119 401`,
      `${V18_LOGIN} 200`,
      `${SESSION} 200`,
      `${MYPHONE}#119 200`,
    ]);
    expect(await simCalls(pbx.wire)).toHaveLength(1);
  });

  it("renews with the event channel open: one call, then the channel is back", async () => {
    const pbx = await simulator();
    const driver = await connect(pbx);
    const states = connectionStates(driver);
    await fault(pbx.wire, { expireSessions: true });
    await driver.makeCall(DESTINATION, driver.devices()[0]);
    expect(await simCalls(pbx.wire)).toHaveLength(1);
    await vi.waitFor(() => expect(states).toEqual(["reconnecting", "open"]));
    const log = await requestLog(pbx.wire);
    expect(log.filter((line) => line === `${MYPHONE}#119 200`)).toHaveLength(1);
    expect(log.filter((line) => line === SOCKET_START)).toHaveLength(2);
    expect(log.filter((line) => line.startsWith(V20_LOGIN))).toHaveLength(1);
  });

  it("renews once when a request and the websocket learn of an idle expiry together", async () => {
    let clock = Date.now();
    const pbx = await simulator({ now: () => clock });
    const driver = await connect(pbx);
    const states = connectionStates(driver);
    const from = await requestCount(pbx.wire);
    // The PBX expires the idle session while handling the MakeCall: 401 and NOT AUTH at once.
    clock += 600_001;
    await driver.makeCall(DESTINATION, driver.devices()[0]);
    await vi.waitFor(() => expect(states).toEqual(["reconnecting", "open"]));
    const log = await requestLog(pbx.wire, from);
    expect(log[0]).toBe(`${MYPHONE}#119 401`);
    expect(log.filter((line) => line === `${MYPHONE}#119 200`)).toHaveLength(1);
    expect(log.filter((line) => line.startsWith(REFRESH))).toEqual([`${REFRESH} 200`]);
    expect(log.filter((line) => line.startsWith(SESSION))).toEqual([`${SESSION} 200`]);
    expect(await simCalls(pbx.wire)).toHaveLength(1);
  });

  it("renews the session when the websocket says NOT AUTH, and reopens it", async () => {
    const pbx = await simulator();
    const driver = await connect(pbx);
    const states = connectionStates(driver);
    const from = await requestCount(pbx.wire);
    await fault(pbx.wire, { expireSessions: true });
    await vi.waitFor(() => expect(states).toEqual(["reconnecting", "open"]));
    expect(await requestLog(pbx.wire, from)).toEqual([
      `${REFRESH} 200`,
      `${SESSION} 200`,
      SOCKET_START,
      `${MYPHONE}#102 200`,
    ]);
    await driver.makeCall(DESTINATION, driver.devices()[0]);
    expect((await requestLog(pbx.wire)).at(-1)).toBe(`${MYPHONE}#119 200`);
  });

  it("stops, without a login attempt loop, when the renewal needs a password it lacks", async () => {
    const pbx = await simulator();
    const first = await connect(pbx, { events: false });
    const snapshot = first.snapshot()!;
    const driver = await connect(pbx, { events: false, password: undefined, resume: snapshot });
    await fault(pbx.wire, { expireSessions: true, expireRefreshTokens: true });
    const from = await requestCount(pbx.wire);
    await expect(
      driver.makeCall(DESTINATION, { id: "1", contact: DESK_PHONE }),
    ).rejects.toMatchObject({ code: "not_logged_in" });
    expect(await requestLog(pbx.wire, from)).toEqual([`${MYPHONE}#119 401`, `${REFRESH} 400`]);
    expect(await simCalls(pbx.wire)).toEqual([]);
  });
});

describe("renewals that must stop", () => {
  it("stops for good, after one login attempt, when the password no longer works", async () => {
    const pbx = await simulator();
    const passwords = [DEFAULT_DEMO_PASSWORD, "changed-since"];
    const driver = await connect(pbx, { password: async () => passwords.shift() ?? "none" });
    const states = connectionStates(driver);
    const problems: Error[] = [];
    driver.on("problem", (error) => problems.push(error));
    const from = await requestCount(pbx.wire);
    await fault(pbx.wire, { expireSessions: true, expireRefreshTokens: true });
    await vi.waitFor(() => expect(states).toEqual(["reconnecting", "closed"]));
    expect(problems).toEqual([expect.any(AuthError)]);
    expect(await requestLog(pbx.wire, from)).toEqual([`${REFRESH} 400`, `${V20_LOGIN} 200`]);
    expect(passwords).toEqual([]);
  });

  it("treats any 4xx answer to the login as a rejected login: one attempt, no retry", async () => {
    // 3CX's status for a wrong password is not recorded (reference §12.3); a 400 must not loop.
    const logins: string[] = [];
    const server = createServer((req, res) => {
      logins.push(`${req.method} ${req.url}`);
      res.writeHead(400, { "content-type": "application/json" }).end('{"error":"invalid"}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const error = await failure(
        WebClientDriver.connect({
          pbx: `http://127.0.0.1:${port}`,
          extension: "100",
          password: "wrong",
          timeoutMs: 3000,
        }),
      );
      expect(error).toBeInstanceOf(AuthError);
      expect(error.message).toMatch(/HTTP 400.*will not retry/);
      expect(logins).toEqual(["POST /webclient/api/Login/GetAccessToken"]);
    } finally {
      server.close();
    }
  });

  it("asks for a fresh 2FA code instead of re-sending a used one", async () => {
    let clock = Date.now();
    const pbx = await simulator({ now: () => clock, lockout: { max: 1, windowMs: 600_000 } });
    const code = TOTP.generate({
      secret: Secret.fromBase32(DEFAULT_TOTP_SECRET),
      timestamp: clock,
    });
    const driver = await connect(pbx, {
      extension: "102",
      password: "dial3cx-2fa",
      securityCode: code,
      events: false,
    });
    clock += 120_000; // the code is long stale
    await fault(pbx.wire, { expireSessions: true, expireRefreshTokens: true });
    const from = await requestCount(pbx.wire);
    const error = await failure(
      driver.makeCall(DESTINATION, { id: "1", contact: "sip:102@10.8.0.14:41822" }),
    );
    expect(error).toBeInstanceOf(TwoFactorRequiredError);
    expect(await requestLog(pbx.wire, from)).toEqual([
      `${MYPHONE}#119 401`,
      `${REFRESH} 400`,
      `${V20_LOGIN} 200`,
    ]);
    // An empty code is not a failed login; a stale one would have been, and blocked this one.
    expect((await connect(pbx, { events: false })).pbxVersion).toBe(20);
  });
});

describe("hangup", () => {
  it("refuses an id that is not a number as bad input, sending nothing", async () => {
    const pbx = await simulator();
    const driver = await connect(pbx, { events: false });
    const from = await requestCount(pbx.wire);
    const error = await failure(driver.hangup("abc"));
    expect(error).toBeInstanceOf(BadInputError);
    expect(error).toMatchObject({ code: "usage", exitCode: 2 });
    expect(await requestLog(pbx.wire, from)).toEqual([]);
  });
});

describe("failures that must not be retried", () => {
  it("reports a 503 on MakeCall as a NetworkError and sends no second MakeCall", async () => {
    const pbx = await simulator();
    const driver = await connect(pbx);
    const from = await requestCount(pbx.wire);
    await fault(pbx.wire, { failNext: { count: 1, status: 503 } });
    const error = await failure(driver.makeCall(DESTINATION, driver.devices()[0]));
    expect(error).toBeInstanceOf(NetworkError);
    expect(await requestLog(pbx.wire, from)).toEqual([`${MYPHONE} 503`]);
    expect(await simCalls(pbx.wire)).toEqual([]);
  });

  it("gives up on a stalled MakeCall after timeoutMs and never sends it again", async () => {
    const pbx = await simulator();
    const driver = await connect(pbx, { events: false, timeoutMs: 200 });
    await fault(pbx.wire, { latencyMs: 800 });
    const started = Date.now();
    const error = await failure(driver.makeCall(DESTINATION, { id: "1", contact: DESK_PHONE }));
    // Sent but unanswered: it may have been placed (exit 5), never a plain network error.
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(error.message).toMatch(/no answer within 200 ms/);
    expect(error.message).toContain("the call may have been placed; check your phone");
    expect(Date.now() - started).toBeLessThan(700);
    // The PBX did act on the request it saw: one call at most, never two.
    expect((await simCalls(pbx.wire)).length).toBeLessThanOrEqual(1);
    // The stalled request is logged once its delayed answer goes out; nothing follows it.
    await fault(pbx.wire, { latencyMs: 0 });
    await vi.waitFor(
      async () =>
        expect((await requestLog(pbx.wire)).filter((l) => l.startsWith(`${MYPHONE}#119`))).toEqual([
          `${MYPHONE}#119 200`,
        ]),
      { timeout: 3000 },
    );
  });
});

describe("the event channel", () => {
  it("reconnects a dropped websocket and reads MyInfo again", async () => {
    const pbx = await simulator();
    const driver = await connect(pbx);
    const states = connectionStates(driver);
    const from = await requestCount(pbx.wire);
    await fault(pbx.wire, { dropWebsockets: true });
    await vi.waitFor(() => expect(states).toEqual(["reconnecting", "open"]));
    // The session stayed valid: no login, only a new socket and a fresh MyInfo.
    expect(await requestLog(pbx.wire, from)).toEqual([SOCKET_START, `${MYPHONE}#102 200`]);
  });

  it("treats a channel gone quiet as dropped", async () => {
    const pbx = await simulator({ addpIntervalMs: 60_000 });
    const driver = await connect(pbx, { keepAlive: { quietTimeoutMs: 150 } });
    const states = connectionStates(driver);
    await vi.waitFor(() => expect(states.slice(0, 2)).toEqual(["reconnecting", "open"]));
  });
});

describe("start-up and shutdown", () => {
  it("reads the devices over a short-lived channel when events are off", async () => {
    const pbx = await simulator();
    const driver = await connect(pbx, { events: false });
    expect(driver.devices().map((d) => d.contact)).toContain(DESK_PHONE);
    expect(await requestLog(pbx.wire)).toEqual([
      `${V20_LOGIN} 200`,
      `${SESSION} 200`,
      SOCKET_START,
      `${MYPHONE}#102 200`,
    ]);
  });

  it("fails cleanly when RequestMyInfo fails, leaving no timer behind", async () => {
    const pbx = await simulator();
    const snapshot = (await connect(pbx, { events: false })).snapshot()!;
    await fault(pbx.wire, { failNext: { count: 1, status: 503 } });
    const error = await connectError(pbx, { resume: snapshot, timeoutMs: 100 });
    expect(error).toBeInstanceOf(NetworkError);
    // Had the MyInfo wait outlived the failure, it would reject unhandled now.
    await new Promise((resolve) => setTimeout(resolve, 150));
  });

  it("closes a channel that finishes opening after close()", async () => {
    const pbx = await simulator();
    const driver = await connect(pbx);
    const opened: Array<Promise<EventChannel>> = [];
    const open = EventChannel.open.bind(EventChannel);
    vi.spyOn(EventChannel, "open").mockImplementation((options) => {
      const channel = open(options);
      opened.push(channel);
      void driver.close(); // closed while the reconnect is under way
      return channel;
    });
    await fault(pbx.wire, { dropWebsockets: true });
    await vi.waitFor(() => expect(opened).toHaveLength(1));
    const channel = await opened[0]!;
    await vi.waitFor(() => expect(channel.isOpen).toBe(false));
  });

  it("can be closed twice", async () => {
    const pbx = await simulator();
    const driver = await connect(pbx);
    await driver.close();
    await driver.close();
  });
});

describe("wire options pinned by default", () => {
  it("sends no empty Login (100) after START by default", async () => {
    const pbx = await simulator();
    await connect(pbx);
    expect((await requestLog(pbx.wire)).some((line) => line.includes("#100"))).toBe(false);
  });

  it("sends an empty Login (100) right after START with activateWithEmptyLogin", async () => {
    const pbx = await simulator();
    await connect(pbx, { activateWithEmptyLogin: true });
    expect(await requestLog(pbx.wire)).toEqual([
      `${V20_LOGIN} 200`,
      `${SESSION} 200`,
      SOCKET_START,
      `${MYPHONE}#100 200`,
      `${MYPHONE}#102 200`,
    ]);
  });

  function myPhoneAuthorization(spy: { mock: { calls: unknown[][] } }): unknown[] {
    return spy.mock.calls
      .filter(([, path]) => path === "/MyPhone/MPWebService.asmx")
      .map(
        ([, , options]) => (options as { headers?: Record<string, string> }).headers?.authorization,
      );
  }

  it("sends no bearer token to MPWebService by default, and one when asked", async () => {
    const pbx = await simulator();
    const spy = vi.spyOn(PbxHttp.prototype, "request");
    await connect(pbx);
    expect(myPhoneAuthorization(spy)).toEqual([undefined]);
    spy.mockClear();
    await connect(pbx, { sendBearerToMyPhone: true });
    expect(myPhoneAuthorization(spy)).toEqual([expect.stringMatching(/^Bearer \S+$/)]);
  });

  for (const echoAddp of [false, true]) {
    it(`${echoAddp ? "echoes" : "does not echo"} ADDP keep-alives (echoAddp ${echoAddp})`, async () => {
      const pbx = await simulator({ addpIntervalMs: 20 });
      const received = vi.spyOn(WebSocket.prototype, "emit");
      const sent = vi.spyOn(WebSocket.prototype, "send");
      await connect(pbx, { keepAlive: { echoAddp } });
      const isClient = (socket: unknown) => !(socket as { _isServer: boolean })._isServer;
      const addpReceived = () =>
        received.mock.calls.filter(
          ([event, data], i) =>
            event === "message" && String(data) === "ADDP" && isClient(received.mock.contexts[i]),
        ).length;
      await vi.waitFor(() => expect(addpReceived()).toBeGreaterThanOrEqual(3));
      const clientSends = () => sent.mock.calls.filter((_, i) => isClient(sent.mock.contexts[i]));
      // An echo may follow its ADDP a moment later: wait for it rather than race it.
      if (echoAddp) await vi.waitFor(() => expect(clientSends().length).toBeGreaterThanOrEqual(3));
      const echoes = clientSends();
      if (!echoAddp) expect(echoes).toEqual([]);
      expect(echoes.every(([data]) => data === "ADDP")).toBe(true);
    });
  }
});
