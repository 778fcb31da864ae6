// The gateway API's events route: Server-Sent Events for the extension's calls and devices
// (GET /v1/events), followed from the event hub until the client goes away or the gateway stops;
// at most 20 open at once per token.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { EVENT_TYPES, type EventHub } from "../events.js";
import { type ApiOptions, actingAccount, type GatewayEnv } from "./context.js";
import { ApiProblem } from "./errors.js";
import { BEARER, COMMON_ERRORS, ExtensionQuery, errorResponses } from "./schemas.js";

const eventsRoute = createRoute({
  method: "get",
  path: "/v1/events",
  summary: "Server-Sent Events for the extension's calls and devices",
  description: `Event names: ${EVENT_TYPES.join(", ")}. Each \`data:\` is a JSON object {id, type, time, extension, call?, device?}. A \`: keep-alive\` comment comes every 15 s. Read it with fetch() and an Authorization header (EventSource cannot send one).`,
  security: BEARER,
  request: { query: ExtensionQuery },
  responses: {
    200: {
      description: "An event stream that stays open.",
      content: { "text/event-stream": { schema: z.string() } },
    },
    ...errorResponses(...COMMON_ERRORS, 400, 429),
  },
});

export function addEventRoutes(app: OpenAPIHono<GatewayEnv>, options: ApiOptions): void {
  const openStreams = new Map<string, number>();
  const maxStreams = options.maxStreamsPerToken ?? 20;
  app.openapi(eventsRoute, (c) => {
    const account = actingAccount(c, c.req.valid("query").extension);
    const open = openStreams.get(account.extension) ?? 0;
    if (open >= maxStreams) {
      throw new ApiProblem(
        429,
        "too_many_streams",
        `At most ${maxStreams} event streams per token: close one first.`,
        { "retry-after": "5" },
      );
    }
    openStreams.set(account.extension, open + 1);
    return streamSSE(c, async (stream) => {
      try {
        await followEvents(stream, account.extension, options.hub, options.keepAliveMs ?? 15_000);
      } finally {
        const left = (openStreams.get(account.extension) ?? 1) - 1;
        if (left > 0) openStreams.set(account.extension, left);
        else openStreams.delete(account.extension);
      }
    });
  });
}

/** Streams the extension's events until the client goes away or the gateway stops. */
async function followEvents(
  stream: Parameters<Parameters<typeof streamSSE>[1]>[0],
  extension: string,
  hub: EventHub,
  keepAliveMs: number,
): Promise<void> {
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  // One write at a time, in event order.
  let writing = Promise.resolve();
  const send = (write: () => Promise<unknown>) => {
    writing = writing.then(write).then(
      () => undefined,
      () => finish(),
    );
  };
  const unsubscribe = hub.subscribe(
    (event) =>
      send(() => stream.writeSSE({ event: event.type, id: event.id, data: JSON.stringify(event) })),
    extension,
  );
  const unregister = hub.onClose(() => finish());
  stream.onAbort(() => finish());
  const keepAlive = setInterval(() => send(() => stream.write(": keep-alive\n\n")), keepAliveMs);
  send(() => stream.write(": connected\nretry: 3000\n\n"));
  try {
    await finished;
  } finally {
    clearInterval(keepAlive);
    unsubscribe();
    unregister();
    await writing;
  }
}
