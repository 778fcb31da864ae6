// The server-push channel /ws/webclient (reference §5): waits for START, passes each binary frame
// on as a decoded GenericMessage, treats NOT AUTH / STOP as an expired session, and declares the
// channel dead after a quiet period (3CX's widget: 20 s with no frame at all).
import { EventEmitter } from "node:events";
import { Agent as HttpsAgent } from "node:https";
import type WebSocket from "ws";
import { NetworkError } from "../../errors.js";
import { CodecError, type DecodedMessage, decodeMessage } from "../../protocol/codec.js";
import { type TlsTrust, tlsConnectOptions, toTlsError } from "../tls.js";

export interface ChannelOptions {
  base: URL;
  trust: TlsTrust;
  sessionKey: string;
  pass: string;
  cookieHeader?: string;
  /** How long to wait for START. */
  startTimeoutMs?: number;
  /** No frame for this long means the channel is dead (3CX's AddpTimeoutMs). */
  quietTimeoutMs?: number;
  /** Echo ADDP keep-alives back (REDiTECH does; 3CX's widget does not, the default). */
  echoAddp?: boolean;
}

export type ChannelCloseReason = "closed" | "expired" | "dropped" | "quiet";

export interface ChannelEvents {
  message: [DecodedMessage];
  undecodable: [CodecError];
  text: [string];
  close: [ChannelCloseReason];
}

export class EventChannel extends EventEmitter<ChannelEvents> {
  private quietTimer: NodeJS.Timeout | undefined;
  private closedBy: ChannelCloseReason | undefined;
  private expiredBeforeStart = false;

  private constructor(
    private readonly socket: WebSocket,
    private readonly options: ChannelOptions,
  ) {
    super();
  }

  /** Opens the channel; resolves after START. Rejects with "expired" on NOT AUTH. */
  static async open(options: ChannelOptions): Promise<EventChannel> {
    const url = channelUrl(options);
    // Loaded on first use: a warm `dial3cx call` never opens a channel.
    const { default: WebSocketClass } = await import("ws");
    const socket = new WebSocketClass(url, {
      agent: url.protocol === "wss:" ? httpsAgent(options.trust) : undefined,
      headers: options.cookieHeader ? { cookie: options.cookieHeader } : {},
      handshakeTimeout: options.startTimeoutMs ?? 10_000,
    });
    socket.binaryType = "nodebuffer";
    const channel = new EventChannel(socket, options);
    return channel.waitForStart(url.host);
  }

  close(): void {
    this.finish("closed");
    this.socket.close();
  }

  get isOpen(): boolean {
    return this.closedBy === undefined;
  }

  private waitForStart(host: string): Promise<EventChannel> {
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => {
        this.socket.terminate();
        reject(new NetworkError(`The PBX at ${host} opened no event channel (no START).`));
      }, this.options.startTimeoutMs ?? 10_000);
      const fail = (error: Error) => {
        clearTimeout(timeout);
        reject(
          toTlsError(error, host) ??
            new NetworkError(`Event channel to ${host}: ${error.message}`, { cause: error }),
        );
      };
      this.socket.once("error", fail);
      this.socket.on("message", (data, isBinary) => {
        if (isBinary || this.closedBy) return;
        const text = data.toString();
        if (text === "NOT AUTH" || text === "STOP") this.expiredBeforeStart = true;
        if (text !== "START") return;
        clearTimeout(timeout);
        this.socket.off("error", fail);
        this.listen();
        resolve(this);
      });
      this.socket.once("close", () => {
        clearTimeout(timeout);
        reject(
          this.expiredBeforeStart
            ? new SessionExpiredOnOpen()
            : new NetworkError(`The PBX at ${host} closed the event channel before START.`),
        );
      });
    });
  }

  private listen(): void {
    this.armQuietTimer();
    this.socket.on("message", (data, isBinary) => this.onFrame(data as Buffer, isBinary));
    this.socket.on("error", () => this.finish("dropped"));
    this.socket.on("close", () => this.finish("dropped"));
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    this.armQuietTimer();
    if (!isBinary) {
      this.onText(data.toString());
      return;
    }
    try {
      this.emit("message", decodeMessage(data));
    } catch (error) {
      if (error instanceof CodecError) this.emit("undecodable", error);
      else throw error;
    }
  }

  private onText(text: string): void {
    if (text === "ADDP") {
      if (this.options.echoAddp) this.socket.send("ADDP");
      return;
    }
    if (text === "NOT AUTH" || text === "STOP") {
      this.finish("expired");
      this.socket.close();
      return;
    }
    if (text !== "START") this.emit("text", text);
  }

  private armQuietTimer(): void {
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => {
      this.finish("quiet");
      this.socket.terminate();
    }, this.options.quietTimeoutMs ?? 20_000);
    this.quietTimer.unref();
  }

  private finish(reason: ChannelCloseReason): void {
    clearTimeout(this.quietTimer);
    if (this.closedBy) return;
    this.closedBy = reason;
    this.emit("close", reason);
  }
}

/** NOT AUTH before START: the session key or pass is no longer valid. */
export class SessionExpiredOnOpen extends Error {
  constructor() {
    super("The PBX refused the event channel (NOT AUTH).");
  }
}

function channelUrl(options: ChannelOptions): URL {
  const url = new URL("/ws/webclient", options.base);
  url.protocol = options.base.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("sessionId", options.sessionKey);
  url.searchParams.set("pass", options.pass);
  return url;
}

function httpsAgent(trust: TlsTrust): HttpsAgent {
  return new HttpsAgent({
    ...tlsConnectOptions(trust),
    ...(trust.maxCachedSessions === undefined
      ? {}
      : { maxCachedSessions: trust.maxCachedSessions }),
  });
}
