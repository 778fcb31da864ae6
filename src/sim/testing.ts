// Wire-level helpers for tests that drive the simulator the way a client does: real HTTP(S)
// requests (undici) and a real websocket (ws). Deliberately thin: tests must see status codes,
// headers and bytes as they travel, not a client library's interpretation of them.
import { Agent, fetch } from "undici";
import WebSocket from "ws";
import { encodeRaw } from "../protocol/codec.js";
import type { RequestLogEntry } from "./model.js";
import { type Simulator, type SimulatorOptions, startSimulator } from "./server.js";

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: Uint8Array;
  text: string;
}

export class WireClient {
  private readonly dispatcher: Agent;

  constructor(
    readonly baseUrl: string,
    private readonly ca?: string,
  ) {
    this.dispatcher = new Agent(ca ? { connect: { ca } } : {});
  }

  async request(
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: string | Uint8Array } = {},
  ): Promise<HttpAnswer> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: init.headers ?? {},
      ...(init.body === undefined ? {} : { body: init.body }),
      dispatcher: this.dispatcher,
    });
    const body = new Uint8Array(await response.arrayBuffer());
    return {
      status: response.status,
      headers: response.headers as unknown as Headers,
      body,
      text: Buffer.from(body).toString("utf8"),
    };
  }

  postJson(
    path: string,
    value: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpAnswer> {
    return this.request("POST", path, {
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(value),
    });
  }

  /** V20 steps 1 and 3: GetAccessToken, then MyPhone/session with the access token. */
  async loginV20(username: string, password: string, securityCode = ""): Promise<LoggedIn> {
    const login = await this.postJson("/webclient/api/Login/GetAccessToken", {
      Username: username,
      Password: password,
      SecurityCode: securityCode,
      ReCaptchaResponse: null,
    });
    const envelope = JSON.parse(login.text) as { Token: { access_token: string } | null };
    if (!envelope.Token) throw new Error(`login failed: ${login.status} ${login.text}`);
    const accessToken = envelope.Token.access_token;
    const session = await this.postJson(
      "/webclient/api/MyPhone/session",
      { name: "Webclient", version: "20.0.9.0", isHuman: true },
      { authorization: `Bearer ${accessToken}` },
    );
    return { accessToken, ...(JSON.parse(session.text) as { sessionKey: string; pass: string }) };
  }

  /** V18 steps 1 and 2: Login sets a cookie, MyPhone/session sends it back. */
  async loginV18(username: string, password: string): Promise<LoggedIn> {
    const login = await this.postJson("/webclient/api/Login", {
      Username: username,
      Password: password,
    });
    if (login.status !== 200) throw new Error(`login failed: ${login.status}`);
    const cookie = (login.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
    const session = await this.postJson(
      "/webclient/api/MyPhone/session",
      { name: "Webclient", version: "nope", isHuman: true },
      { cookie },
    );
    return { cookie, ...(JSON.parse(session.text) as { sessionKey: string; pass: string }) };
  }

  /** POST one GenericMessage to MPWebService. */
  myPhone(sessionKey: string, body: Uint8Array): Promise<HttpAnswer> {
    return this.request("POST", "/MyPhone/MPWebService.asmx", {
      headers: { "content-type": "application/octet-stream", myphonesession: sessionKey },
      body,
    });
  }

  openSocket(sessionKey: string, pass: string): Promise<SocketProbe> {
    const url = new URL("/ws/webclient", this.baseUrl.replace(/^http/, "ws"));
    url.searchParams.set("sessionId", sessionKey);
    url.searchParams.set("pass", pass);
    return SocketProbe.open(url.toString(), this.ca);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

export interface LoggedIn {
  sessionKey: string;
  pass: string;
  accessToken?: string;
  cookie?: string;
}

/** An empty request of an id, e.g. `emptyRequest(102)` = `08 66 b2 06 00`. */
export function emptyRequest(id: number): Uint8Array {
  return encodeRaw(id, new Uint8Array());
}

export type Frame = string | Uint8Array;

/** A websocket that records every frame, in order, for tests to wait on. */
export class SocketProbe {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number }>;
  private cursor = 0;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data, isBinary) => {
      const buffer = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
      this.frames.push(isBinary ? new Uint8Array(buffer) : buffer.toString("utf8"));
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on("close", (code) => {
        resolve({ code });
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
  }

  static open(url: string, ca?: string): Promise<SocketProbe> {
    const ws = new WebSocket(url, ca ? { ca } : {});
    const probe = new SocketProbe(ws);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(probe));
      ws.once("error", reject);
    });
  }

  /** The next frame (after those already returned) that matches, waiting up to `timeoutMs`. */
  async next(match: (frame: Frame) => boolean = () => true, timeoutMs = 2000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.frames.length) {
        const frame = this.frames[this.cursor++]!;
        if (match(frame)) return frame;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.ws.readyState === WebSocket.CLOSED) {
        throw new Error(
          `no matching frame within ${timeoutMs} ms (got ${this.frames.length} frames)`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  nextBinary(timeoutMs?: number): Promise<Uint8Array> {
    return this.next((f) => typeof f !== "string", timeoutMs) as Promise<Uint8Array>;
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Starts a simulator and a client that trusts its certificate; `stop` ends both. */
export async function startWired(options: SimulatorOptions = {}) {
  const sim = await startSimulator(options);
  const client = new WireClient(sim.url, sim.certPem);
  return {
    sim,
    client,
    stop: async () => {
      await client.close();
      await sim.stop();
    },
  };
}

/** A simulator and a wire client to it, as the driver and client tests share them. */
export interface Pbx {
  sim: Simulator;
  wire: WireClient;
}

/** Starts a simulator and its wire client; their shutdown goes onto the test's `cleanups`. */
export async function startPbx(
  options: SimulatorOptions,
  cleanups: Array<() => Promise<void>>,
): Promise<Pbx> {
  const { sim, client: wire, stop } = await startWired(options);
  cleanups.push(stop);
  return { sim, wire };
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

export async function getJson<T>(wire: WireClient, path: string): Promise<T> {
  return JSON.parse((await wire.request("GET", path)).text) as T;
}

/** The request log as "METHOD path[#messageId] status[ note]" lines, from entry `from` on. */
export async function requestLog(wire: WireClient, from = 0): Promise<string[]> {
  const log = await getJson<RequestLogEntry[]>(wire, "/__sim/requests");
  return log
    .slice(from)
    .map(
      (e) =>
        `${e.method} ${e.path}${e.messageId === undefined ? "" : `#${e.messageId}`} ${e.status}${e.note ? ` ${e.note}` : ""}`,
    );
}

export async function requestCount(wire: WireClient): Promise<number> {
  return (await getJson<RequestLogEntry[]>(wire, "/__sim/requests")).length;
}

/** A call as `/__sim/calls` lists it (the fields the tests read). */
export interface SimCallView {
  id: number;
  destination: string;
  device: string | null;
  state: string;
}

export function simCalls(wire: WireClient): Promise<SimCallView[]> {
  return getJson<SimCallView[]>(wire, "/__sim/calls");
}
