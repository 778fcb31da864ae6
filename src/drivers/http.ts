// HTTP to one PBX origin: keep-alive connections with the configured TLS trust, a cookie jar
// (the PBX is a single origin, so a name->value map is enough), time-outs, and network and TLS
// failures turned into typed errors. Both drivers use it.
import { Agent, request } from "undici";
import { NetworkError } from "../errors.js";
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

export class PbxHttp {
  readonly base: URL;
  readonly cookies = new Map<string, string>();
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly onRequest: PbxHttpOptions["onRequest"];

  constructor(base: URL, trust: TlsTrust, options: PbxHttpOptions = {}) {
    this.base = base;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.onRequest = options.onRequest;
    this.agent = new Agent({
      connect: {
        ...tlsConnectOptions(trust),
        maxCachedSessions: trust.maxCachedSessions,
        timeout: this.timeoutMs,
      },
      keepAliveTimeout: 30_000,
    });
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<PbxResponse> {
    const { headers, body } = this.encodeBody(options);
    if (!options.noCookies && this.cookies.size > 0) headers.cookie = this.cookieHeader();
    const started = performance.now();
    try {
      const response = await request(new URL(path, this.base), {
        method: method as "GET",
        headers,
        body,
        dispatcher: this.agent,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        // undici's own time-outs tick every half second, so they fire up to a second late.
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const buffer = Buffer.from(await response.body.arrayBuffer());
      this.storeCookies(response.headers["set-cookie"]);
      const ms = performance.now() - started;
      this.onRequest?.({ method, path, status: response.statusCode, ms });
      return { status: response.statusCode, headers: response.headers, body: buffer };
    } catch (error) {
      throw this.toTypedError(error);
    }
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
    await this.agent.close();
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

  private toTypedError(error: unknown): Error {
    const tls = toTlsError(error, this.base.host);
    if (tls) return tls;
    if (error instanceof NetworkError) return error;
    if (error instanceof DOMException && error.name === "TimeoutError") {
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

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  ETIMEDOUT: "timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_CONNECT_TIMEOUT: "connect timed out",
  UND_ERR_HEADERS_TIMEOUT: "no answer in time",
  UND_ERR_BODY_TIMEOUT: "answer stalled",
  UND_ERR_SOCKET: "connection closed",
};
