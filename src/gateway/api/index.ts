// The gateway's HTTP API, assembled: the middleware order (request log, Host, Origin/CORS, body
// limit, bearer token), the route modules beside this file (one per resource), /healthz, the
// dialer page's files (static.ts) and the OpenAPI 3.1 document at /openapi.json.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Logger } from "pino";
import { VERSION } from "../../version.js";
import { bodyLimitGuard, errorResponse, hostGuard, originGuard } from "../security.js";
import { addStaticRoutes } from "../static.js";
import { addCallRoutes } from "./calls.js";
import { addCheckRoutes } from "./check.js";
import { addContactRoutes } from "./contacts.js";
import type { ApiOptions, GatewayEnv } from "./context.js";
import { addDeviceRoutes } from "./devices.js";
import { ApiProblem, errorFor } from "./errors.js";
import { addEventRoutes } from "./events.js";
import { addHistoryRoutes } from "./history.js";
import { addStatusRoutes } from "./status.js";

export type { ApiOptions, GatewayEnv, PlacedCall } from "./context.js";
export { STATUS_BY_CODE } from "./errors.js";

const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Liveness; no token needed and nothing revealed",
  security: [],
  responses: {
    200: {
      description:
        "The gateway is running. `loginRefused` counts the served extensions whose PBX login was refused (no call can be placed for them until the password is fixed and POST /v1/accounts/{extension}/retry).",
      content: {
        "application/json": {
          schema: z.object({ ok: z.literal(true), loginRefused: z.number().int() }),
        },
      },
    },
  },
});

export function createApi(options: ApiOptions): OpenAPIHono<GatewayEnv> {
  const app = new OpenAPIHono<GatewayEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
        throw new ApiProblem(400, "usage", `${where}${issue?.message ?? "invalid request"}`);
      }
    },
  });
  app.use(requestLog(options.logger));
  app.use(hostGuard<GatewayEnv>(options.allowedHosts));
  app.use(
    originGuard<GatewayEnv>({
      selfOrigins: options.selfOrigins,
      allowedOrigins: options.allowedOrigins,
    }),
  );
  app.use(bodyLimitGuard<GatewayEnv>());
  app.use(async (c, next) => {
    await next();
    c.res.headers.set("x-content-type-options", "nosniff");
    if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
  });
  app.use("/v1/*", bearerAuth(options));
  app.onError((error) => errorFor(error, options.logger));
  app.notFound(() => errorResponse(404, "not_found", "No such endpoint."));

  addCallRoutes(app, options);
  addDeviceRoutes(app);
  addStatusRoutes(app, options);
  addContactRoutes(app);
  addEventRoutes(app, options);
  addHistoryRoutes(app, options);
  addCheckRoutes(app);
  app.openapi(healthRoute, (c) => {
    const loginRefused = options.accounts.list().filter((a) => a.client.loginRefused()).length;
    return c.json({ ok: true as const, loginRefused }, 200);
  });
  addStaticRoutes(app, options.webDir);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "A token from `dial3cx serve --show-token`; each token acts for one extension.",
  });
  // Generated once, on first request: the routes do not change while the gateway runs.
  let document: unknown;
  app.get("/openapi.json", (c) => {
    document ??= app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "dial3cx gateway",
        version: VERSION,
        description:
          'Click-to-call for 3CX over one warm PBX session per extension. Errors are {"error": {"code", "message"}} with the CLI\'s codes.',
      },
    });
    return c.json(document as object, 200);
  });
  return app;
}

function requestLog(logger: Logger) {
  return async (c: Context<GatewayEnv>, next: () => Promise<void>) => {
    const started = performance.now();
    await next();
    logger.info(
      {
        method: c.req.method,
        // The path only: a query could carry anything.
        path: c.req.path,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        extension: c.get("account")?.extension,
        transport: c.env.transport,
      },
      "request",
    );
  };
}

function bearerAuth(options: ApiOptions) {
  return async (c: Context<GatewayEnv>, next: () => Promise<void>) => {
    const match = /^Bearer +(\S+) *$/i.exec(c.req.header("authorization") ?? "");
    const extension = match ? options.tokens.authenticate(match[1]!) : undefined;
    const account = extension === undefined ? undefined : options.accounts.get(extension);
    if (!account) {
      return errorResponse(
        401,
        "unauthorized",
        "Missing or wrong token: send Authorization: Bearer <token> (see dial3cx serve --show-token).",
        { "www-authenticate": 'Bearer realm="dial3cx"' },
      );
    }
    c.set("account", account);
    await next();
  };
}
