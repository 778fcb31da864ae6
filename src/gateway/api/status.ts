// The gateway API's status route: the extension and its PBX session (GET /v1/status).
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { VERSION } from "../../version.js";
import { actingAccount, type GatewayEnv } from "./context.js";
import { BEARER, COMMON_ERRORS, ExtensionQuery, errorResponses, StatusSchema } from "./schemas.js";

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

export function addStatusRoutes(app: OpenAPIHono<GatewayEnv>): void {
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
      },
      200,
    );
  });
}
