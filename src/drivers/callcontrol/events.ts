// The Call Control event socket `wss://…/callcontrol/ws` (reference §10): opened with the bearer
// token, it passes each event frame on, parsed. Liveness is checked with websocket pings, since
// the API defines no keep-alive of its own: no pong by the next ping means the socket is dead.
import { EventEmitter } from "node:events";
import { Agent as HttpsAgent } from "node:https";
import type WebSocket from "ws";
import { NetworkError } from "../../errors.js";
import { type TlsTrust, tlsConnectOptions, toTlsError } from "../tls.js";
import { type ControlEvent, readEventFrame } from "./model.js";

export const EVENTS_PATH = "/callcontrol/ws";

export interface EventSocketOptions {
  base: URL;
  trust: TlsTrust;
  token: string;
  timeoutMs?: number;
  /** How often to ping; a missing pong by the next ping ends the socket. Default 15 s. */
  pingIntervalMs?: number;
}

export type EventSocketCloseReason = "closed" | "dropped" | "quiet";

export interface EventSocketEvents {
  event: [ControlEvent];
  /** A frame that is no event this driver knows: its shape, for a debug line. */
  unknown: [string];
  close: [EventSocketCloseReason];
}

/** The upgrade was answered with an HTTP status instead (401 token, 403 licence, 404 no API). */
export class EventSocketRefused extends Error {
  constructor(readonly status: number) {
    super(`The PBX refused the Call Control event socket (HTTP ${status}).`);
  }
}

export class EventSocket extends EventEmitter<EventSocketEvents> {
  private pingTimer: NodeJS.Timeout | undefined;
  private closedBy: EventSocketCloseReason | undefined;
  private awaitingPong = false;

  private constructor(private readonly socket: WebSocket) {
    super();
  }

  /** The bearer token the socket was opened with. */
  token = "";

  static async open(options: EventSocketOptions): Promise<EventSocket> {
    const url = new URL(EVENTS_PATH, options.base);
    url.protocol = options.base.protocol === "https:" ? "wss:" : "ws:";
    // Loaded on first use, as the web-client channel does: a plain call never opens a socket.
    const { default: WebSocketClass } = await import("ws");
    const socket = new WebSocketClass(url, {
      agent: url.protocol === "wss:" ? httpsAgent(options.trust) : undefined,
      headers: { authorization: `Bearer ${options.token}` },
      handshakeTimeout: options.timeoutMs ?? 10_000,
    });
    const events = new EventSocket(socket);
    events.token = options.token;
    return events.waitForOpen(url.host, options.pingIntervalMs ?? 15_000);
  }

  close(): void {
    this.finish("closed");
    this.socket.close();
  }

  private waitForOpen(host: string, pingIntervalMs: number): Promise<EventSocket> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        reject(
          toTlsError(error, host) ??
            new NetworkError(`Call Control event socket to ${host}: ${error.message}`, {
              cause: error,
            }),
        );
      };
      this.socket.once("error", onError);
      this.socket.once("unexpected-response", (request, response) => {
        this.socket.off("error", onError);
        this.socket.on("error", () => undefined); // the aborted upgrade may still report
        request.destroy();
        reject(new EventSocketRefused(response.statusCode ?? 0));
      });
      this.socket.once("open", () => {
        this.socket.off("error", onError);
        this.listen(pingIntervalMs);
        resolve(this);
      });
    });
  }

  private listen(pingIntervalMs: number): void {
    this.socket.on("message", (data, isBinary) => {
      if (isBinary) {
        this.emit("unknown", "binary frame");
        return;
      }
      const read = readEventFrame(String(data));
      if (read.kind === "event") this.emit("event", read.event);
      else this.emit("unknown", read.shape);
    });
    this.socket.on("pong", () => {
      this.awaitingPong = false;
    });
    this.socket.on("error", () => this.finish("dropped"));
    this.socket.on("close", () => this.finish("dropped"));
    this.pingTimer = setInterval(() => {
      if (this.awaitingPong) {
        this.finish("quiet");
        this.socket.terminate();
        return;
      }
      this.awaitingPong = true;
      this.socket.ping();
    }, pingIntervalMs);
    this.pingTimer.unref();
  }

  private finish(reason: EventSocketCloseReason): void {
    clearInterval(this.pingTimer);
    if (this.closedBy) return;
    this.closedBy = reason;
    this.emit("close", reason);
  }
}

function httpsAgent(trust: TlsTrust): HttpsAgent {
  return new HttpsAgent({
    ...tlsConnectOptions(trust),
    ...(trust.maxCachedSessions === undefined
      ? {}
      : { maxCachedSessions: trust.maxCachedSessions }),
  });
}
