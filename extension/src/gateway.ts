// The extension's client of the local gateway (`dial3cx serve`): bearer-token requests, the
// live event stream, and what a person is told when something is wrong ("gateway not running:
// run `dial3cx serve`", "token refused", "this extension is not allowed: run `dial3cx serve
// --allow-extension <id>`"). Only the service worker uses it; no chrome.* here, so Node's tests
// run it against a real gateway.
import { SseParser } from "../../src/web/sse.js";

export const DEFAULT_GATEWAY_URL = "http://127.0.0.1:7070";

export interface GatewayTarget {
  url: string;
  token: string;
}

export type ProblemKind =
  | "no_token"
  | "bad_url"
  | "not_running"
  | "token_refused"
  | "origin_refused"
  | "host_refused"
  | "gateway";

/** What went wrong, in words for the options page, the popup and a clicked number. */
export class GatewayProblem extends Error {
  constructor(
    readonly kind: ProblemKind,
    message: string,
    /** The gateway's own error code, when it answered one. */
    readonly code?: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "GatewayProblem";
  }
}

/** "http://127.0.0.1:7070" from what the user typed; refuses anything but http(s) origins. */
export function checkGatewayUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new GatewayProblem("bad_url", `Gateway URL "${text.slice(0, 60)}" is not a URL.`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password) {
    throw new GatewayProblem(
      "bad_url",
      "The Gateway URL must be http:// or https://, like http://127.0.0.1:7070.",
    );
  }
  return url.origin;
}

/** Is the gateway at `url` (an origin, checked) on this computer? */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The host permission the extension needs for a gateway elsewhere ("https://pbx.example.com/*":
 * match patterns have no port), or undefined on loopback, which the manifest grants.
 */
export function hostPermissionFor(url: string): string | undefined {
  if (isLoopbackUrl(url)) return undefined;
  const { protocol, hostname } = new URL(url);
  return `${protocol}//${hostname}/*`;
}

/** What to tell a user whose token would cross the network in clear; undefined if it won't. */
export function plainHttpWarning(url: string): string | undefined {
  if (isLoopbackUrl(url) || new URL(url).protocol !== "http:") return undefined;
  return `Warning: ${url} is another computer over plain http, so the token and the numbers you call cross the network unencrypted. Start the gateway with --tls-cert and --tls-key and use https://.`;
}

export interface GatewayClientOptions {
  /** The extension's id, named in the "not allowed" message. */
  extensionId: string;
  fetch?: typeof fetch;
}

export interface StatusView {
  extension: string;
  name: string | null;
  connection: string;
  devices: number;
  calls: number;
  version: string;
}

export interface DeviceView {
  id: string;
  name: string;
  kind: string;
  contact: string;
}

export interface CallView {
  id: string;
  state: string;
  number: string;
  name: string | null;
  incoming: boolean;
}

/** One entry of GET /v1/history (the gateway's HistoryEntry, the fields the popup shows). */
export interface HistoryView {
  direction: "incoming" | "outgoing" | "unknown";
  missed: boolean;
  number: string;
  numberE164: string | null;
  name: string | null;
  time: string | null;
  /** The number may be called back. */
  callback: boolean;
}

export interface PlacedCall {
  id: string | null;
  to: string;
  toE164: string | null;
  display: string;
  device: string;
  state?: string;
}

export interface GatewayEvent {
  type: string;
  call?: CallView;
}

export class GatewayClient {
  private readonly fetch: typeof fetch;

  constructor(
    private readonly target: GatewayTarget,
    private readonly options: GatewayClientOptions,
  ) {
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  status(): Promise<StatusView> {
    return this.request("GET", "/v1/status");
  }

  async devices(): Promise<DeviceView[]> {
    return (await this.request<{ devices: DeviceView[] }>("GET", "/v1/devices")).devices;
  }

  async calls(): Promise<CallView[]> {
    return (await this.request<{ calls: CallView[] }>("GET", "/v1/calls")).calls;
  }

  /**
   * The latest calls, newest first (GET /v1/history); null from a gateway that has no history
   * (an older dial3cx answers 404).
   */
  async history(limit: number): Promise<HistoryView[] | null> {
    try {
      return (await this.request<{ calls: HistoryView[] }>("GET", `/v1/history?limit=${limit}`))
        .calls;
    } catch (error) {
      if (error instanceof GatewayProblem && error.status === 404) return null;
      throw error;
    }
  }

  /** POST /v1/calls; `created` is false when the gateway answered with an earlier duplicate. */
  async call(to: string, device?: string): Promise<{ call: PlacedCall; created: boolean }> {
    const body = device ? { to, device } : { to };
    const answer = await this.send("POST", "/v1/calls", body);
    return { call: (await answer.json()) as PlacedCall, created: answer.status === 201 };
  }

  /**
   * Would the gateway take a call from here? POST /v1/check changes nothing and passes the
   * checks a call passes. It must be a POST: Chromium sends the extension's Origin with POST and
   * DELETE but not with GET, so only a POST shows whether `--allow-extension` was given.
   */
  async check(): Promise<{ extension: string; origin: string | null; version: string }> {
    try {
      return await this.request("POST", "/v1/check");
    } catch (error) {
      if (error instanceof GatewayProblem && error.status === 404) {
        throw new GatewayProblem(
          "gateway",
          "This dial3cx gateway is older than the extension and cannot say whether it allows the extension's calls: update dial3cx.",
          error.code,
          404,
        );
      }
      throw error;
    }
  }

  async hangup(id: string): Promise<void> {
    await this.send("DELETE", `/v1/calls/${encodeURIComponent(id)}`);
  }

  /**
   * Follows /v1/events until `signal` aborts or the stream ends; resolves then; `onOpen` once the
   * gateway has answered (from then on no event is missed). fetch() rather
   * than EventSource, which cannot send the Authorization header.
   */
  async events(
    onEvent: (event: GatewayEvent) => void,
    signal: AbortSignal,
    onOpen?: () => void,
  ): Promise<void> {
    const answer = await this.send("GET", "/v1/events", undefined, signal);
    onOpen?.();
    const reader = answer.body?.getReader();
    if (!reader) return;
    const parser = new SseParser();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        for (const message of parser.push(decoder.decode(value, { stream: true }))) {
          try {
            onEvent({ ...(JSON.parse(message.data) as GatewayEvent), type: message.event });
          } catch {
            // Not JSON: not an event of ours.
          }
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    } finally {
      reader.releaseLock();
    }
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.send(method, path, body)).json()) as T;
  }

  private async send(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<Response> {
    if (!this.target.token.trim()) {
      throw new GatewayProblem(
        "no_token",
        "No token yet: run `dial3cx serve --show-token` and paste it in the extension's options.",
      );
    }
    const base = checkGatewayUrl(this.target.url);
    const headers: Record<string, string> = { authorization: `Bearer ${this.target.token.trim()}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    let answer: Response;
    try {
      answer = await this.fetch(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        credentials: "omit",
        cache: "no-store",
        redirect: "error",
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new GatewayProblem(
        "not_running",
        `Gateway not running at ${base}: run \`dial3cx serve\`.`,
      );
    }
    if (answer.ok) return answer;
    throw await this.problem(answer, base);
  }

  private async problem(answer: Response, base: string): Promise<GatewayProblem> {
    let code: string | undefined;
    let message: string | undefined;
    try {
      const json = (await answer.json()) as { error?: { code?: string; message?: string } };
      code = json.error?.code;
      message = json.error?.message;
    } catch {
      // Not the gateway's JSON: something else answers on that port.
    }
    const status = answer.status;
    if (status === 401) {
      return new GatewayProblem(
        "token_refused",
        "Token refused: copy it again from `dial3cx serve --show-token`.",
        code,
        status,
      );
    }
    if (code === "forbidden_origin") {
      return new GatewayProblem(
        "origin_refused",
        `The gateway does not allow this extension yet: run \`dial3cx serve --allow-extension ${this.options.extensionId}\`.`,
        code,
        status,
      );
    }
    if (code === "forbidden_host") {
      return new GatewayProblem(
        "host_refused",
        `The gateway does not answer to the name in ${base}: use http://127.0.0.1:<port>, or start it with --allowed-host.`,
        code,
        status,
      );
    }
    if (code === undefined || message === undefined) {
      return new GatewayProblem(
        "not_running",
        `Something other than dial3cx answers at ${base} (HTTP ${status}): check the Gateway URL and run \`dial3cx serve\`.`,
        undefined,
        status,
      );
    }
    return new GatewayProblem("gateway", message, code, status);
  }
}
