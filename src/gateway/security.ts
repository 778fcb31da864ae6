// What stands between a web page (or anything else on the network) and a phone call: the listen
// address rule (loopback unless TLS or an explicit opt-out), the Host check against DNS
// rebinding, the Origin check and CORS, the 16 KB body limit, the per-token rate limit (web
// requests: the owner's unix socket is not throttled) and the "same number within a few seconds
// is dialled once" rule (everywhere). Also the error body every refusal uses.
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { BadInputError } from "../errors.js";

/** Which listener a request came in on, passed along with node-server's bindings. */
export interface TransportBindings {
  incoming: IncomingMessage;
  transport: "tcp" | "unix";
}

type GuardEnv = { Bindings: TransportBindings };

/** Codes the gateway adds to the CLI's error codes. */
export type GatewayErrorCode =
  | "unauthorized"
  | "forbidden"
  | "forbidden_origin"
  | "forbidden_host"
  | "not_found"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "internal";

/** `{"error": {"code", "message"}}`, the one error shape of the API. */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

// ---------------------------------------------------------------------------------------------
// Listen address

export interface ListenAddress {
  host: string;
  port: number;
}

export const DEFAULT_LISTEN = "127.0.0.1:7070";

/** "127.0.0.1:7070", "[::1]:7070", "localhost:7070", "0.0.0.0:7070", or a port alone (loopback). */
export function parseListen(value: string): ListenAddress {
  const text = value.trim();
  const match = /^(?:(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):)?(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : Number.NaN;
  const host = match ? (match[1] ?? match[2] ?? "127.0.0.1") : "";
  if (!match || port > 65535 || (match[1] !== undefined && isIP(match[1]) !== 6)) {
    throw new BadInputError(
      `--listen "${text.slice(0, 60)}" must be address:port, like 127.0.0.1:7070 or [::1]:7070`,
      "usage",
    );
  }
  return { host, port };
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

/**
 * Refuses a non-loopback address without TLS unless plain HTTP was asked for explicitly: tokens
 * and numbers would cross the network in clear.
 */
export function checkListenSecurity(
  listen: ListenAddress,
  options: { tls: boolean; allowPlainHttp: boolean },
): void {
  if (isLoopbackHost(listen.host) || options.tls || options.allowPlainHttp) return;
  throw new BadInputError(
    `--listen ${hostForUrl(listen.host)}:${listen.port} is not a loopback address: give --tls-cert and --tls-key, or --allow-plain-http to send tokens unencrypted`,
    "usage",
  );
}

export function hostForUrl(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

// ---------------------------------------------------------------------------------------------
// Host (DNS rebinding)

/**
 * The Host values this gateway answers to: the listen address with its port, localhost,
 * 127.0.0.1 and [::1] with the port, and any extra names (for a gateway behind a DNS name).
 * Without a port a Host means the scheme's default port, so those count only on that port.
 */
export function allowedHostsFor(options: {
  host: string;
  port: number;
  tls: boolean;
  extra?: readonly string[];
}): Set<string> {
  const { port } = options;
  const names = [hostForUrl(options.host), "localhost", "127.0.0.1", "[::1]"];
  const allowed = new Set<string>();
  const defaultPort = options.tls ? 443 : 80;
  for (const name of names) {
    allowed.add(`${name.toLowerCase()}:${port}`);
    if (port === defaultPort) allowed.add(name.toLowerCase());
  }
  for (const extra of options.extra ?? []) {
    const value = extra.trim().toLowerCase();
    if (value === "") continue;
    allowed.add(value.includes(":") && !value.startsWith("[") ? value : `${value}:${port}`);
    if (!/:\d+$/.test(value) && port === defaultPort) allowed.add(value);
  }
  return allowed;
}

/**
 * TCP requests whose Host header is not one of `allowed` get 421: a page on a rebound DNS name
 * reaches our address, but its requests still carry its own name. The unix socket is exempt:
 * no browser reaches it.
 */
export function hostGuard<E extends GuardEnv>(allowed: ReadonlySet<string>): MiddlewareHandler<E> {
  return async (c, next) => {
    if (c.env.transport === "unix") return next();
    const host = (c.env.incoming.headers.host ?? "").trim().toLowerCase();
    if (!allowed.has(host)) {
      return errorResponse(
        421,
        "forbidden_host",
        "This gateway does not answer to that Host name (DNS rebinding protection).",
      );
    }
    return next();
  };
}

// ---------------------------------------------------------------------------------------------
// Origin and CORS

/** A Chromium extension id: 32 letters a-p. */
const CHROME_EXTENSION_ID = /^[a-p]{32}$/;
/** A Firefox extension's internal UUID, the host of its moz-extension:// pages. */
const FIREFOX_EXTENSION_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * "https://crm.example.com" from an origin or URL, lower-case, default port dropped. Browser
 * extensions' origins too (`chrome-extension://<id>`, `moz-extension://<uuid>`), which URL
 * gives no origin of their own.
 */
export function normalizeOrigin(text: string): string | undefined {
  try {
    const url = new URL(text.trim());
    if (url.protocol === "http:" || url.protocol === "https:") return url.origin;
    const host = url.host.toLowerCase();
    if (url.protocol === "chrome-extension:" && CHROME_EXTENSION_ID.test(host)) {
      return `chrome-extension://${host}`;
    }
    if (url.protocol === "moz-extension:" && FIREFOX_EXTENSION_UUID.test(host)) {
      return `moz-extension://${host}`;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/**
 * An allowed_origins entry, checked: an origin only, like https://crm.example.com, or a browser
 * extension's, like chrome-extension://<32 letters a-p> or moz-extension://<uuid>.
 */
export function validateAllowedOrigin(text: string): string {
  const origin = normalizeOrigin(text);
  const url = origin === undefined ? undefined : new URL(text.trim());
  const bare = url !== undefined && (url.pathname === "/" || url.pathname === "");
  if (!origin || !url || !bare || url.search || url.hash || url.username) {
    throw new BadInputError(
      `allowed origin "${text.slice(0, 60)}" must be an origin like https://crm.example.com (scheme, host, optional port; no path, no "*") or chrome-extension://<id>`,
      "usage",
    );
  }
  return origin;
}

/**
 * The origin of the browser extension `--allow-extension` names: a Chromium extension id (32
 * letters a-p, as chrome://extensions shows it), a Firefox extension's internal UUID (as
 * about:debugging shows it), or either origin written out.
 */
export function extensionOrigin(text: string): string {
  const value = text.trim().toLowerCase();
  if (CHROME_EXTENSION_ID.test(value)) return `chrome-extension://${value}`;
  if (FIREFOX_EXTENSION_UUID.test(value)) return `moz-extension://${value}`;
  const origin = /^(?:chrome|moz)-extension:/.test(value) ? normalizeOrigin(value) : undefined;
  if (origin === undefined || validateAllowedOrigin(value) !== origin) {
    throw new BadInputError(
      `--allow-extension "${text.slice(0, 60)}" must be a Chromium extension id (32 letters a-p, see chrome://extensions) or a Firefox extension UUID (see about:debugging)`,
      "usage",
    );
  }
  return origin;
}

const CORS_METHODS = "GET, POST, DELETE, OPTIONS";
const CORS_HEADERS = "authorization, content-type";

/**
 * A request with an Origin that is neither the gateway's own nor in `allowedOrigins` gets 403
 * before anything else runs, so a cross-site form or fetch has no effect. Allowed cross-origin
 * requests get CORS headers (and their preflights a 204); nothing else ever does.
 */
export function originGuard<E extends GuardEnv>(options: {
  selfOrigins: ReadonlySet<string>;
  allowedOrigins: ReadonlySet<string>;
}): MiddlewareHandler<E> {
  return async (c, next) => {
    const header = c.req.header("origin");
    if (header === undefined) return next();
    const origin = normalizeOrigin(header);
    const crossAllowed = origin !== undefined && options.allowedOrigins.has(origin);
    if (!crossAllowed && (origin === undefined || !options.selfOrigins.has(origin))) {
      return errorResponse(
        403,
        "forbidden_origin",
        "Requests from this web origin are not allowed: add it to allowed_origins.",
        { vary: "Origin" },
      );
    }
    if (!crossAllowed) return next();
    const cors: Record<string, string> = {
      "access-control-allow-origin": origin!,
      vary: "Origin",
    };
    if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method")) {
      cors["access-control-allow-methods"] = CORS_METHODS;
      cors["access-control-allow-headers"] = CORS_HEADERS;
      cors["access-control-max-age"] = "600";
      // Chrome's Private Network Access: a public page asking a loopback service.
      if (c.req.header("access-control-request-private-network") === "true") {
        cors["access-control-allow-private-network"] = "true";
      }
      return new Response(null, { status: 204, headers: cors });
    }
    await next();
    for (const [name, value] of Object.entries(cors)) c.res.headers.set(name, value);
  };
}

/** Origins of the gateway's own pages: what a same-origin request from `GET /` sends. */
export function selfOriginsFor(allowedHosts: ReadonlySet<string>, tls: boolean): Set<string> {
  const scheme = tls ? "https" : "http";
  const origins = new Set<string>();
  for (const host of allowedHosts) {
    const origin = normalizeOrigin(`${scheme}://${host}`);
    if (origin) origins.add(origin);
  }
  return origins;
}

// ---------------------------------------------------------------------------------------------
// Bodies

export const BODY_LIMIT_BYTES = 16 * 1024;

export function bodyLimitGuard<E extends GuardEnv>(): MiddlewareHandler<E> {
  return bodyLimit({
    maxSize: BODY_LIMIT_BYTES,
    onError: () =>
      errorResponse(
        413,
        "payload_too_large",
        `Request bodies are limited to ${BODY_LIMIT_BYTES / 1024} KB.`,
      ),
  }) as MiddlewareHandler<E>;
}

/**
 * JSON bodies only. Besides clarity this keeps HTML forms out: a form can only send
 * urlencoded, multipart or text/plain bodies, and a cross-site fetch with JSON needs a preflight.
 */
export function requireJson<E extends GuardEnv>(): MiddlewareHandler<E> {
  return async (c, next) => {
    const type = (c.req.header("content-type") ?? "").split(";", 1)[0]!.trim().toLowerCase();
    if (type !== "application/json") {
      return errorResponse(
        415,
        "unsupported_media_type",
        "Send the body as JSON with Content-Type: application/json.",
      );
    }
    return next();
  };
}

// ---------------------------------------------------------------------------------------------
// Rate limit and duplicate calls

export interface RateLimit {
  /** Calls allowed per window (default 10). */
  calls: number;
  /** Window length (default one minute). */
  windowMs: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { calls: 10, windowMs: 60_000 };

/** A sliding window per key (the token's extension): at most `calls` in any `windowMs`. */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: RateLimit = DEFAULT_RATE_LIMIT,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a call and returns 0, or returns the ms until one is allowed again (not counted). */
  take(key: string): number {
    const now = this.now();
    const recent = (this.hits.get(key) ?? []).filter((t) => t > now - this.limit.windowMs);
    if (recent.length >= this.limit.calls) {
      this.hits.set(key, recent);
      return Math.max(1, recent[0]! + this.limit.windowMs - now);
    }
    recent.push(now);
    this.hits.set(key, recent);
    return 0;
  }
}

/**
 * Runs `place` once per key within `windowMs`: a double click, a link opened twice or a retried
 * request must not ring twice. A request that comes while the first is still running shares its
 * outcome. The window runs from the moment the outcome became known (a PBX that answers slowly
 * must not let a retry through), and within it a repeat gets that outcome. An outcome that is
 * unknown (the call may have been placed) is remembered like a success; a failure that placed
 * nothing is forgotten, so trying again dials.
 */
export class CallDeduper<T> {
  private readonly recent = new Map<
    string,
    { settledAt: number | undefined; result: Promise<T> }
  >();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly keepFailure: (error: unknown) => boolean = mayHavePlaced,
  ) {}

  async run(key: string, place: () => Promise<T>): Promise<{ result: T; duplicate: boolean }> {
    if (this.windowMs <= 0) return { result: await place(), duplicate: false };
    this.forgetOld(this.now());
    const earlier = this.recent.get(key);
    if (earlier) return { result: await earlier.result, duplicate: true };
    const entry = { settledAt: undefined as number | undefined, result: place() };
    this.recent.set(key, entry);
    try {
      return { result: await entry.result, duplicate: false };
    } catch (error) {
      if (this.recent.get(key) === entry && !this.keepFailure(error)) this.recent.delete(key);
      throw error;
    } finally {
      entry.settledAt = this.now();
      this.forgetOld(this.now());
    }
  }

  /** Calls still being placed are kept however long they take: a duplicate must wait for them. */
  private forgetOld(now: number): void {
    for (const [key, entry] of this.recent) {
      if (entry.settledAt !== undefined && entry.settledAt <= now - this.windowMs) {
        this.recent.delete(key);
      }
    }
  }
}

/** The outcome of the call request is unknown: treat it as placed. */
export function mayHavePlaced(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "outcome_unknown";
}

/** A stored answer of POST /v1/calls, replayed for a repeated Idempotency-Key. */
export interface StoredAnswer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/**
 * `Idempotency-Key` on POST /v1/calls: the same key (per extension) gets the same answer for
 * `ttlMs` after that answer (10 minutes), and a repeat while the first runs waits for it. Only
 * answers after which the call may exist are kept (2xx, 422 refused by the PBX, 504 unknown);
 * a refusal that dialled nothing (rate limit, bad input, PBX unreachable) lets the key be used
 * again. At most `maxEntries` keys are kept; the oldest answers go first.
 */
export class IdempotencyStore {
  private readonly entries = new Map<
    string,
    { fingerprint: string; settledAt: number | undefined; answer: Promise<StoredAnswer> }
  >();

  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs `answer` once per key; `fingerprint` tells a reused key with another body apart. */
  async run(
    key: string,
    fingerprint: string,
    answer: () => Promise<StoredAnswer>,
  ): Promise<{ answer: StoredAnswer; replayed: boolean }> {
    this.forgetOld(this.now());
    const earlier = this.entries.get(key);
    if (earlier) {
      if (earlier.fingerprint !== fingerprint) {
        return {
          answer: {
            status: 422,
            body: JSON.stringify({
              error: {
                code: "idempotency_key_reused",
                message:
                  "This Idempotency-Key was used for a different request: use a new key for a new call.",
              },
            }),
            headers: { "content-type": "application/json" },
          },
          replayed: false,
        };
      }
      return { answer: await earlier.answer, replayed: true };
    }
    const entry = {
      fingerprint,
      settledAt: undefined as number | undefined,
      answer: answer(),
    };
    this.entries.set(key, entry);
    try {
      const result = await entry.answer;
      if (!keepsAnswer(result.status) && this.entries.get(key) === entry) this.entries.delete(key);
      return { answer: result, replayed: false };
    } catch (error) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw error;
    } finally {
      entry.settledAt = this.now();
      this.trim();
    }
  }

  private forgetOld(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.settledAt !== undefined && entry.settledAt <= now - this.ttlMs) {
        this.entries.delete(key);
      }
    }
  }

  private trim(): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries) return;
      if (entry.settledAt !== undefined) this.entries.delete(key);
    }
  }
}

function keepsAnswer(status: number): boolean {
  return (status >= 200 && status < 300) || status === 422 || status === 504;
}

/** An Idempotency-Key: 1 to 255 visible ASCII characters. */
export function validIdempotencyKey(key: string): boolean {
  return /^[\x21-\x7e]{1,255}$/.test(key);
}
