// The gateway API's status route: the extension and its PBX session (GET /v1/status), and the
// way out of a refused login (POST /v1/accounts/{extension}/retry).
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { VERSION } from "../../version.js";
import type { ServedAccount } from "../accounts.js";
import { type ApiOptions, actingAccount, type GatewayEnv } from "./context.js";
import {
  BEARER,
  COMMON_ERRORS,
  ExtensionQuery,
  errorResponses,
  PBX_ERRORS,
  StatusSchema,
} from "./schemas.js";

const statusRoute = createRoute({
  method: "get",
  path: "/v1/status",
  summary: "The extension and its PBX session",
  security: BEARER,
  request: { query: ExtensionQuery },
  responses: {
    200: { description: "Status.", content: { "application/json": { schema: StatusSchema } } },
    ...errorResponses(...COMMON_ERRORS, 400),
  },
});

const retryLoginRoute = createRoute({
  method: "post",
  path: "/v1/accounts/{extension}/retry",
  summary: "Log in again after the PBX refused the gateway's login",
  description:
    "After a refused login the gateway does not log in again (3CX blocks the whole address after a few failures) until the password source gives another password. Once the password is fixed, this tries one login now. No body.",
  security: BEARER,
  request: {
    params: z.object({
      extension: z
        .string()
        .regex(/^\d+$/, "must be digits")
        .openapi({ param: { name: "extension", in: "path" }, example: "100" }),
    }),
  },
  responses: {
    200: {
      description: "Logged in (or no login was refused).",
      content: {
        "application/json": {
          schema: z.object({ extension: z.string(), connection: z.string() }),
        },
      },
    },
    ...errorResponses(...COMMON_ERRORS, ...PBX_ERRORS),
  },
});

export function addStatusRoutes(app: OpenAPIHono<GatewayEnv>, options: ApiOptions): void {
  app.openapi(retryLoginRoute, async (c) => {
    const account = actingAccount(c, c.req.valid("param").extension);
    await account.client.retryLogin();
    options.logger.info({ extension: account.extension }, "login retried");
    return c.json({ extension: account.extension, connection: account.connection }, 200);
  });

  app.openapi(statusRoute, (c) => {
    const account = actingAccount(c, c.req.valid("query").extension);
    const info = account.client.extension();
    const name = [info.firstName, info.lastName].filter(Boolean).join(" ");
    return c.json(
      {
        extension: account.extension,
        name: name || null,
        presence: info.presence ?? null,
        dnd: info.dnd ?? null,
        missedCalls: info.missedCalls ?? null,
        pbx: account.pbx,
        connection: account.connection,
        devices: account.client.devices().length,
        calls: account.client.calls().length,
        version: VERSION,
        loginRefused: refusalView(account),
      },
      200,
    );
  });
}

function refusalView(account: ServedAccount): { since: string; message: string } | null {
  const refused = account.client.loginRefused();
  return refused ? { since: refused.since.toISOString(), message: refused.message } : null;
}
