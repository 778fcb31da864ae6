// A proxy in front of the simulator that disturbs answers the way a broken middlebox or a
// failing PBX would: it passes every request and websocket through, and can replace the body of
// the next N answers to a path with garbage (the request has reached the PBX and was carried
// out). Used by the fault suite; loopback only.
import { createServer, request as httpRequest, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";

export interface CorruptingProxy {
  url: string;
  /** The next `count` answers to `path` arrive garbled (status 200, unreadable body). */
  corruptNext(path: string, count?: number): void;
  stop(): Promise<void>;
}

const GARBAGE = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);

export async function startCorruptingProxy(target: string): Promise<CorruptingProxy> {
  const upstream = new URL(target);
  const corrupt = new Map<string, number>();
  const sockets = new Set<import("node:net").Socket>();
  const server: Server = createServer((req, res) => {
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        const path = (req.url ?? "").split("?", 1)[0]!;
        const left = corrupt.get(path) ?? 0;
        if (left > 0) {
          corrupt.set(path, left - 1);
          answer.resume();
          answer.on("end", () => {
            res.writeHead(200, {
              "content-type": "application/octet-stream",
              "content-length": GARBAGE.length,
            });
            res.end(GARBAGE);
          });
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  // Websockets: the raw upgrade request goes upstream, then bytes flow both ways untouched.
  server.on("upgrade", (req, socket, head) => {
    const peer = connect(Number(upstream.port), upstream.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      }
      peer.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length) peer.write(head);
      peer.pipe(socket);
      socket.pipe(peer);
    });
    sockets.add(peer);
    peer.on("close", () => {
      sockets.delete(peer);
      socket.destroy();
    });
    peer.on("error", () => socket.destroy());
    socket.on("error", () => peer.destroy());
    socket.on("close", () => peer.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    corruptNext: (path, count = 1) => corrupt.set(path, count),
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
