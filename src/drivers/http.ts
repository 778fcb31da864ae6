// HTTP to one PBX origin: keep-alive connections with the configured TLS trust, a cookie jar
// (the PBX is a single origin, so a name->value map is enough), time-outs, and network and TLS
// failures turned into typed errors. Both drivers use it. Built on node:http(s) rather than
// undici: a one-shot CLI call pays ~50 ms less start-up for it (bench/run.mjs).
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { ConfigError, NetworkError, TlsError } from "../errors.js";
import { codeOf, findCause, type TlsTrust, tlsConnectOptions, toTlsError } from "./tls.js";

export interface PbxResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: Buffer | Uint8Array | string;
  json?: unknown;
  form?: Record<string, string>;
  /** Send no cookies (the Call Control API is authenticated by its bearer alone). */
  noCookies?: boolean;
}

export interface PbxHttpOptions {
  timeoutMs?: number;
  /** Called after every request, for logging and counting round trips. */
  onRequest?: (info: { method: string; path: string; status: number; ms: number }) => void;
}

/**
 * Idle connections are kept for the next request (the gateway's "one round trip"), but closed
 * before a typical server drops them; Node also honours the server's `Keep-Alive: timeout` hint.
 * At most 32 connections to the PBX at once: a burst of new connections (128 calls in flight)
 * met the kernel's SYN retransmission delays (1 s, then 3 s) and made the gateway's p99 seconds
 * long; past 32 in flight, requests wait their turn in the process instead (bench:gateway).
 */
const KEEP_ALIVE = { keepAlive: true, timeout: 30_000, maxSockets: 32 };

export class PbxHttp {
  readonly base: URL;
  readonly cookies = new Map<string, string>();
  private readonly agent: HttpAgent;
  private readonly timeoutMs: number;
  private readonly onRequest: PbxHttpOptions["onRequest"];

  constructor(base: URL, trust: TlsTrust, options: PbxHttpOptions = {}) {
    this.base = base;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.onRequest = options.onRequest;
    this.agent =
      base.protocol === "https:"
        ? new HttpsAgent({
            ...KEEP_ALIVE,
            ...tlsConnectOptions(trust),
            maxCachedSessions: trust.maxCachedSessions,
          })
        : new HttpAgent(KEEP_ALIVE);
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<PbxResponse> {
    const { headers, body } = this.encodeBody(options);
    if (!options.noCookies && this.cookies.size > 0) headers.cookie = this.cookieHeader();
    // Not performance.now(): the global's first use loads perf_hooks, ~2 ms of a warm click.
    const started = process.hrtime.bigint();
    try {
      const response = await this.send(method, new URL(path, this.base), headers, body);
      this.storeCookies(response.headers["set-cookie"]);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      this.onRequest?.({ method, path, status: response.status, ms });
      return response;
    } catch (error) {
      throw this.toTypedError(error);
    }
  }

  private send(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: Buffer | Uint8Array | string | undefined,
  ): Promise<PbxResponse> {
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      let sent = false;
      const fail = (error: unknown) => reject(sent ? new SentRequestFailure(error) : error);
      const req = request(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", fail);
        res.on("aborted", () => fail(new Error("connection lost during the answer")));
        res.on("end", () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers as IncomingHttpHeaders,
            body: Buffer.concat(chunks),
          });
        });
      });
      const timer = setTimeout(() => req.destroy(new AnswerTimeout()), this.timeoutMs);
      // Written to the socket: from here on the PBX may have carried the request out.
      req.on("finish", () => {
        sent = true;
      });
      req.on("error", (error) => {
        clearTimeout(timer);
        fail(error);
      });
      req.end(body);
    });
  }

  /** JSON body of a response, or undefined when it is empty or not JSON. */
  static json<T = unknown>(response: PbxResponse): T | undefined {
    if (response.body.length === 0) return undefined;
    try {
      return JSON.parse(response.body.toString("utf8")) as T;
    } catch {
      return undefined;
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  private encodeBody(options: RequestOptions): {
    headers: Record<string, string>;
    body: Buffer | Uint8Array | string | undefined;
  } {
    const headers: Record<string, string> = { ...options.headers };
    if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      return { headers, body: JSON.stringify(options.json) };
    }
    if (options.form) {
      headers["content-type"] = "application/x-www-form-urlencoded;charset=UTF-8";
      return { headers, body: new URLSearchParams(options.form).toString() };
    }
    return { headers, body: options.body };
  }

  private storeCookies(setCookie: string | string[] | undefined): void {
    for (const line of [setCookie ?? []].flat()) {
      const pair = line.split(";", 1)[0] ?? "";
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === "" || /max-age=0|expires=thu, 01 jan 1970/i.test(line))
        this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private toTypedError(failure: unknown): Error {
    const typed = this.typedError(failure instanceof SentRequestFailure ? failure.cause : failure);
    if (failure instanceof SentRequestFailure && typed instanceof NetworkError) {
      typed.requestSent = true;
    }
    return typed;
  }

  private typedError(error: unknown): Error {
    const plain = notHttpsError(error, this.base);
    if (plain) return plain;
    const tls = toTlsError(error, this.base.host);
    if (tls) return tls;
    if (error instanceof NetworkError) return error;
    if (error instanceof AnswerTimeout) {
      return new NetworkError(
        `The PBX at ${this.base.origin} sent no answer within ${this.timeoutMs} ms. Check your network, then see whether the request took effect before repeating it.`,
        { cause: error },
      );
    }
    const cause = findCause(error, (e) => codeOf(e) !== "") ?? error;
    const code = codeOf(cause);
    const reason =
      NETWORK_REASONS[code] ?? (cause instanceof Error ? cause.message : String(cause));
    return new NetworkError(
      `Cannot reach the PBX at ${this.base.origin}: ${reason}. Check the URL and your network.`,
      { cause: error },
    );
  }
}

class AnswerTimeout extends Error {}

/** A failure after the request was written: the PBX may have carried it out. */
class SentRequestFailure extends Error {
  constructor(override readonly cause: unknown) {
    super("failed after sending", { cause });
  }
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  ETIMEDOUT: "timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  EPIPE: "connection closed",
};

/**
 * The error for an https:// URL whose port answered the TLS handshake in plain HTTP (a bare
 * "host:port" is taken as https), or undefined for any other failure. A bare ECONNRESET is not
 * enough: a real HTTPS PBX may reset a connection mid-answer.
 */
export function notHttpsError(error: unknown, base: URL): TlsError | undefined {
  if (base.protocol !== "https:") return undefined;
  const found = findCause(error, (e) => {
    const code = codeOf(e);
    const message = e instanceof Error ? e.message : "";
    return (
      code === "EPROTO" ||
      code === "ERR_SSL_WRONG_VERSION_NUMBER" ||
      /wrong version number|disconnected before secure TLS connection/i.test(message)
    );
  });
  if (found === undefined) return undefined;
  return new TlsError(
    `${base.host} does not speak https: check the URL (for a plain-http PBX on this machine, use http://${base.host}).`,
    { cause: found },
  );
}

/** The PBX's origin from what a user typed (a bare host means https). */
export function parsePbxUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    throw new ConfigError(`"${text}" is not a PBX URL: use e.g. https://pbx.example.com:5001.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(
      `The PBX URL must start with https:// (or http://), not ${url.protocol}//.`,
    );
  }
  if (url.username || url.password) {
    throw new ConfigError("Do not put credentials in the PBX URL: dial3cx asks for the password.");
  }
  return new URL(url.origin);
}
