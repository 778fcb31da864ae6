// `dial3cx doctor [--json]`: walks the path a call takes, one check per step, and says which step
// broke and how to fix it: settings, reachability, TLS, PBX version, login, MyPhone session,
// websocket, devices, the web-client driver and the Call Control driver. Exits 0 when every
// configured check passes, else with the exit code of the first failure.
//
// It is careful with the PBX: the version is told without logging in (a login request with an
// empty body: 404 where that login does not exist, 400 where it does), and the configured
// password is sent once. A wrong password is never retried: 3CX blocks addresses after failures.
import { connect as tcpConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { create } from "@bufbuild/protobuf";
import { callControlProblem } from "../../drivers/callcontrol/api.js";
import { CallControlDriver } from "../../drivers/callcontrol/driver.js";
import { PbxHttp } from "../../drivers/http.js";
import {
  fetchPeerCertificate,
  normaliseFingerprint,
  resolveTlsTrust,
  type TlsTrust,
  tlsConnectOptions,
  toTlsError,
} from "../../drivers/tls.js";
import { EventChannel, SessionExpiredOnOpen } from "../../drivers/webclient/channel.js";
import { WebClientDriver } from "../../drivers/webclient/driver.js";
import {
  type Credentials,
  logIn,
  type MyPhoneSession,
  openMyPhoneSession,
  type PbxVersion,
  SessionRefusedError,
} from "../../drivers/webclient/login.js";
import { postMyPhone } from "../../drivers/webclient/myphone-api.js";
import { toDriverDevice } from "../../drivers/webclient/registrations.js";
import {
  Dial3cxError,
  type ErrorCode,
  NetworkError,
  NoDeviceError,
  NotLoggedInError,
  ProtocolError,
  TlsError,
} from "../../errors.js";
import { accountName, callControlCredentials } from "../../features/account.js";
import { describeDevice } from "../../features/devices.js";
import type { Settings } from "../../features/settings/config.js";
import {
  keyringStore,
  type PasswordSource,
  resolvePassword,
  type SecretStore,
} from "../../features/settings/secrets.js";
import { type DecodedMessage, encodeMessage, isMessage } from "../../protocol/codec.js";
import { ActionType, RequestMyInfoSchema } from "../../protocol/gen/myphone_pb.js";
import { type ConnectionFlags, type Io, loadContext, readAll, writeJson } from "../context.js";

export interface DoctorFlags extends ConnectionFlags {
  /** --driver auto|webclient|callcontrol */
  driver?: string;
  /** --client-id (the API key comes from DIAL3CX_API_KEY or the keyring only) */
  clientId?: string;
}

export type CheckId =
  | "settings"
  | "reachable"
  | "tls"
  | "version"
  | "login"
  | "session"
  | "websocket"
  | "devices"
  | "webclient"
  | "callcontrol";

export type CheckStatus = "pass" | "fail" | "skip";

export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a failure (or a skipped check worth acting on). */
  fix?: string;
  /** Failures: the error's code and CLI exit code. */
  code?: ErrorCode | "internal";
  exitCode?: number;
  ms?: number;
}

export interface DoctorReport {
  ok: boolean;
  exitCode: number;
  driver: { configured: Settings["driver"] | null; selected: "webclient" | "callcontrol" | null };
  checks: CheckResult[];
}

/** For tests: time-outs, a secret store, and a hook run before each check (to inject faults). */
export interface DoctorOptions {
  timeoutMs?: number;
  store?: SecretStore;
  beforeCheck?: (id: CheckId) => Promise<void>;
}

const TITLES: Record<CheckId, string> = {
  settings: "Settings",
  reachable: "PBX reachable",
  tls: "TLS",
  version: "PBX version",
  login: "Login",
  session: "MyPhone session",
  websocket: "Websocket",
  devices: "Devices",
  webclient: "Web-client driver",
  callcontrol: "Call Control driver",
};

const MARKS: Record<CheckStatus, string> = { pass: "✓", fail: "✗", skip: "–" };

export async function runDoctor(
  flags: DoctorFlags,
  io: Io,
  options: DoctorOptions = {},
): Promise<number> {
  const report = await diagnose(flags, io, options);
  if (flags.json) writeJson(io, report);
  else io.stdout.write(renderReport(report));
  return report.exitCode;
}

export function renderReport(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.title.length));
  const lines = report.checks.map((check) => {
    // Error messages name their own fix; with a fix of ours, their first sentence is enough.
    const detail = check.fix ? firstSentence(check.detail) : check.detail;
    const fix = check.fix ? ` → ${check.fix}` : "";
    return `${MARKS[check.status]} ${check.title.padEnd(width)}  ${detail}${fix}`;
  });
  const { configured, selected } = report.driver;
  if (configured) {
    const used = selected ? (selected === "callcontrol" ? "Call Control" : "web client") : "none";
    lines.push(`Driver: ${configured}${configured === "auto" ? ` → ${used}` : ""}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Up to the first ". " followed by a capital letter (so "e.g. x" and "1.2" stay whole). */
function firstSentence(text: string): string {
  const end = text.search(/\.\s+[A-Z]/);
  return end === -1 ? text : text.slice(0, end + 1);
}

// ---------------------------------------------------------------------------------------------
// The run

/** What the checks learn and hand on; closed at the end. */
interface Probe {
  settings: Settings;
  base: URL;
  timeoutMs: number;
  store: SecretStore;
  trust?: TlsTrust;
  http?: PbxHttp;
  version?: PbxVersion;
  password?: string;
  credentials?: Credentials;
  session?: MyPhoneSession;
  channel?: EventChannel;
  webClientOk?: boolean;
}

class CheckFailed extends Error {
  constructor(
    readonly error: unknown,
    readonly fix?: string,
  ) {
    super(error instanceof Error ? error.message : String(error));
  }
}

/** A check's outcome: a pass (detail), a skip (detail and maybe a fix), or it throws. */
type Outcome = string | { skip: string; fix?: string };

async function diagnose(flags: DoctorFlags, io: Io, options: DoctorOptions): Promise<DoctorReport> {
  const checks: CheckResult[] = [];
  const run = async (id: CheckId, check: () => Promise<Outcome>): Promise<boolean> => {
    await options.beforeCheck?.(id);
    const result = await runCheck(id, check);
    checks.push(result);
    return result.status !== "fail";
  };
  const skip = (id: CheckId, detail: string) =>
    checks.push({ id, title: TITLES[id], status: "skip", detail });

  let settings: Settings | undefined;
  await run("settings", async () => {
    settings = await loadSettings(flags, io);
    return describeSettings(settings);
  });
  if (!settings) return finish(checks, undefined, null);
  const probe: Probe = {
    settings,
    base: new URL(settings.pbx!),
    timeoutMs: options.timeoutMs ?? 10_000,
    store: options.store ?? keyringStore(),
  };
  try {
    const infrastructure: Array<[CheckId, () => Promise<Outcome>]> = [
      ["reachable", () => checkReachable(probe)],
      ["tls", () => checkTls(probe)],
      ["version", () => checkVersion(probe)],
    ];
    for (const [index, [id, check]] of infrastructure.entries()) {
      if (await run(id, check)) continue;
      const later: CheckId[] = [
        ...infrastructure.slice(index + 1).map(([other]) => other),
        ...["login", "session", "websocket", "devices", "webclient", "callcontrol"],
      ] as CheckId[];
      for (const other of later) skip(other, `not checked: ${TITLES[id]} failed`);
      return finish(checks, settings, null);
    }
    await webClientChecks(probe, flags, io, run, skip);
    let callControlOk = false;
    await run("callcontrol", async () => {
      const outcome = await checkCallControl(probe, io);
      callControlOk = typeof outcome === "string";
      return outcome;
    });
    return finish(checks, settings, selectedDriver(settings, callControlOk, probe.webClientOk));
  } finally {
    probe.channel?.close();
    await probe.http?.close();
  }
}

type Runner = (id: CheckId, check: () => Promise<Outcome>) => Promise<boolean>;

async function webClientChecks(
  probe: Probe,
  flags: DoctorFlags,
  io: Io,
  run: Runner,
  skip: (id: CheckId, detail: string) => void,
): Promise<void> {
  const rest: CheckId[] = ["login", "session", "websocket", "devices", "webclient"];
  const found = await passwordFor(probe, flags, io).catch((error: unknown) => error);
  if (found === undefined && probe.settings.driver === "callcontrol") {
    for (const id of rest) skip(id, "not checked: no password, and the driver is Call Control");
    return;
  }
  const steps: Array<[CheckId, () => Promise<Outcome>]> = [
    ["login", () => checkLogin(probe, flags, found)],
    ["session", () => checkSession(probe)],
    ["websocket", () => checkWebsocket(probe)],
    ["devices", () => checkDevices(probe)],
  ];
  for (const [index, [id, check]] of steps.entries()) {
    if (await run(id, check)) continue;
    // Without a session nothing further can be tried; without devices the driver still can.
    if (id === "devices") break;
    for (const later of rest.slice(index + 1)) skip(later, `not checked: ${TITLES[id]} failed`);
    return;
  }
  await run("webclient", () => checkWebClientDriver(probe));
}

async function runCheck(id: CheckId, check: () => Promise<Outcome>): Promise<CheckResult> {
  const started = performance.now();
  const base = { id, title: TITLES[id] };
  try {
    const outcome = await check();
    const ms = Math.round(performance.now() - started);
    if (typeof outcome === "string") return { ...base, status: "pass", detail: outcome, ms };
    return {
      ...base,
      status: "skip",
      detail: outcome.skip,
      ...(outcome.fix ? { fix: outcome.fix } : {}),
    };
  } catch (thrown) {
    const ms = Math.round(performance.now() - started);
    const error = thrown instanceof CheckFailed ? thrown.error : thrown;
    const fix = thrown instanceof CheckFailed ? thrown.fix : undefined;
    const typed = error instanceof Dial3cxError;
    return {
      ...base,
      status: "fail",
      detail: error instanceof Error ? error.message : String(error),
      ...(fix ? { fix } : {}),
      code: typed ? error.code : "internal",
      exitCode: typed ? error.exitCode : 1,
      ms,
    };
  }
}

function finish(
  checks: CheckResult[],
  settings: Settings | undefined,
  selected: DoctorReport["driver"]["selected"],
): DoctorReport {
  const failed = checks.find((c) => c.status === "fail");
  return {
    ok: !failed,
    exitCode: failed?.exitCode ?? 0,
    driver: { configured: settings?.driver ?? null, selected },
    checks,
  };
}

function selectedDriver(
  settings: Settings,
  callControlOk: boolean,
  webClientOk: boolean | undefined,
): DoctorReport["driver"]["selected"] {
  if (settings.driver === "webclient") return webClientOk ? "webclient" : null;
  if (settings.driver === "callcontrol") return callControlOk ? "callcontrol" : null;
  if (callControlOk) return "callcontrol";
  return webClientOk ? "webclient" : null;
}

// ---------------------------------------------------------------------------------------------
// Settings, network, TLS, version

async function loadSettings(flags: DoctorFlags, io: Io): Promise<Settings> {
  const { settings } = await loadContext(flags, io);
  if (!settings.pbx || !settings.extension) {
    throw new NotLoggedInError(
      "No PBX or extension configured: run `dial3cx login`, or pass --pbx and --extension.",
    );
  }
  return settings;
}

function describeSettings(settings: Settings): string {
  const api = settings.clientId ? `, API client ${settings.clientId}` : "";
  return `${settings.pbx}, extension ${settings.extension}, driver ${settings.driver}${api}`;
}

function hostAndPort(base: URL): { host: string; port: number } {
  const port = Number(base.port || (base.protocol === "https:" ? 443 : 80));
  return { host: base.hostname.replace(/^\[|\]$/g, ""), port };
}

const TCP_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused: nothing listens on that port (is the port right?)",
  ENOTFOUND: "host not found: check the host name",
  EAI_AGAIN: "host name lookup failed: check your DNS or network",
  EHOSTUNREACH: "host unreachable: check your network or VPN",
  ENETUNREACH: "network unreachable: check your network or VPN",
  ECONNRESET: "connection reset",
};

function checkReachable(probe: Probe): Promise<Outcome> {
  const { host, port } = hostAndPort(probe.base);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port, timeout: probe.timeoutMs });
    socket.once("connect", () => {
      socket.destroy();
      resolve(
        `${host}:${port} accepts connections (${Math.round(performance.now() - started)} ms)`,
      );
    });
    socket.once("timeout", () => {
      socket.destroy();
      reject(
        new CheckFailed(
          new NetworkError(`${host}:${port} did not answer within ${probe.timeoutMs} ms.`),
          "check the PBX URL, your network, VPN or firewall",
        ),
      );
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      const reason = TCP_REASONS[error.code ?? ""] ?? error.message;
      reject(
        new CheckFailed(
          new NetworkError(`Cannot connect to ${host}:${port}: ${reason}.`, { cause: error }),
          "check the PBX URL (the 3CX web-client address, e.g. https://pbx.example.com:5001)",
        ),
      );
    });
  });
}

async function checkTls(probe: Probe): Promise<Outcome> {
  const { settings, base } = probe;
  const tls = { ca: settings.ca, fingerprint: settings.fingerprint, insecure: settings.insecure };
  if (base.protocol !== "https:") {
    probe.trust = await resolveTlsTrust(base, tls);
    return {
      skip: "plain http: the session travels unencrypted",
      fix: "use https:// if the PBX offers it",
    };
  }
  const cert = await fetchPeerCertificate(base, probe.timeoutMs).catch((error: unknown) => {
    throw new CheckFailed(error, "the port may not speak TLS: check the URL");
  });
  const fingerprint = cert.fingerprint256;
  if (settings.insecure) {
    probe.trust = await resolveTlsTrust(base, tls);
    return {
      skip: `verification is OFF (--insecure); certificate SHA-256 ${fingerprint}`,
      fix: "pin the certificate instead: dial3cx login",
    };
  }
  if (settings.fingerprint) {
    const pinned = normaliseFingerprint(settings.fingerprint);
    if (pinned !== fingerprint) {
      throw new CheckFailed(
        new TlsError(
          `The certificate changed: its SHA-256 fingerprint is ${fingerprint}, not the pinned ${pinned}.`,
        ),
        "if the PBX really got a new certificate, run dial3cx login to pin it again",
      );
    }
    probe.trust = await resolveTlsTrust(base, tls);
    return `pinned certificate matches (SHA-256 ${fingerprint})`;
  }
  probe.trust = await resolveTlsTrust(base, tls);
  await verifyChain(probe, probe.trust).catch((error: unknown) => {
    throw new CheckFailed(
      toTlsError(error, base.host) ?? error,
      `certificate not trusted (SHA-256 ${fingerprint}): run dial3cx login to pin it, or pass --ca FILE`,
    );
  });
  return `trusted (${probe.trust.description}); SHA-256 ${fingerprint}`;
}

/** A TLS handshake with full verification (chain and host name), sending nothing. */
function verifyChain(probe: Probe, trust: TlsTrust): Promise<void> {
  const { host, port } = hostAndPort(probe.base);
  const isName = !/^[\d.]+$/.test(host) && !host.includes(":");
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host,
      port,
      ...(isName ? { servername: host } : {}),
      ...tlsConnectOptions(trust),
      timeout: probe.timeoutMs,
    });
    socket.once("secureConnect", () => {
      socket.destroy();
      resolve();
    });
    socket.once("timeout", () => {
      socket.destroy();
      reject(new TlsError(`TLS handshake with ${host}:${port} timed out.`));
    });
    socket.once("error", reject);
  });
}

const V20_LOGIN = "/webclient/api/Login/GetAccessToken";
const V18_LOGIN = "/webclient/api/Login";

async function checkVersion(probe: Probe): Promise<Outcome> {
  probe.http = new PbxHttp(probe.base, probe.trust!, { timeoutMs: probe.timeoutMs });
  if (await loginPathExists(probe.http, V20_LOGIN)) {
    probe.version = 20;
    return `3CX V20 (${V20_LOGIN} exists)`;
  }
  if (await loginPathExists(probe.http, V18_LOGIN)) {
    probe.version = 18;
    return `3CX V18 (${V18_LOGIN} exists; no V20 token login)`;
  }
  throw new CheckFailed(
    new ProtocolError(
      `${probe.base.origin} has no 3CX web-client login (404 on the V20 and V18 login paths).`,
    ),
    "check the PBX URL: it is the address of the 3CX web client, e.g. https://pbx.example.com:5001",
  );
}

/**
 * A login request with an empty body: no user, no password, so no failed login to count [?].
 * 404: the path does not exist; 5xx: the PBX is failing; anything else: it exists.
 */
async function loginPathExists(http: PbxHttp, path: string): Promise<boolean> {
  const response = await http.request("POST", path, {
    headers: { "content-type": "application/json" },
    body: "",
  });
  if (response.status >= 500) {
    throw new CheckFailed(
      new NetworkError(
        `The PBX answered HTTP ${response.status} to a request for ${path}: it is up but failing.`,
      ),
      "try again later; if it persists, the PBX (or a proxy in front of it) needs attention",
    );
  }
  return response.status !== 404;
}

// ---------------------------------------------------------------------------------------------
// Web client

async function passwordFor(
  probe: Probe,
  flags: DoctorFlags,
  io: Io,
): Promise<{ password: string; source: PasswordSource } | undefined> {
  return resolvePassword({
    account: accountName(probe.settings),
    store: probe.store,
    passwordCommand: probe.settings.passwordCommand,
    env: io.env,
    stdin: flags.passwordStdin ? () => readAll(io.stdin) : undefined,
  });
}

const PASSWORD_SOURCES: Record<PasswordSource, string> = {
  stdin: "standard input",
  keyring: "the keyring",
  password_command: "password_command",
  env: "DIAL3CX_PASSWORD",
};

/** `found`: the password and its source, undefined when there is none, or why reading it failed. */
async function checkLogin(probe: Probe, flags: DoctorFlags, found: unknown): Promise<Outcome> {
  if (found instanceof Error) throw new CheckFailed(found);
  if (!found) {
    throw new CheckFailed(
      new NotLoggedInError(`No password for extension ${probe.settings.extension}.`),
      "run dial3cx login, or set password_command in the config or DIAL3CX_PASSWORD",
    );
  }
  const { password, source } = found as { password: string; source: PasswordSource };
  probe.password = password;
  try {
    probe.credentials = await logIn(probe.http!, {
      extension: probe.settings.extension!,
      password,
      securityCode: flags.code,
      pbxVersion: probe.version,
    });
  } catch (error) {
    throw new CheckFailed(error, loginFix(error));
  }
  const how = probe.credentials.pbxVersion === 20 ? "token login" : "cookie login";
  return `extension ${probe.settings.extension} logged in (${how}, password from ${PASSWORD_SOURCES[source]})`;
}

function loginFix(error: unknown): string | undefined {
  const code = error instanceof Dial3cxError ? error.code : undefined;
  if (code === "two_factor_required") return "pass --code with the current 2FA code";
  if (code === "blocked") return "wait, or ask the PBX admin to unblock this address";
  if (code === "auth") return "run dial3cx login to store the right password";
  return undefined;
}

async function checkSession(probe: Probe): Promise<Outcome> {
  try {
    probe.session = await openMyPhoneSession(probe.http!, probe.credentials!);
  } catch (error) {
    if (!(error instanceof SessionRefusedError)) throw error;
    throw new CheckFailed(
      new ProtocolError("The PBX refused a MyPhone session right after the login (HTTP 401/403)."),
      "check that the extension may use the 3CX web client (log in once in a browser)",
    );
  }
  return "opened";
}

async function checkWebsocket(probe: Probe): Promise<Outcome> {
  const started = performance.now();
  try {
    probe.channel = await EventChannel.open({
      base: probe.base,
      trust: probe.trust!,
      sessionKey: probe.session!.sessionKey,
      pass: probe.session!.pass,
      cookieHeader: probe.http!.cookieHeader() || undefined,
      startTimeoutMs: probe.timeoutMs,
    });
  } catch (error) {
    if (error instanceof SessionExpiredOnOpen) {
      throw new CheckFailed(
        new ProtocolError(
          "The PBX refused the event channel (NOT AUTH) for the session it had just opened.",
        ),
        "the session expired at once: check the PBX's clock and session settings, then try again",
      );
    }
    throw new CheckFailed(error, "a proxy or firewall in front of the PBX may block websockets");
  }
  return `START received (${Math.round(performance.now() - started)} ms)`;
}

/** RequestMyInfo (102): the full MyInfo arrives on the websocket (or as the answer). */
async function checkDevices(probe: Probe): Promise<Outcome> {
  const channel = probe.channel!;
  if (!channel.isOpen) {
    throw new CheckFailed(
      new NetworkError("The event channel closed before the device list arrived."),
      "the PBX or a proxy drops websockets: check idle time-outs on the way",
    );
  }
  const arrived = new Promise<DecodedMessage>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new ProtocolError("The PBX sent no MyInfo after RequestMyInfo (102).")),
      probe.timeoutMs,
    );
    channel.on("message", (message) => {
      if (!isMessage(message, 201) || message.message.action !== ActionType.FULL_UPDATE) return;
      clearTimeout(timer);
      resolve(message);
    });
    channel.once("close", () => {
      clearTimeout(timer);
      reject(
        new CheckFailed(
          new NetworkError("The event channel closed before the device list arrived."),
          "the PBX or a proxy drops websockets: check idle time-outs on the way",
        ),
      );
    });
  });
  arrived.catch(() => undefined); // rejections are read below, or the request failed first
  const answer = await postMyPhone(probe.http!, encodeMessage(102, create(RequestMyInfoSchema)), {
    sessionKey: probe.session!.sessionKey,
  });
  const info = isMessage(answer, 201) ? answer : await arrived;
  const registrations = isMessage(info, 201) ? (info.message.activeDevices?.items ?? []) : [];
  const devices = registrations.map((r) => describeDevice(toDriverDevice(r)));
  if (devices.length === 0) {
    throw new CheckFailed(new NoDeviceError(), "start your desk phone or 3CX app");
  }
  return `${devices.length} registered: ${devices.map((d) => d.name).join(", ")}`;
}

/** The whole driver on the doctor's session: its own channel, MyInfo, devices and calls. */
async function checkWebClientDriver(probe: Probe): Promise<Outcome> {
  const { settings, session, credentials, http } = probe;
  const driver = await WebClientDriver.connect({
    pbx: settings.pbx!,
    extension: settings.extension!,
    password: probe.password,
    tls: { ca: settings.ca, fingerprint: settings.fingerprint, insecure: settings.insecure },
    resume: {
      pbxVersion: credentials!.pbxVersion,
      sessionKey: session!.sessionKey,
      pass: session!.pass,
      accessToken: credentials!.accessToken,
      accessTokenExpiresAt: credentials!.accessTokenExpiresAt,
      cookies: Object.fromEntries(http!.cookies),
      devices: [],
    },
    events: true,
    timeoutMs: probe.timeoutMs,
  });
  try {
    probe.webClientOk = true;
    return `ready: ${count(driver.devices().length, "device")}, ${count(driver.calls().length, "call")}`;
  } finally {
    await driver.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Call Control

const CALL_CONTROL_FIXES = {
  credentials:
    "wrong client id or API key: check client_id / DIAL3CX_CLIENT_ID and DIAL3CX_API_KEY",
  unavailable: '404 on a V18 PBX: Call Control needs 3CX V20; use driver = "webclient"',
  unlicensed: 'licence without Call Control API (Enterprise needed): use driver = "webclient"',
  unknown_dn: "check the extension number",
} as const;

async function checkCallControl(probe: Probe, io: Io): Promise<Outcome> {
  const { settings } = probe;
  if (!settings.clientId) {
    return {
      skip: "not configured",
      fix: "to use the official API: set client_id and DIAL3CX_API_KEY",
    };
  }
  if (settings.driver === "webclient") return { skip: 'not used (driver = "webclient")' };
  const credentials = await callControlCredentials(
    { settings: { ...settings, driver: "callcontrol" }, env: io.env },
    probe.store,
  ).catch((error: unknown) => {
    throw new CheckFailed(error, "set DIAL3CX_API_KEY, or store the key in the keyring");
  });
  let driver: CallControlDriver;
  try {
    driver = await CallControlDriver.connect({
      pbx: settings.pbx!,
      extension: settings.extension!,
      clientId: credentials!.clientId,
      apiKey: credentials!.apiKey,
      tls: { ca: settings.ca, fingerprint: settings.fingerprint, insecure: settings.insecure },
      events: true,
      timeoutMs: probe.timeoutMs,
    });
  } catch (error) {
    throw new CheckFailed(error, callControlFix(error, probe));
  }
  try {
    const devices = driver.devices().map((d) => describeDevice(d).name);
    const listed = devices.length ? `: ${devices.join(", ")}` : "";
    return `token granted to API client ${settings.clientId}, extension ${settings.extension} monitored, ${count(devices.length, "device")}${listed}, events open`;
  } finally {
    await driver.close();
  }
}

function callControlFix(error: unknown, probe: Probe): string | undefined {
  const problem = callControlProblem(error);
  if (problem === "not_monitored") {
    return `extension ${probe.settings.extension} not monitored by API client ${probe.settings.clientId}: add it under Integrations → API`;
  }
  if (problem === "unavailable" && probe.version !== 18) {
    return 'this PBX has no Call Control API: use driver = "webclient"';
  }
  return problem ? CALL_CONTROL_FIXES[problem] : undefined;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
