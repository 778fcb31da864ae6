// The gateway API's setup check (POST /v1/check): changes nothing, and answers only after the
// checks every request that changes something passes (Host, Origin, token). A client tests its
// setup with it without placing a call. Browser extensions need a POST for that: Chromium sends
// an extension's Origin with POST and DELETE but not with GET, so a GET passes the Origin check
// whether or not the gateway allows the extension (`--allow-extension`), and a POST does not.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { VERSION } from "../../version.js";
import { normalizeOrigin } from "../security.js";
import type { GatewayEnv } from "./context.js";
import { BEARER, COMMON_ERRORS, errorResponses } from "./schemas.js";

const checkRoute = createRoute({
  method: "post",
  path: "/v1/check",
  summary: "Check that this client may place calls; changes nothing",
  description:
    "No body. Passes the same Host, Origin and token checks as POST /v1/calls (403 `forbidden_origin` for an origin outside allowed_origins), then does nothing. For a browser extension's settings test: browsers send the Origin with a POST, not always with a GET.",
  security: BEARER,
  responses: {
    200: {
      description: "This client may place calls for `extension`.",
      content: {
        "application/json": {
          schema: z.object({
            extension: z.string(),
            origin: z.string().nullable().openapi({
              description:
                "The Origin the request came with, as the gateway checked it; null when none was sent (not a browser).",
            }),
            version: z.string().openapi({ description: "The gateway's version." }),
          }),
        },
      },
    },
    ...errorResponses(...COMMON_ERRORS),
  },
});

export function addCheckRoutes(app: OpenAPIHono<GatewayEnv>): void {
  app.openapi(checkRoute, (c) => {
    const header = c.req.header("origin");
    const origin = header === undefined ? null : (normalizeOrigin(header) ?? null);
    return c.json({ extension: c.get("account").extension, origin, version: VERSION }, 200);
  });
}
