// The gateway API's call-history route (GET /v1/history): the extension's recent calls, from the
// PBX's call history or, when the PBX will not give it, from the journal of calls this gateway
// saw. Each entry says whether it may be called back: only a caller id that is a number, never
// `anonymous`, an empty one or a SIP URI.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { callbackTarget } from "../../features/calls/callback.js";
import { dialStringOptions } from "../../features/calls/place-call.js";
import { type ApiOptions, actingAccount, type GatewayEnv } from "./context.js";
import { BEARER, COMMON_ERRORS, ExtensionField, errorResponses, PBX_ERRORS } from "./schemas.js";

const HistoryEntrySchema = z
  .object({
    direction: z.enum(["incoming", "outgoing", "unknown"]),
    missed: z.boolean(),
    number: z.string().openapi({
      description: "The other party as the PBX shows it: may be `anonymous`, empty or a SIP URI.",
    }),
    numberE164: z.string().nullable(),
    name: z.string().nullable().openapi({
      description: "From the vCards, then the PBX phone book, then the PBX's name.",
    }),
    time: z.string().nullable(),
    durationSeconds: z.number().nullable(),
    source: z.enum(["pbx", "journal"]),
    callback: z.boolean().openapi({
      description: "The number may be called back (POST /v1/calls with `to` = number).",
    }),
  })
  .openapi("HistoryEntry");

const HistoryQuery = z.object({
  missed: z.enum(["true", "false"]).default("false").openapi({ description: "Missed calls only." }),
  limit: z.coerce.number().int().min(1).max(500).default(20),
  extension: ExtensionField,
});

const historyRoute = createRoute({
  method: "get",
  path: "/v1/history",
  summary: "Recent calls of the extension, newest first",
  security: BEARER,
  request: { query: HistoryQuery },
  responses: {
    200: {
      description:
        "`calls` newest first; `fallback` says why the journal was used instead of the PBX's history.",
      content: {
        "application/json": {
          schema: z.object({
            calls: z.array(HistoryEntrySchema),
            fallback: z.string().nullable(),
          }),
        },
      },
    },
    ...errorResponses(...COMMON_ERRORS, 400, 422, ...PBX_ERRORS),
  },
});

export function addHistoryRoutes(app: OpenAPIHono<GatewayEnv>, options: ApiOptions): void {
  app.openapi(historyRoute, async (c) => {
    const query = c.req.valid("query");
    const account = actingAccount(c, query.extension);
    let fallback: string | null = null;
    const entries = await account.client.callHistory({
      limit: query.limit,
      missed: query.missed === "true",
      onFallback: (reason) => {
        fallback = reason.message;
      },
    });
    const names = options.callerNames?.get(account.extension);
    const dial = dialStringOptions(account.settings);
    const calls = await Promise.all(
      entries.map(async (entry) => {
        const target = callbackTarget(entry.number, dial);
        const named = names ? await names(entry.number, entry.name) : { name: entry.name };
        return {
          direction: entry.direction,
          missed: entry.missed,
          number: entry.number,
          numberE164: target?.e164 ?? null,
          name: named.name ?? null,
          time: entry.time ?? null,
          durationSeconds: entry.durationSeconds ?? null,
          source: entry.source,
          callback: target !== undefined,
        };
      }),
    );
    return c.json({ calls, fallback }, 200);
  });
}
