// The Call Control event socket `wss://…/callcontrol/ws` (reference §10), V20 only: opened with
// `Authorization: Bearer <client token>`, it carries one JSON event per call change of the DNs the
// client monitors: `{sequence, event: {event_type, entity, attached_data}}`, 0 upsert, 1 remove.
// The entity is a participant path the client then GETs. Frames the client sends are ignored [?].
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { participantPath } from "./callcontrol-routes.js";
import { bearerToken, parseTarget } from "./http.js";
import type { CallChangeKind, Channel, ExtensionState, SimCall } from "./model.js";
import type { Pbx } from "./pbx.js";
import type { ScenarioApiClient } from "./scenario.js";

export const CALLCONTROL_WS_PATH = "/callcontrol/ws";

/** Key casing of the events: snake_case in one capture, PascalCase in another client (§10). */
export type EventKeyCase = "snake" | "pascal";

const MAX_CLIENT_FRAME_BYTES = 64 * 1024;

const EVENT_TYPE = { upsert: 0, remove: 1 } as const;

interface Subscriber {
  client: ScenarioApiClient;
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

  constructor(
    private readonly pbx: Pbx,
    private readonly keyCase: EventKeyCase,
  ) {
    this.unsubscribe = pbx.onCallChange((ext, call, kind) => this.broadcast(ext, call, kind));
  }

  /** The `upgrade` event for CALLCONTROL_WS_PATH: 401 without a valid token, 403 unlicensed. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    const client = this.pbx.apiClientOf(bearerToken(request.headers));
    if (parseTarget(request.url)?.pathname !== CALLCONTROL_WS_PATH) this.refuse(socket, 404);
    else if (!client) this.refuse(socket, 401);
    else if (!this.pbx.config.callControlLicensed) this.refuse(socket, 403);
    else this.server.handleUpgrade(request, socket, head, (ws) => this.accept(ws, client));
  }

  private accept(ws: WebSocket, client: ScenarioApiClient): void {
    this.log(101, "accepted");
    this.sockets.add(ws);
    const channel: Channel = {
      send: (data) => {
        if (ws.readyState === ws.OPEN) ws.send(data);
      },
      close: () => ws.close(1000),
      terminate: () => ws.terminate(),
    };
    const subscriber: Subscriber = { client, channel, sequence: 0 };
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
      subscriber.channel.send(JSON.stringify(this.frame(subscriber.sequence, type, entity)));
    }
  }

  private frame(sequence: number, type: number, entity: string): object {
    if (this.keyCase === "pascal") {
      return { Sequence: sequence, Event: { EventType: type, Entity: entity, AttachedData: null } };
    }
    return { sequence, event: { event_type: type, entity, attached_data: null } };
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
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    this.subscribers.clear();
    this.server.close();
  }
}
