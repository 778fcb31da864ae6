// Starts and stops the gateway: checks the options, makes sure the tokens exist, logs every
// account in, wires the events to SSE and webhooks, and serves the API on TCP (loopback by
// default; TLS or an explicit opt-out elsewhere) and on a unix socket in the runtime directory
// (dir 0700, socket 0600). Logs one pino line per request to stderr, secrets redacted.
import { chmod, lstat, mkdir, rm, unlink } from "node:fs/promises";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { type AddressInfo, connect as connectSocket } from "node:net";
import path from "node:path";
import { getRequestListener } from "@hono/node-server";
import pino, { type DestinationStream, type Logger } from "pino";
import { Dial3cxError } from "../errors.js";
import { callDevicesFile } from "../features/calls/call-devices.js";
import { dialStringOptions } from "../features/calls/place-call.js";
import { type CallerNameResolver, callerNameResolver } from "../features/contacts/caller-name.js";
import { type GatewayCard, gatewayCardPath } from "../features/desktop/gateway-handoff.js";
import {
  ensureTokens,
  ensureWebhookSecret,
  TokenRegistry,
  tokensFile,
  webhookSecretFile,
} from "../features/settings/gateway-tokens.js";
import type { AppPaths } from "../features/settings/paths.js";
import type { SecretStore } from "../features/settings/secrets.js";
import { isErrnoCode, writeSecureFile } from "../features/settings/secure-file.js";
import { AccountPool, type AccountSpec } from "./accounts.js";
import { createApi, type GatewayEnv, type PlacedCall } from "./api/index.js";
import { EventHub } from "./events.js";
import {
  allowedHostsFor,
  BODY_LIMIT_BYTES,
  CallDeduper,
  checkListenSecurity,
  DEFAULT_LISTEN,
  hostForUrl,
  IdempotencyStore,
  parseListen,
  type RateLimit,
  RateLimiter,
  selfOriginsFor,
  validateAllowedOrigin,
} from "./security.js";
import { validateWebhookUrl, type WebhookOptions, WebhookSender } from "./webhooks.js";

export const SOCKET_FILE_NAME = "gateway.sock";

export interface GatewayOptions {
  /** The extensions to serve (accountFromSettings or readAccountsFile). */
  accounts: AccountSpec[];
  paths: AppPaths;
  env?: NodeJS.ProcessEnv;
  /** Where keyring passwords come from; the OS keyring by default. */
  store?: SecretStore;
  /** "address:port"; default 127.0.0.1:7070. Port 0 picks a free one. */
  listen?: string;
  /** The unix socket's path; default `<runtimeDir>/gateway.sock`; false: none. */
  socket?: string | false;
  /** PEM certificate and key: serve HTTPS on TCP. */
  tls?: { cert: string; key: string };
  /** Serve plain HTTP on a non-loopback address (tokens cross the network in clear). */
  allowPlainHttp?: boolean;
  /** Web origins (https://crm.example.com) allowed to call the API from a browser. */
  allowedOrigins?: readonly string[];
  /** Extra Host names the gateway answers to (e.g. its DNS name behind --listen 0.0.0.0:443). */
  allowedHosts?: readonly string[];
  webhooks?: readonly string[];
  webhookOptions?: Pick<WebhookOptions, "retry" | "timeoutMs" | "dispatcher" | "maxQueue">;
  /** Calls per token; default 10 a minute. */
  rateLimit?: RateLimit;
  /** Same number within this many seconds is dialled once; default the settings' dedupe_seconds. */
  dedupeSeconds?: number;
  keepAliveMs?: number;
  callIdWaitMs?: number;
  /** PBX request timeout. */
  timeoutMs?: number;
  /** Where the log goes; stderr (fd 2, synchronous) by default. */
  logStream?: DestinationStream;
  logLevel?: pino.LevelWithSilent;
  /** Open connections per listener (TCP, unix socket); default 512. More are closed at once. */
  maxConnections?: number;
  /** Time for a client to send the request's headers, and its whole body; default 10 s. */
  requestTimeoutMs?: number;
  /** Told about things worth a line to the user (e.g. no runtime dir, so no socket). */
  onNote?: (message: string) => void;
  /** Desktop notifications of incoming calls (--notify); also each account's `notify = true`. */
  notify?: boolean;
}

export interface Gateway {
  /** "http://127.0.0.1:7070" (https with TLS). */
  url: string;
  port: number;
  socketPath?: string;
  extensions: string[];
  /** Graceful: ends event streams, stops listening, logs out of nothing (sessions just lapse). */
  stop(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  if (options.accounts.length === 0) throw new Dial3cxError("usage", "No extension to serve.");
  const listen = parseListen(options.listen ?? DEFAULT_LISTEN);
  checkListenSecurity(listen, {
    tls: options.tls !== undefined,
    allowPlainHttp: options.allowPlainHttp ?? false,
  });
  const allowedOrigins = new Set((options.allowedOrigins ?? []).map(validateAllowedOrigin));
  const webhookUrls = (options.webhooks ?? []).map(validateWebhookUrl);
  const extensions = options.accounts.map((spec) => spec.settings.extension!);
  const tokens = new TokenRegistry(await ensureTokens(tokensFile(options.paths), extensions));
  const logger = createLogger(options);

  const cleanup: Array<() => Promise<void> | void> = [];
  const runCleanup = async () => {
    for (const step of cleanup.splice(0).reverse())
      await Promise.resolve(step()).catch(() => undefined);
  };
  try {
    const accounts = await AccountPool.open(options.accounts, {
      paths: options.paths,
      env: options.env ?? process.env,
      store: options.store,
      timeoutMs: options.timeoutMs,
      onProblem: (extension, error) =>
        logger.warn({ extension, problem: error.message }, "pbx problem"),
      onConnection: (extension, state) => logger.info({ extension, state }, "pbx connection"),
      onDebug: (extension, line) => logger.debug({ extension, note: line }, "pbx"),
    });
    cleanup.push(() => accounts.close());

    const hub = new EventHub();
    const callerNames = new Map<string, CallerNameResolver>();
    for (const account of accounts.list()) {
      const names = callerNameResolver({
        vcardDirs: account.settings.contacts,
        phoneBook: account.client,
      });
      callerNames.set(account.extension, names);
      cleanup.push(
        hub.attach(account.extension, account.client, {
          names,
          dial: dialStringOptions(account.settings),
        }),
      );
      const notify = options.notify === true || account.settings.notify;
      if (notify || account.settings.onIncoming) {
        const { watchIncomingCalls } = await import("../features/desktop/incoming.js");
        const watcher = watchIncomingCalls({
          client: account.client,
          settings: account.settings,
          env: options.env ?? process.env,
          notify,
          names,
          // Caller names and numbers are in the debug lines only.
          log: (level, message, facts) =>
            logger[level]({ extension: account.extension, ...facts }, message),
        });
        cleanup.push(() => watcher.stop());
      }
    }
    cleanup.push(() => hub.closeAll());
    if (webhookUrls.length > 0) {
      const sender = new WebhookSender({
        ...options.webhookOptions,
        urls: webhookUrls,
        secret: await ensureWebhookSecret(webhookSecretFile(options.paths)),
        onDelivery: (delivery) =>
          logger[delivery.outcome === "delivered" ? "debug" : "warn"](delivery, "webhook"),
      });
      const unsubscribe = hub.subscribe((event) => sender.send(event));
      cleanup.push(() => sender.close(), unsubscribe);
    }

    // Filled once the port is known (port 0 picks one); the guards hold these very sets.
    const allowedHosts = new Set<string>();
    const selfOrigins = new Set<string>();
    const app = createApi({
      accounts,
      tokens,
      hub,
      logger,
      rateLimiter: new RateLimiter(options.rateLimit),
      deduper: new CallDeduper<PlacedCall>(dedupeMs(options)),
      idempotency: new IdempotencyStore(),
      allowedHosts,
      selfOrigins,
      allowedOrigins,
      keepAliveMs: options.keepAliveMs,
      callIdWaitMs: options.callIdWaitMs,
      callDevicesFile: callDevicesFile(options.paths.stateDir),
      callerNames,
    });
    const listenerFor = (transport: GatewayEnv["Bindings"]["transport"]) =>
      bodyDiscipline(
        getRequestListener((request, env) =>
          app.fetch(request, { incoming: env.incoming as IncomingMessage, transport }),
        ),
      );
    const limits = serverLimits(options);

    const tcp = options.tls
      ? createHttpsServer(
          { ...limits, cert: options.tls.cert, key: options.tls.key },
          listenerFor("tcp"),
        )
      : createHttpServer(limits, listenerFor("tcp"));
    capConnections(tcp, options);
    await listenOn(
      tcp,
      { port: listen.port, host: listen.host },
      `${hostForUrl(listen.host)}:${listen.port}`,
    );
    cleanup.push(() => closeServer(tcp, hub));
    const port = (tcp.address() as AddressInfo).port;
    const tls = options.tls !== undefined;
    for (const host of allowedHostsFor({
      host: listen.host,
      port,
      tls,
      extra: options.allowedHosts,
    })) {
      allowedHosts.add(host);
    }
    for (const origin of selfOriginsFor(allowedHosts, tls)) selfOrigins.add(origin);

    const socketPath = await socketPathFor(options);
    if (socketPath) {
      const unix = createHttpServer(limits, listenerFor("unix"));
      capConnections(unix, options);
      await prepareSocket(socketPath, options.socket === undefined);
      await listenWithUmask(unix, socketPath);
      cleanup.push(
        () => closeServer(unix, hub),
        () => unlink(socketPath).catch(() => undefined),
      );
      // The umask already made it 0600; said again in case a platform ignores it for sockets.
      await chmod(socketPath, 0o600);
      // The card lets a click check the PBX without asking first (gateway-handoff.ts).
      const card: GatewayCard = {
        pid: process.pid,
        pbx: Object.fromEntries(accounts.list().map((account) => [account.extension, account.pbx])),
      };
      const cardPath = gatewayCardPath(socketPath);
      await writeSecureFile(cardPath, `${JSON.stringify(card)}\n`);
      cleanup.push(() => rm(cardPath, { force: true }));
    }

    const url = `${tls ? "https" : "http"}://${hostForUrl(listen.host)}:${port}`;
    logger.info({ url, socket: socketPath ?? null, extensions }, "gateway listening");
    let stopping: Promise<void> | undefined;
    return {
      url,
      port,
      socketPath,
      extensions,
      stop: () => {
        stopping ??= runCleanup().then(() => logger.info("gateway stopped"));
        return stopping;
      },
    };
  } catch (error) {
    await runCleanup();
    throw error;
  }
}

function createLogger(options: GatewayOptions): Logger {
  return pino(
    {
      name: "dial3cx-gateway",
      level: options.logLevel ?? "info",
      base: { pid: process.pid },
      redact: {
        paths: [
          "authorization",
          "*.authorization",
          "headers.authorization",
          "*.headers.authorization",
          "token",
          "*.token",
          "password",
          "*.password",
          "secret",
          "*.secret",
        ],
        censor: "[redacted]",
      },
    },
    options.logStream ?? pino.destination({ fd: 2, sync: true }),
  );
}

/**
 * Slow clients cannot hold connections: the headers, and the whole body, must arrive within 10 s
 * (Node answers 408 and closes), checked every second rather than Node's default 30 s.
 */
function serverLimits(options: GatewayOptions) {
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  return {
    headersTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    connectionsCheckingInterval: Math.min(1000, timeoutMs),
  };
}

function capConnections(server: Server, options: GatewayOptions): void {
  server.maxConnections = options.maxConnections ?? 512;
}

/** Methods whose requests carry a body here; any other request's body is never read. */
const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

/**
 * No body is read where none is expected, nor beyond the limit: a GET with a body, or a body
 * larger than BODY_LIMIT_BYTES, is answered at once and the connection closed, so that Node does
 * not read (and discard) the rest of a 50 MB upload to keep the connection alive.
 */
function bodyDiscipline(
  listener: (req: IncomingMessage, res: ServerResponse) => unknown,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const length = Number(req.headers["content-length"] ?? 0);
    const hasBody = req.headers["transfer-encoding"] !== undefined || length > 0;
    res.on("finish", () => {
      if (!req.complete && (res.statusCode === 413 || !BODY_METHODS.has(req.method ?? ""))) {
        closeSoon(req);
      }
    });
    if (hasBody && !BODY_METHODS.has(req.method ?? "")) {
      refuse(res, 400, "usage", `${req.method} requests take no body.`);
      return;
    }
    if (length > BODY_LIMIT_BYTES) {
      refuse(
        res,
        413,
        "payload_too_large",
        `Request bodies are limited to ${BODY_LIMIT_BYTES / 1024} KB.`,
      );
      return;
    }
    void listener(req, res);
  };
}

function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    connection: "close",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  res.end(body);
}

/** Ends the connection after the answer without reading what the client still sends. */
function closeSoon(req: IncomingMessage): void {
  req.socket.end();
  setTimeout(() => req.socket.destroy(), 200).unref();
}

function dedupeMs(options: GatewayOptions): number {
  const seconds = options.dedupeSeconds ?? options.accounts[0]?.settings.dedupeSeconds ?? 3;
  return Math.max(0, seconds * 1000);
}

async function socketPathFor(options: GatewayOptions): Promise<string | undefined> {
  if (options.socket === false) return undefined;
  if (options.socket !== undefined) return path.resolve(options.socket);
  const runtimeDir = options.paths.runtimeDir;
  if (runtimeDir === undefined) {
    options.onNote?.("No XDG_RUNTIME_DIR: not listening on a unix socket (give --socket PATH).");
    return undefined;
  }
  return path.join(runtimeDir, SOCKET_FILE_NAME);
}

/**
 * Makes the socket's directory (0700; our own runtime dir is forced to 0700) and clears a stale
 * socket left by a crash. A live one means another gateway runs: that is an error.
 */
async function prepareSocket(socketPath: string, ownDirectory: boolean): Promise<void> {
  const dir = path.dirname(socketPath);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (ownDirectory) await chmod(dir, 0o700);
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(socketPath);
  } catch (error) {
    if (isErrnoCode(error, "ENOENT")) return;
    throw error;
  }
  if (!info.isSocket()) {
    throw new Dial3cxError(
      "usage",
      `${socketPath} exists and is not a socket: remove it or pass --socket`,
    );
  }
  if (await socketAnswers(socketPath)) {
    throw new Dial3cxError(
      "usage",
      `Another dial3cx gateway is listening on ${socketPath}: stop it first (systemctl --user stop dial3cx).`,
    );
  }
  await unlink(socketPath);
}

function socketAnswers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectSocket(socketPath);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Binds the unix socket under umask 0177, so it is 0600 from the moment it exists: with a chmod
 * after listen() there is a window in which any local user could connect. listen() binds a unix
 * socket synchronously, so the process-wide umask is restored before any other code runs.
 */
function listenWithUmask(server: Server, socketPath: string): Promise<void> {
  const previous = process.umask(0o177);
  try {
    return listenOn(server, { path: socketPath }, socketPath);
  } finally {
    process.umask(previous);
  }
}

function listenOn(
  server: Server,
  target: { port: number; host: string } | { path: string },
  shown: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const why =
        error.code === "EADDRINUSE"
          ? "the address is in use (is another dial3cx serve running?)"
          : (error.code ?? error.message);
      reject(new Dial3cxError("usage", `Cannot listen on ${shown}: ${why}`, { cause: error }));
    };
    server.once("error", onError);
    server.listen(target, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

/** Stops accepting, ends idle keep-alive connections, and cuts the rest after a grace period. */
function closeServer(server: Server, hub: EventHub): Promise<void> {
  hub.closeAll();
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), 2000);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
