// The Call Control event socket `wss://…/callcontrol/ws` (reference §10), V20 only: opened with
// `Authorization: Bearer <client token>`, it carries one JSON event per call change of the DNs the
// client monitors, in the shape 3CX sends [A][L]: `{sequence, event: {event_type, entity,
// attached_data}}`, 0 Upset, 1 Remove. The entity is a participant path the client then GETs.
// As on live PBXs, a participant not yet connected gets its Upset repeated (every 750 ms,
// pocket-dial, §10.1 item 1). A socket whose token was revoked by a newer one is closed [?].
// Frames the client sends are ignored [?].
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { participantPath } from "./callcontrol-routes.js";
import { bearerToken, parseTarget } from "./http.js";
import type { CallChangeKind, Channel, ExtensionState, SimCall } from "./model.js";
import type { Pbx } from "./pbx.js";
import type { ScenarioApiClient } from "./scenario.js";

export const CALLCONTROL_WS_PATH = "/callcontrol/ws";

const MAX_CLIENT_FRAME_BYTES = 64 * 1024;

const EVENT_TYPE = { upsert: 0, remove: 1 } as const;

interface Subscriber {
  client: ScenarioApiClient;
  token: string;
  channel: Channel;
  sequence: number;
}

export class CallControlSockets {
  private readonly server = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_FRAME_BYTES,
  });
  private readonly sockets = new Set<WebSocket>();
  private readonly subscribers = new Set<Subscriber>();
  private readonly unsubscribe: () => void;
  /** Per live call not yet connected: the timer repeating its Upset. */
  private readonly repeaters = new Map<number, NodeJS.Timeout>();
  private readonly onNewToken = (clientId: string) => this.closeRevoked(clientId);

  constructor(private readonly pbx: Pbx) {
    this.unsubscribe = pbx.onCallChange((ext, call, kind) => {
      this.broadcast(ext, call, kind);
      this.repeat(ext, call);
    });
    pbx.clientTokenListeners.add(this.onNewToken);
  }

  /** The `upgrade` event for CALLCONTROL_WS_PATH: 401 without a valid token, 403 unlicensed. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    const token = bearerToken(request.headers);
    const client = this.pbx.apiClientOf(token);
    if (parseTarget(request.url)?.pathname !== CALLCONTROL_WS_PATH) this.refuse(socket, 404);
    else if (!client || token === undefined) this.refuse(socket, 401);
    else if (!this.pbx.config.callControlLicensed) this.refuse(socket, 403);
    else this.server.handleUpgrade(request, socket, head, (ws) => this.accept(ws, client, token));
  }

  /** Fault `callControlFrame`: a raw text frame to every open event socket. */
  sendRaw(frame: string): number {
    for (const subscriber of this.subscribers) subscriber.channel.send(frame);
    return this.subscribers.size;
  }

  private accept(ws: WebSocket, client: ScenarioApiClient, token: string): void {
    this.log(101, "accepted");
    this.sockets.add(ws);
    const channel: Channel = {
      send: (data) => {
        if (ws.readyState === ws.OPEN) ws.send(data);
      },
      close: () => ws.close(1000),
      terminate: () => ws.terminate(),
    };
    const subscriber: Subscriber = { client, token, channel, sequence: 0 };
    this.subscribers.add(subscriber);
    this.pbx.apiChannels.add(channel);
    ws.on("error", () => ws.terminate());
    ws.on("close", () => {
      this.sockets.delete(ws);
      this.subscribers.delete(subscriber);
      this.pbx.apiChannels.delete(channel);
    });
  }

  private broadcast(ext: ExtensionState, call: SimCall, kind: CallChangeKind): void {
    const entity = participantPath(ext.number, call.id);
    const type = kind === "ended" ? EVENT_TYPE.remove : EVENT_TYPE.upsert;
    for (const subscriber of this.subscribers) {
      if (!subscriber.client.monitor.includes(ext.number)) continue;
      subscriber.sequence++;
      const frame = {
        sequence: subscriber.sequence,
        event: { event_type: type, entity, attached_data: null },
      };
      subscriber.channel.send(JSON.stringify(frame));
    }
  }

  /** While the call is live and not connected, its Upset is sent again every `upsetRepeatMs`. */
  private repeat(ext: ExtensionState, call: SimCall): void {
    const interval = this.pbx.config.upsetRepeatMs;
    const waiting = call.state === "dialing";
    const timer = this.repeaters.get(call.id);
    if (!waiting || interval <= 0) {
      if (timer) clearInterval(timer);
      this.repeaters.delete(call.id);
      return;
    }
    if (timer) return;
    const repeater = setInterval(() => {
      if (call.state !== "dialing") {
        clearInterval(repeater);
        this.repeaters.delete(call.id);
        return;
      }
      this.broadcast(ext, call, "updated");
    }, interval);
    repeater.unref();
    this.repeaters.set(call.id, repeater);
  }

  /** 3CX revokes a client's token when it issues a new one: sockets opened with it end [?]. */
  private closeRevoked(clientId: string): void {
    for (const subscriber of this.subscribers) {
      if (subscriber.client.clientId !== clientId) continue;
      if (this.pbx.apiClientOf(subscriber.token)) continue;
      this.subscribers.delete(subscriber);
      subscriber.channel.close();
    }
  }

  private refuse(socket: Duplex, status: 401 | 403 | 404): void {
    const reason = { 401: "Unauthorized", 403: "Forbidden", 404: "Not Found" }[status];
    this.log(status);
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  private log(status: number, note?: string): void {
    this.pbx.log({
      time: new Date(this.pbx.now()).toISOString(),
      method: "GET",
      path: CALLCONTROL_WS_PATH,
      status,
      ...(note === undefined ? {} : { note }),
    });
  }

  stop(): void {
    this.unsubscribe();
    this.pbx.clientTokenListeners.delete(this.onNewToken);
    for (const timer of this.repeaters.values()) clearInterval(timer);
    this.repeaters.clear();
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    this.subscribers.clear();
    this.server.close();
  }
}
