// Starts the simulated PBX: one node:http(s) server on loopback carrying the login routes, the
// MPWebService endpoint, the `/ws/webclient` upgrade, the Call Control API (V20: `/callcontrol`
// and its `/callcontrol/ws` upgrade) and `/__sim/`. Owns the request pipeline
// (body limit, latency, failNext, 404/405, request log, crash guard) and the clean shutdown.
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { ConfigError } from "../errors.js";
import { addAuthRoutes, type LoginFailureMode } from "./auth-routes.js";
import { addCallControlRoutes } from "./callcontrol-routes.js";
import { CALLCONTROL_WS_PATH, CallControlSockets } from "./callcontrol-socket.js";
import { CONTROL_PREFIX, controlRouter } from "./control-routes.js";
import {
  isLoopback,
  methodNotAllowed,
  notFound,
  parseTarget,
  Router,
  type SimRequest,
  type SimResponse,
  text,
} from "./http.js";
import { addMyPhoneRoutes } from "./myphone-routes.js";

import { Pbx } from "./pbx.js";

import { defaultScenario, parseScenario, type Scenario } from "./scenario.js";
import { fingerprintOf, generateSelfSignedCertificate } from "./tls.js";
import { WebclientSockets } from "./websocket.js";

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default 20. */
  pbxVersion?: 20 | 18;
  /** Default: the built-in scenario. */
  scenario?: Scenario;
  /** true: a generated self-signed certificate; or PEM strings. Default: plain http. */
  tls?: boolean | { cert: string; key: string };
  /** Default 5000 (3CX's own mock sends ADDP every 5 s). */
  addpIntervalMs?: number;
  /** The destination answers this long after MakeCall. Default 1500. */
  answerAfterMs?: number;
  /** The remote party hangs up this long after connecting. Default: never. */
  hangupAfterMs?: number;
  /** Delay before every HTTP answer (not `/__sim/`). Default 0. */
  latencyMs?: number;
  /** `expires_in` of access tokens. Default 3600. */
  tokenLifetimeSeconds?: number;
  /** A MyPhone session unused this long expires. Default 600000 (10 min) [?]. */
  sessionIdleMs?: number;
  /** How GetAccessToken refuses a wrong password [?]. Default "status" (200 + AuthFailed). */
  loginFailure?: LoginFailureMode;
  /** Failed logins per address and window before 403. Default 5 in 10 minutes. */
  lockout?: { max: number; windowMs: number };
  /** Clock for tokens, sessions, lockout, TOTP and timestamps. Default Date.now. */
  now?: () => number;
  /**
   * false: a licence without the Call Control API, every `/callcontrol` request gets 403 [?].
   * Default: the scenario's `callControlLicensed`, else true.
   */
  callControlLicensed?: boolean;
  /**
   * `expires_in` of a client_credentials token: a fixed number of seconds whatever the JWT's `exp`
   * (default 60, as a live PBX sent on a token valid about an hour, §10.1 item 4), or the real
   * lifetime in "seconds" (20.0.9 on) or "minutes" (before).
   */
  callControlExpiresIn?: "seconds" | "minutes" | number;
  /** Call Control: a participant not yet connected gets its Upset again this often. Default 750
   *  (pocket-dial, §10.1 item 1); 0 never. */
  callControlUpsetRepeatMs?: number;
}

export interface Simulator {
  url: string;
  host: string;
  port: number;
  pbxVersion: 20 | 18;
  /** SHA-256 fingerprint of the certificate (uppercase colon hex), when TLS is on. */
  fingerprint?: string;
  certPem?: string;
  scenario: Scenario;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const settings = resolveOptions(options);
  const tls = await resolveTls(options.tls);
  const pbx = new Pbx(settings.scenario, settings);
  const router = new Router();
  addAuthRoutes(router, pbx, {
    ...settings,
    clientTokenExpiresIn: settings.callControlExpiresIn,
  });
  addMyPhoneRoutes(router, pbx);
  // The Call Control API came with V20 (reference §10): a V18 answers 404 to all of it.
  if (settings.pbxVersion === 20) addCallControlRoutes(router, pbx);
  const control = controlRouter(pbx, (frame) => apiSockets?.sendRaw(frame) ?? 0);
  const sockets = new WebclientSockets(pbx, settings.addpIntervalMs);
  const apiSockets = settings.pbxVersion === 20 ? new CallControlSockets(pbx) : undefined;
  const pending = new Set<NodeJS.Timeout>();

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handleRequest({ pbx, router, control, pending, secure: tls !== undefined }, req, res).catch(
      () => {
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      },
    );
  };
  const server: Server = tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key }, onRequest)
    : createHttpServer(onRequest);
  server.on("upgrade", (req, socket, head) => {
    try {
      if (apiSockets && parseTarget(req.url)?.pathname === CALLCONTROL_WS_PATH) {
        apiSockets.handleUpgrade(req, socket, head);
      } else sockets.handleUpgrade(req, socket, head);
    } catch {
      socket.destroy(); // a throwing event listener would take the whole process down
    }
  });
  server.on("clientError", (_error, socket) => socket.destroy());

  await listen(server, settings.host, settings.port);
  const port = (server.address() as AddressInfo).port;
  const sweep = setInterval(
    () => pbx.expireIdleSessions(),
    sweepIntervalMs(settings.sessionIdleMs),
  );
  sweep.unref();

  const hostInUrl = settings.host.includes(":") ? `[${settings.host}]` : settings.host;
  return {
    url: `${tls ? "https" : "http"}://${hostInUrl}:${port}`,
    host: settings.host,
    port,
    pbxVersion: settings.pbxVersion,
    ...(tls ? { fingerprint: tls.fingerprint, certPem: tls.cert } : {}),
    scenario: settings.scenario,
    stop: async () => {
      clearInterval(sweep);
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      pbx.stop();
      sockets.stop();
      apiSockets?.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function resolveOptions(options: SimulatorOptions) {
  const settings = {
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 0,
    pbxVersion: options.pbxVersion ?? 20,
    scenario: options.scenario ? parseScenario(options.scenario) : defaultScenario,
    addpIntervalMs: options.addpIntervalMs ?? 5000,
    answerAfterMs: options.answerAfterMs ?? 1500,
    hangupAfterMs: options.hangupAfterMs,
    latencyMs: options.latencyMs ?? 0,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
    sessionIdleMs: options.sessionIdleMs ?? 600_000,
    loginFailure: options.loginFailure ?? "status",
    lockout: options.lockout ?? { max: 5, windowMs: 600_000 },
    now: options.now ?? Date.now,
    callControlLicensed:
      options.callControlLicensed ?? options.scenario?.callControlLicensed ?? true,
    callControlExpiresIn: options.callControlExpiresIn ?? 60,
    upsetRepeatMs: options.callControlUpsetRepeatMs ?? 750,
  };
  const problem = checkSettings(settings);
  if (problem) throw new ConfigError(`Invalid simulator option: ${problem}`);
  return settings;
}

function checkSettings(s: {
  port: number;
  pbxVersion: number;
  addpIntervalMs: number;
  answerAfterMs: number;
  hangupAfterMs: number | undefined;
  latencyMs: number;
  tokenLifetimeSeconds: number;
  sessionIdleMs: number;
  loginFailure: string;
  lockout: { max: number; windowMs: number };
  callControlExpiresIn: string | number;
  upsetRepeatMs: number;
}): string | undefined {
  if (!Number.isInteger(s.port) || s.port < 0 || s.port > 65535) return `port ${s.port}`;
  if (s.pbxVersion !== 20 && s.pbxVersion !== 18) return `pbxVersion ${s.pbxVersion} (20 or 18)`;
  const positive = {
    addpIntervalMs: s.addpIntervalMs,
    tokenLifetimeSeconds: s.tokenLifetimeSeconds,
    sessionIdleMs: s.sessionIdleMs,
  };
  for (const [name, value] of Object.entries(positive)) {
    if (!Number.isFinite(value) || value <= 0) return `${name} ${value} (must be > 0)`;
  }
  const nonNegative = {
    answerAfterMs: s.answerAfterMs,
    hangupAfterMs: s.hangupAfterMs ?? 0,
    latencyMs: s.latencyMs,
  };
  for (const [name, value] of Object.entries(nonNegative)) {
    if (!Number.isFinite(value) || value < 0) return `${name} ${value} (must be >= 0)`;
  }
  if (s.loginFailure !== "status" && s.loginFailure !== "http401")
    return `loginFailure ${s.loginFailure}`;
  if (!(s.lockout.max >= 1) || !(s.lockout.windowMs > 0)) return "lockout (max >= 1, windowMs > 0)";
  const unit = s.callControlExpiresIn;
  if (
    typeof unit === "number"
      ? !(Number.isInteger(unit) && unit > 0)
      : unit !== "seconds" && unit !== "minutes"
  ) {
    return `callControlExpiresIn ${unit} ("seconds", "minutes" or a whole number of seconds)`;
  }
  if (!Number.isFinite(s.upsetRepeatMs) || s.upsetRepeatMs < 0) {
    return `callControlUpsetRepeatMs ${s.upsetRepeatMs} (must be >= 0)`;
  }
  return undefined;
}

async function resolveTls(tls: SimulatorOptions["tls"]) {
  if (!tls) return undefined;
  if (tls === true) return generateSelfSignedCertificate();
  return { cert: tls.cert, key: tls.key, fingerprint: fingerprintOf(tls.cert) };
}

/** Idle sessions are noticed within a quarter of the idle time (at most 1 s late). */
function sweepIntervalMs(sessionIdleMs: number): number {
  return Math.min(1000, Math.max(10, Math.floor(sessionIdleMs / 4)));
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

interface Context {
  pbx: Pbx;
  router: Router;
  control: Router;
  pending: Set<NodeJS.Timeout>;
  secure: boolean;
}

async function handleRequest(
  ctx: Context,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const receivedAt = ctx.pbx.now();
  const url = parseTarget(req.url);
  if (!url) {
    send(res, text(400, "Bad Request"));
    return;
  }
  const remoteAddress = req.socket.remoteAddress ?? "";
  const isControl = url.pathname.startsWith(CONTROL_PREFIX);
  const body = await readBody(req);
  const request: SimRequest = {
    method: req.method ?? "GET",
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body: body ?? Buffer.alloc(0),
    remoteAddress,
    secure: ctx.secure,
  };
  if (isControl) {
    // Non-loopback peers must not even learn that the control API exists.
    const response = isTrustedControlRequest(request)
      ? await route(ctx.control, request)
      : notFound();
    send(res, response);
    return;
  }
  const response = body === undefined ? text(413, "Payload Too Large") : await answer(ctx, request);
  await delay(ctx, ctx.pbx.faults.latencyMs);
  send(res, response);
  ctx.pbx.log({
    time: new Date(receivedAt).toISOString(),
    method: request.method,
    path: request.path,
    ...(response.messageId === undefined ? {} : { messageId: response.messageId }),
    status: response.status,
  });
}

async function answer(ctx: Context, request: SimRequest): Promise<SimResponse> {
  const failNext = ctx.pbx.faults.failNext;
  if (failNext && failNext.count > 0) {
    failNext.count--;
    if (failNext.count === 0) ctx.pbx.faults.failNext = null;
    return text(failNext.status, "Simulated failure");
  }
  return route(ctx.router, request);
}

/** Runs the matching handler; a handler that throws answers 500 and the server keeps serving. */
async function route(router: Router, request: SimRequest): Promise<SimResponse> {
  const match = router.match(request.method, request.path);
  if (match.kind === "not_found") return notFound();
  if (match.kind === "method_not_allowed") return methodNotAllowed(match.allow);
  try {
    return await match.handler(request);
  } catch {
    return text(500, "Internal Server Error");
  }
}

/** The whole body, or undefined when it is larger than the limit (the rest is drained). */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  return size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : undefined;
}

function delay(ctx: Context, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      ctx.pending.delete(timer);
      resolve();
    }, ms);
    ctx.pending.add(timer);
  });
}

function send(res: ServerResponse, response: SimResponse): void {
  if (res.destroyed) return;
  const body = response.body ?? "";
  res.writeHead(response.status, {
    ...response.headers,
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * The control API answers scripts on this machine only: a loopback peer, a loopback Host (no DNS
 * rebinding) and no Origin (browsers send one with every cross-site POST: no web page).
 */
function isTrustedControlRequest(request: {
  remoteAddress: string;
  headers: Record<string, string | string[] | undefined>;
}): boolean {
  if (!isLoopback(request.remoteAddress) || request.headers.origin !== undefined) return false;
  const host = String(request.headers.host ?? "")
    .replace(/:\d+$/, "")
    .replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}
