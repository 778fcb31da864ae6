// The checks of `dial3cx doctor`: which steps of a call's path are checked, in which order
// (settings, reachability, TLS, PBX version, login, MyPhone session, websocket, devices, the
// web-client driver, the Call Control driver), which are skipped after a failure, and the fix
// named for each failure. Careful with the PBX: the version is told without logging in, and the
// configured password is sent once (3CX blocks addresses after failed logins).
import { request as httpRequest } from "node:http";
import path from "node:path";
import { callControlProblem } from "../../drivers/callcontrol/api.js";
import {
  CallControlDriver,
  type CallControlObservations,
} from "../../drivers/callcontrol/driver.js";
import { listedTypes } from "../../drivers/callcontrol/model.js";
import { type ProbeProblem, probeProblem, probeTcp, verifyTlsChain } from "../../drivers/probe.js";
import {
  fetchPeerCertificate,
  normaliseFingerprint,
  resolveTlsTrust,
  type TlsOptions,
  type TlsTrust,
} from "../../drivers/tls.js";
import { WebClientDiagnosis } from "../../drivers/webclient/diagnostics.js";
import { WebClientDriver } from "../../drivers/webclient/driver.js";
import type { PbxVersion } from "../../drivers/webclient/login.js";
import { Dial3cxError, NoDeviceError, NotLoggedInError, TlsError } from "../../errors.js";
import { accountName, apiClientLogin, callControlCredentials } from "../calls/account.js";
import { describeDevice } from "../calls/devices.js";
import type { Settings } from "../settings/config.js";
import { appPaths } from "../settings/paths.js";
import {
  keyringStore,
  type PasswordSource,
  resolvePassword,
  type SecretStore,
} from "../settings/secrets.js";
import {
  CheckFailed,
  type CheckId,
  type CheckResult,
  type DoctorReport,
  finish,
  type Outcome,
  runCheck,
  selectedDriver,
  step,
  TITLES,
} from "./report.js";

/** What the front end hands in: how to load the settings, and where a password may come from. */
export interface DoctorInput {
  /** Resolves the settings (flags > environment > config file); a failure fails "settings". */
  loadSettings: () => Promise<Settings>;
  env: NodeJS.ProcessEnv;
  /** Reads the password from standard input (--password-stdin). */
  stdinPassword?: () => Promise<string>;
  /** The 2FA code for the one login (--code). */
  securityCode?: string;
}

/** For tests: time-outs, a secret store, and a hook run before each check (to inject faults). */
export interface DoctorOptions {
  timeoutMs?: number;
  store?: SecretStore;
  beforeCheck?: (id: CheckId) => Promise<void>;
}

const WEB_CLIENT_CHECKS: CheckId[] = ["login", "session", "websocket", "devices", "webclient"];

/** Runs every check that can run; never throws for a PBX, network or settings fault. */
export async function diagnose(
  input: DoctorInput,
  options: DoctorOptions = {},
): Promise<DoctorReport> {
  const checks: CheckResult[] = [];
  const run: Runner = async (id, check) => {
    await options.beforeCheck?.(id);
    const result = await runCheck(id, check);
    checks.push(result);
    return result.status !== "fail";
  };
  const skip: Skipper = (id, detail) =>
    checks.push({ id, title: TITLES[id], status: "skip", detail });

  let settings: Settings | undefined;
  await run("settings", async () => {
    settings = requireConnection(await input.loadSettings());
    return describeSettings(settings);
  });
  const done = async (found: Settings | undefined, driver: Parameters<typeof finish>[2]) => {
    await run("gateway", () => checkGateway(input.env, options.timeoutMs ?? 10_000));
    return finish(checks, found, driver);
  };
  if (!settings) return done(undefined, null);
  const state: RunState = {
    input,
    settings,
    base: new URL(settings.pbx!),
    timeoutMs: options.timeoutMs ?? 10_000,
    store: options.store ?? keyringStore(),
  };
  try {
    if (!(await infrastructureChecks(state, run, skip))) return done(settings, null);
    await webClientChecks(state, run, skip);
    let callControlOk = false;
    await run("callcontrol", async () => {
      const outcome = await checkCallControl(state);
      callControlOk = typeof outcome === "string";
      return outcome;
    });
    return done(settings, selectedDriver(settings, callControlOk, state.webClientOk));
  } finally {
    await state.webClient?.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The running gateway

/**
 * A `dial3cx serve` on this account's unix socket, asked through /healthz (no token): whether
 * the PBX refused its login, in which case it sends no login until the password is fixed.
 */
async function checkGateway(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Outcome> {
  const runtimeDir = appPaths(env).runtimeDir;
  if (runtimeDir === undefined) return { skip: "no XDG_RUNTIME_DIR, so no gateway socket" };
  // The name `dial3cx serve` gives its socket (gateway/server.ts SOCKET_FILE_NAME).
  const socketPath = path.join(runtimeDir, "gateway.sock");
  const health = await new Promise<{ loginRefused?: unknown } | undefined>((resolve) => {
    const request = httpRequest(
      { socketPath, path: "/healthz", headers: { host: "localhost" }, timeout: timeoutMs },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
        });
        response.on("end", () => {
          try {
            resolve(JSON.parse(text) as { loginRefused?: unknown });
          } catch {
            resolve(undefined);
          }
        });
      },
    );
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve(undefined));
    request.end();
  });
  if (!health) return { skip: "no gateway running (dial3cx serve)" };
  const refused = Number(health.loginRefused ?? 0);
  if (refused > 0) {
    throw new CheckFailed(
      new Dial3cxError(
        "auth_failed",
        `the running gateway's PBX login was refused (${refused} extension${refused === 1 ? "" : "s"}): it logs in again only with another password`,
      ),
      "fix the password (dial3cx login or password_command), then POST /v1/accounts/<extension>/retry with its token, or restart dial3cx serve; GET /v1/status says why",
    );
  }
  return "running, logged in";
}

// ---------------------------------------------------------------------------------------------
// The run

/** What the checks learn and hand on; the web-client diagnosis is closed at the end. */
interface RunState {
  input: DoctorInput;
  settings: Settings;
  base: URL;
  timeoutMs: number;
  store: SecretStore;
  trust?: TlsTrust;
  webClient?: WebClientDiagnosis;
  version?: PbxVersion;
  password?: string;
  webClientOk?: boolean;
}

type Runner = (id: CheckId, check: () => Promise<Outcome>) => Promise<boolean>;
type Skipper = (id: CheckId, detail: string) => void;

/** Reachability, TLS and version; on a failure, every later check is skipped. */
async function infrastructureChecks(state: RunState, run: Runner, skip: Skipper): Promise<boolean> {
  const steps: Array<[CheckId, () => Promise<Outcome>]> = [
    ["reachable", () => checkReachable(state)],
    ["tls", () => checkTls(state)],
    ["version", () => checkVersion(state)],
  ];
  for (const [index, [id, check]] of steps.entries()) {
    if (await run(id, check)) continue;
    const later: CheckId[] = [
      ...steps.slice(index + 1).map(([other]) => other),
      ...WEB_CLIENT_CHECKS,
      "callcontrol",
    ];
    for (const other of later) skip(other, `not checked: ${TITLES[id]} failed`);
    return false;
  }
  return true;
}

async function webClientChecks(state: RunState, run: Runner, skip: Skipper): Promise<void> {
  if (state.settings.auth === "api-client") {
    for (const id of WEB_CLIENT_CHECKS.slice(0, -1)) {
      skip(id, 'not checked: auth = "api-client" logs in without a password');
    }
    await run("webclient", () => checkImpersonation(state));
    return;
  }
  const lookup: PasswordLookup = await passwordFor(state).catch((failed: unknown) => ({ failed }));
  if (lookup === undefined && state.settings.driver === "callcontrol") {
    for (const id of WEB_CLIENT_CHECKS) {
      skip(id, "not checked: no password, and the driver is Call Control");
    }
    return;
  }
  const steps: Array<[CheckId, () => Promise<Outcome>]> = [
    ["login", () => checkLogin(state, lookup)],
    ["session", () => checkSession(state)],
    ["websocket", () => checkWebsocket(state)],
    ["devices", () => checkDevices(state)],
  ];
  for (const [index, [id, check]] of steps.entries()) {
    if (await run(id, check)) continue;
    // Without a session nothing further can be tried; without devices the driver still can.
    if (id === "devices") break;
    for (const later of WEB_CLIENT_CHECKS.slice(index + 1)) {
      skip(later, `not checked: ${TITLES[id]} failed`);
    }
    return;
  }
  await run("webclient", () => checkWebClientDriver(state));
}

// ---------------------------------------------------------------------------------------------
// Fixes

/** The fix for each failure a probe tags; the error message says what happened. */
const PROBLEM_FIXES: Record<ProbeProblem, string> = {
  no_answer: "check the PBX URL, your network, VPN or firewall",
  unreachable: "check the PBX URL (the 3CX web-client address, e.g. https://pbx.example.com:5001)",
  pbx_failing:
    "try again later; if it persists, the PBX (or a proxy in front of it) needs attention",
  not_3cx:
    "check the PBX URL: it is the address of the 3CX web client, e.g. https://pbx.example.com:5001",
  session_refused: "check that the extension may use the 3CX web client (log in once in a browser)",
  channel_refused:
    "the session expired at once: check the PBX's clock and session settings, then try again",
  channel_closed: "the PBX or a proxy drops websockets: check idle time-outs on the way",
};

function problemFix(error: unknown): string | undefined {
  const problem = probeProblem(error);
  return problem ? PROBLEM_FIXES[problem] : undefined;
}

/** A refused password is fixed where it came from: `dial3cx login` only changes the keyring. */
const WRONG_PASSWORD_FIXES: Record<PasswordSource, string> = {
  env: "DIAL3CX_PASSWORD is wrong: fix or unset it",
  password_command:
    "the password_command in the config returned a wrong password: fix the password it reads",
  stdin: "the password on standard input was wrong: pass the right one",
  keyring: "run dial3cx login to store the right password",
};

function loginFix(source: PasswordSource): (error: unknown) => string | undefined {
  return (error) => {
    const code = error instanceof Dial3cxError ? error.code : undefined;
    if (code === "two_factor_required") return "pass --code with the current 2FA code";
    if (code === "blocked") return "wait, or ask the PBX admin to unblock this address";
    if (code === "auth") return WRONG_PASSWORD_FIXES[source];
    return undefined;
  };
}

const CALL_CONTROL_FIXES = {
  credentials:
    "wrong client id or API key: check client_id / DIAL3CX_CLIENT_ID and DIAL3CX_API_KEY",
  unavailable: '404 on a V18 PBX: Call Control needs 3CX V20; use driver = "webclient"',
  unlicensed: 'licence without Call Control API (Enterprise needed): use driver = "webclient"',
  unknown_dn: "check the extension number",
} as const;

function callControlFix(error: unknown, state: RunState): string | undefined {
  const problem = callControlProblem(error);
  if (problem === "not_monitored") {
    return `extension ${state.settings.extension} not monitored by API client ${state.settings.clientId}: add it under Integrations → API`;
  }
  if (problem === "unavailable" && state.version !== 18) {
    return 'this PBX has no Call Control API: use driver = "webclient"';
  }
  return problem ? CALL_CONTROL_FIXES[problem] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Settings, network, TLS, version

function requireConnection(settings: Settings): Settings {
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

function tlsOptions(settings: Settings): TlsOptions {
  return { ca: settings.ca, fingerprint: settings.fingerprint, insecure: settings.insecure };
}

async function checkReachable(state: RunState): Promise<Outcome> {
  const { host, port, ms } = await step(probeTcp(state.base, state.timeoutMs), problemFix);
  return `${host}:${port} accepts connections (${ms} ms)`;
}

async function checkTls(state: RunState): Promise<Outcome> {
  const { settings, base } = state;
  const tls = tlsOptions(settings);
  if (base.protocol !== "https:") {
    state.trust = await resolveTlsTrust(base, tls);
    return {
      skip: "plain http: the session travels unencrypted",
      fix: "use https:// if the PBX offers it",
    };
  }
  const cert = await step(
    fetchPeerCertificate(base, state.timeoutMs),
    () => "the port may not speak TLS: check the URL",
  );
  const fingerprint = cert.fingerprint256;
  if (settings.insecure) {
    state.trust = await resolveTlsTrust(base, tls);
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
    state.trust = await resolveTlsTrust(base, tls);
    return `pinned certificate matches (SHA-256 ${fingerprint})`;
  }
  const trust = await resolveTlsTrust(base, tls);
  state.trust = trust;
  await step(
    verifyTlsChain(base, trust, state.timeoutMs),
    () =>
      `certificate not trusted (SHA-256 ${fingerprint}): run dial3cx login to pin it, or pass --ca FILE`,
  );
  return `trusted (${trust.description}); SHA-256 ${fingerprint}`;
}

async function checkVersion(state: RunState): Promise<Outcome> {
  const webClient = new WebClientDiagnosis(state.base, state.trust!, state.timeoutMs);
  state.webClient = webClient;
  const { version, loginPath } = await step(webClient.detectVersion(), problemFix);
  state.version = version;
  return version === 20
    ? `3CX V20 (${loginPath} exists)`
    : `3CX V18 (${loginPath} exists; no V20 token login)`;
}

// ---------------------------------------------------------------------------------------------
// Web client

type FoundPassword = { password: string; source: PasswordSource };
/** The password and its source, undefined when there is none, or why reading it failed. */
type PasswordLookup = FoundPassword | undefined | { failed: unknown };

function passwordFor(state: RunState): Promise<FoundPassword | undefined> {
  const { settings, input } = state;
  return resolvePassword({
    account: accountName(settings),
    store: state.store,
    passwordCommand: settings.passwordCommand,
    env: input.env,
    stdin: input.stdinPassword,
  });
}

const PASSWORD_SOURCES: Record<PasswordSource, string> = {
  stdin: "standard input",
  keyring: "the keyring",
  password_command: "password_command",
  env: "DIAL3CX_PASSWORD",
};

async function checkLogin(state: RunState, lookup: PasswordLookup): Promise<Outcome> {
  const { settings } = state;
  if (lookup && "failed" in lookup) throw new CheckFailed(lookup.failed);
  if (!lookup) {
    throw new CheckFailed(
      new NotLoggedInError(`No password for extension ${settings.extension}.`),
      "run dial3cx login, or set password_command in the config or DIAL3CX_PASSWORD",
    );
  }
  state.password = lookup.password;
  const credentials = await step(
    state.webClient!.logIn({
      extension: settings.extension!,
      password: lookup.password,
      securityCode: state.input.securityCode,
      pbxVersion: state.version,
    }),
    loginFix(lookup.source),
  );
  const how = credentials.pbxVersion === 20 ? "token login" : "cookie login";
  return `extension ${settings.extension} logged in (${how}, password from ${PASSWORD_SOURCES[lookup.source]})`;
}

async function checkSession(state: RunState): Promise<Outcome> {
  await step(state.webClient!.openSession(), problemFix);
  return "opened";
}

async function checkWebsocket(state: RunState): Promise<Outcome> {
  const started = performance.now();
  await step(
    state.webClient!.openChannel(),
    (error) => problemFix(error) ?? "a proxy or firewall in front of the PBX may block websockets",
  );
  return `START received (${Math.round(performance.now() - started)} ms)`;
}

async function checkDevices(state: RunState): Promise<Outcome> {
  const registered = await step(state.webClient!.readDevices(), problemFix);
  const devices = registered.map(describeDevice);
  if (devices.length === 0) {
    throw new CheckFailed(new NoDeviceError(), "start your desk phone or 3CX app");
  }
  return `${devices.length} registered: ${devices.map((d) => d.name).join(", ")}`;
}

/** The whole driver on the doctor's session: its own channel, MyInfo, devices and calls. */
async function checkWebClientDriver(state: RunState): Promise<Outcome> {
  const { settings } = state;
  const driver = await WebClientDriver.connect({
    pbx: settings.pbx!,
    extension: settings.extension!,
    password: state.password,
    tls: tlsOptions(settings),
    resume: state.webClient!.resumeSnapshot(),
    events: true,
    timeoutMs: state.timeoutMs,
  });
  try {
    state.webClientOk = true;
    return `ready: ${count(driver.devices().length, "device")}, ${count(driver.calls().length, "call")}`;
  } finally {
    await driver.close();
  }
}

/** auth = "api-client": the web-client driver on a session the API client opens (3CX 20.0.8+). */
async function checkImpersonation(state: RunState): Promise<Outcome> {
  const { settings } = state;
  const client = await step(
    apiClientLogin({ settings, env: state.input.env }, state.store),
    () => "set client_id, and DIAL3CX_API_KEY or the key in the keyring",
  );
  const driver = await WebClientDriver.connect({
    pbx: settings.pbx!,
    extension: settings.extension!,
    impersonate: client,
    tls: tlsOptions(settings),
    events: true,
    timeoutMs: state.timeoutMs,
  });
  try {
    state.webClientOk = true;
    return `ready as API client ${client.clientId} (no password; this login follows 3CX's test code and has not yet been seen on a live PBX): ${count(driver.devices().length, "device")}, ${count(driver.calls().length, "call")}`;
  } finally {
    await driver.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Call Control

async function checkCallControl(state: RunState): Promise<Outcome> {
  const { settings } = state;
  if (!settings.clientId) {
    return {
      skip: "not configured",
      fix: "to use the official API: set client_id and DIAL3CX_API_KEY",
    };
  }
  if (settings.driver === "webclient") return { skip: 'not used (driver = "webclient")' };
  const credentials = await step(
    callControlCredentials(
      { settings: { ...settings, driver: "callcontrol" }, env: state.input.env },
      state.store,
    ),
    () => "set DIAL3CX_API_KEY, or store the key in the keyring",
  );
  const driver = await step(
    CallControlDriver.connect({
      pbx: settings.pbx!,
      extension: settings.extension!,
      clientId: credentials!.clientId,
      apiKey: credentials!.apiKey,
      tls: tlsOptions(settings),
      events: true,
      timeoutMs: state.timeoutMs,
    }),
    (error) => callControlFix(error, state),
  );
  try {
    const devices = driver.devices().map((d) => describeDevice(d).name);
    const listed = devices.length ? `: ${devices.join(", ")}` : "";
    const types = listedTypes(
      await driver.api.getJson("/callcontrol", settings.extension!).catch(() => undefined),
    );
    return `token granted to API client ${settings.clientId}, extension ${settings.extension} monitored, ${count(devices.length, "device")}${listed}, events open; ${pbxBehaviour(driver, types)}`;
  } finally {
    await driver.close();
  }
}

/** What the PBX showed of the behaviours the driver copes with (reference §10.1). */
function pbxBehaviour(driver: CallControlDriver, types: string[]): string {
  const seen: string[] = [];
  const lifetimes = driver.api.tokenLifetimes();
  if (lifetimes?.jwtLifetime !== undefined && lifetimes.expiresIn !== lifetimes.jwtLifetime) {
    seen.push(
      `token expires_in ${lifetimes.expiresIn ?? "missing"} but the JWT lasts ${lifetimes.jwtLifetime} s (the JWT is used)`,
    );
  } else if (lifetimes) {
    seen.push(`token lasts ${lifetimes.jwtLifetime ?? lifetimes.expiresIn ?? "?"} s`);
  }
  if (types.length) seen.push(`GET /callcontrol lists ${types.join(", ")}`);
  const o: CallControlObservations = driver.observations();
  const counts: Array<[number, string]> = [
    [o.wrappedEvents, "events in 3CX's wrapped form"],
    [o.unwrappedEvents, "bare {EventType, Entity} events"],
    [o.unknownFrames, "frames of unknown shape"],
    [o.upsets, `Upsets (${o.participantGets} participant GETs)`],
    [o.participant403, "participant GETs answered 403 (read from the list)"],
    [o.staleDevice404, "stale device ids (404)"],
  ];
  for (const [n, what] of counts) if (n > 0) seen.push(`${n} ${what}`);
  return `PBX seen: ${seen.join("; ") || "nothing notable yet"}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
