// The simulator's small HTTP toolkit: a request/response shape independent of node:http, a
// method+path router that tells 404 from 405, response helpers and cookie/body parsing.
import type { IncomingHttpHeaders } from "node:http";

export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  remoteAddress: string;
  /** True on https: cookies then carry `secure`. */
  secure: boolean;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: string | Uint8Array;
  /** GenericMessage id of the request, for the request log. */
  messageId?: number;
}

export type Handler = (request: SimRequest) => SimResponse | Promise<SimResponse>;

export type RouteMatch =
  | { kind: "found"; handler: Handler }
  | { kind: "not_found" }
  | { kind: "method_not_allowed"; allow: string[] };

/**
 * Exact-path routes, plus whole subtrees handed to one handler (the Call Control API's paths carry
 * ids, e.g. `/callcontrol/100/participants/5/drop`); that handler answers 404 and 405 itself.
 */
export class Router {
  private readonly routes = new Map<string, Map<string, Handler>>();
  private readonly subtrees: Array<{ prefix: string; handler: Handler }> = [];

  add(method: string, path: string, handler: Handler): this {
    const byMethod = this.routes.get(path) ?? new Map<string, Handler>();
    byMethod.set(method.toUpperCase(), handler);
    this.routes.set(path, byMethod);
    return this;
  }

  /** Every method on `prefix` and below it (`prefix/…`), where no exact route matches. */
  addSubtree(prefix: string, handler: Handler): this {
    this.subtrees.push({ prefix, handler });
    return this;
  }

  match(method: string, path: string): RouteMatch {
    const byMethod = this.routes.get(path);
    if (!byMethod) {
      const subtree = this.subtrees.find(
        ({ prefix }) => path === prefix || path.startsWith(`${prefix}/`),
      );
      return subtree ? { kind: "found", handler: subtree.handler } : { kind: "not_found" };
    }
    const handler = byMethod.get(method.toUpperCase());
    if (handler) return { kind: "found", handler };
    return { kind: "method_not_allowed", allow: [...byMethod.keys()] };
  }
}

export function json(
  status: number,
  value: unknown,
  headers: Record<string, string | string[]> = {},
): SimResponse {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    body: JSON.stringify(value),
  };
}

export function text(status: number, body: string): SimResponse {
  return { status, headers: { "content-type": "text/plain; charset=utf-8" }, body };
}

export function empty(status: number): SimResponse {
  return { status };
}

export function notFound(): SimResponse {
  return text(404, "Not Found");
}

export function methodNotAllowed(allow: string[]): SimResponse {
  return {
    ...text(405, "Method Not Allowed"),
    headers: { allow: allow.join(", "), "content-type": "text/plain; charset=utf-8" },
  };
}

/** Parses a JSON object body; undefined when the body is empty; null when it is not an object. */
export function parseJsonObject(body: Buffer): Record<string, unknown> | undefined | null {
  if (body.length === 0 || body.toString("utf8").trim() === "") return undefined;
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** Reads a key in either case of its first letter (`Username` or `username`), as clients differ. */
export function field(object: Record<string, unknown>, name: string): unknown {
  for (const [key, value] of Object.entries(object)) {
    if (key.toLowerCase() === name.toLowerCase()) return value;
  }
  return undefined;
}

export function stringField(object: Record<string, unknown>, name: string): string | undefined {
  const value = field(object, name);
  return typeof value === "string" ? value : undefined;
}

export function cookies(headers: IncomingHttpHeaders): Map<string, string> {
  const jar = new Map<string, string>();
  for (const part of (headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!jar.has(name)) jar.set(name, safeDecode(part.slice(eq + 1).trim()));
  }
  return jar;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function setCookie(name: string, value: string, secure: boolean): string {
  return `${name}=${value}; path=/;${secure ? " secure;" : ""} HttpOnly; SameSite=Strict`;
}

export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? "");
  return match?.[1];
}

/** The request target as a URL (path and query); undefined when it cannot be parsed. */
export function parseTarget(rawUrl: string | undefined): URL | undefined {
  const target = rawUrl ?? "/";
  try {
    // Origin-form only: "//x" stays a path instead of becoming a host.
    return new URL(`http://sim${target.startsWith("/") ? target : `/${target}`}`);
  } catch {
    return undefined;
  }
}

/** Loopback peers only: 127.0.0.0/8, ::1 and their IPv4-mapped form. */
export function isLoopback(address: string): boolean {
  return /^(::ffff:)?127\./.test(address) || address === "::1";
}
