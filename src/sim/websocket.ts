// The push channel `/ws/webclient?sessionId=…&pass=…` (reference §5): `START` on a valid session,
// then `ADDP` keep-alives; `NOT AUTH` and a close on a wrong or expired one. Binary frames carry one
// GenericMessage each and flow server→client only; whatever the client sends is ignored.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { parseTarget } from "./http.js";
import type { Channel } from "./model.js";
import type { Pbx } from "./pbx.js";

export const WEBSOCKET_PATH = "/ws/webclient";

const MAX_CLIENT_FRAME_BYTES = 64 * 1024;

export class WebclientSockets {
  private readonly server = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_FRAME_BYTES,
  });
  private readonly sockets = new Set<WebSocket>();

  constructor(
    private readonly pbx: Pbx,
    private readonly addpIntervalMs: number,
  ) {}

  /** The `upgrade` event of the HTTP(S) server. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    const url = parseTarget(request.url);
    if (url?.pathname !== WEBSOCKET_PATH) {
      this.log(url?.pathname ?? "(unparsable)", 404);
      socket.end(
        "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 9\r\n\r\nNot Found",
      );
      return;
    }
    this.server.handleUpgrade(request, socket, head, (ws) => this.accept(ws, url.searchParams));
  }

  private accept(ws: WebSocket, query: URLSearchParams): void {
    this.sockets.add(ws);
    this.pbx.openWebsockets++;
    ws.on("error", () => ws.terminate());
    ws.on("close", () => {
      this.sockets.delete(ws);
      this.pbx.openWebsockets--;
    });
    const session = this.pbx.useSession(
      query.get("sessionId") ?? undefined,
      query.get("pass") ?? "",
    );
    if (!session) {
      this.log(WEBSOCKET_PATH, 101, "NOT AUTH");
      ws.send("NOT AUTH");
      ws.close(1000);
      return;
    }
    this.log(WEBSOCKET_PATH, 101, "START");
    const channel = channelOf(ws);
    this.pbx.attachChannel(session, channel);
    ws.send("START");
    const keepAlive = setInterval(() => channel.send("ADDP"), this.addpIntervalMs);
    keepAlive.unref();
    ws.on("close", () => {
      clearInterval(keepAlive);
      this.pbx.detachChannel(session, channel);
    });
  }

  private log(path: string, status: number, note?: string): void {
    this.pbx.log({
      time: new Date(this.pbx.now()).toISOString(),
      method: "GET",
      path,
      status,
      ...(note === undefined ? {} : { note }),
    });
  }

  /** Ends every websocket at once (shutdown). */
  stop(): void {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    this.server.close();
  }
}

function channelOf(ws: WebSocket): Channel {
  return {
    send: (data) => {
      if (ws.readyState === ws.OPEN) ws.send(data);
    },
    close: () => ws.close(1000),
    terminate: () => ws.terminate(),
  };
}
