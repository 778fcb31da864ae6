// The gateway API's device route: the devices registered on the extension (GET /v1/devices).
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { deviceView } from "../../features/calls/devices.js";
import { actingAccount, type GatewayEnv } from "./context.js";
import { BEARER, COMMON_ERRORS, DeviceSchema, ExtensionQuery, errorResponses } from "./schemas.js";

const devicesRoute = createRoute({
  method: "get",
  path: "/v1/devices",
  summary: "Devices registered on the extension",
  security: BEARER,
  request: { query: ExtensionQuery },
  responses: {
    200: {
      description: "Registered devices, in the order `device` indices refer to.",
      content: { "application/json": { schema: z.object({ devices: z.array(DeviceSchema) }) } },
    },
    ...errorResponses(...COMMON_ERRORS, 400),
  },
});

export function addDeviceRoutes(app: OpenAPIHono<GatewayEnv>): void {
  app.openapi(devicesRoute, (c) => {
    const account = actingAccount(c, c.req.valid("query").extension);
    return c.json({ devices: account.client.devices().map(deviceView) }, 200);
  });
}
