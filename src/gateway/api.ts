// The gateway's HTTP API: the OpenAPIHono routes with their zod schemas (the OpenAPI 3.1 document
// at /openapi.json is generated from them), the middleware order (request log, Host, Origin/CORS,
// body limit, bearer token), the dialer page's files (mounted from static.ts), and the mapping of
// the CLI's error codes to HTTP statuses.
//
// Status choices: bad_number and usage 400; device_not_found 422 (the request names a device
// that is not there, or several); rejected 422 (the PBX refused this call: retrying the same
// request will not help); no_device 409 (nothing registered right now); auth, blocked, auth_failed,
// two_factor_required, not_logged_in 502 (the gateway's own PBX login failed, not the API
// client's token); tls and protocol 502; pbx_unreachable 503 (nothing was carried out);
// outcome_unknown 504 (the call may have been placed: never a status that invites a retry);
// config 500. A duplicate call within the dedupe window answers 200 with the first call (201 is
// for a call placed now); a repeated Idempotency-Key gets the first answer again.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { streamSSE } from "hono/streaming";
import type { Logger } from "pino";
import { Dial3cxError, type ErrorCode } from "../errors.js";
import type { Call } from "../features/calls/client.js";
import type { DeviceRegistration } from "../features/calls/devices.js";
import { deviceView } from "../features/calls/devices.js";
import type { DialString } from "../features/calls/dialstring.js";
import { foldingPhoneBook } from "../features/contacts/contact-names.js";
import {
  loadAllContacts,
  type PhoneBookLookup,
  searchContacts,
} from "../features/contacts/index.js";
import { displayText, displayTextOf } from "../features/display-text.js";
import type { TokenRegistry } from "../features/settings/gateway-tokens.js";
import { VERSION } from "../version.js";
import type { AccountPool, ServedAccount } from "./accounts.js";
import { callView, EVENT_TYPES, type EventHub } from "./events.js";
import {
  bodyLimitGuard,
  type CallDeduper,
  errorResponse,
  hostGuard,
  type IdempotencyStore,
  originGuard,
  type RateLimiter,
  requireJson,
  type StoredAnswer,
  type TransportBindings,
  validIdempotencyKey,
} from "./security.js";
import { addStaticRoutes } from "./static.js";

export type GatewayEnv = {
  Bindings: TransportBindings;
  Variables: { account: ServedAccount };
};

/** A call placed through the API, kept for the dedupe window. */
export interface PlacedCall {
  call: Call;
  to: DialString;
  device: DeviceRegistration;
  extension: string;
}

export interface ApiOptions {
  accounts: AccountPool;
  tokens: TokenRegistry;
  hub: EventHub;
  logger: Logger;
  rateLimiter: RateLimiter;
  deduper: CallDeduper<PlacedCall>;
  /** Answers of POST /v1/calls by Idempotency-Key (10 minutes). */
  idempotency?: IdempotencyStore;
  allowedHosts: ReadonlySet<string>;
  selfOrigins: ReadonlySet<string>;
  allowedOrigins: ReadonlySet<string>;
  /** Event streams one token may have open at once (default 20). */
  maxStreamsPerToken?: number;
  /** SSE keep-alive comment interval (default 15 s). */
  keepAliveMs?: number;
  /** How long POST /v1/calls waits for the PBX to show the call's id (default 3 s). */
  callIdWaitMs?: number;
  /** Where the dialer page's built files are; default `<package root>/dist/web`. */
  webDir?: string;
}

export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  usage: 400,
  bad_number: 400,
  config: 500,
  not_logged_in: 502,
  auth: 502,
  two_factor_required: 502,
  blocked: 502,
  auth_failed: 502,
  rejected: 422,
  device_not_found: 422,
  no_device: 409,
  pbx_unreachable: 503,
  tls: 502,
  protocol: 502,
  outcome_unknown: 504,
};

/** A refusal decided by the gateway itself (not the PBX). */
class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Schemas

const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "bad_number" }),
      message: z.string(),
    }),
  })
  .openapi("Error");

const CALL_STATES = ["dialing", "ringing", "connected", "transferring", "ended"] as const;

const ExtensionField = z.string().regex(/^\d+$/, "must be digits").optional().openapi({
  description:
    "The extension to act for. Optional: a token acts only for its own extension, any other answers 403.",
  example: "100",
});

const MakeCallSchema = z
  .object({
    to: z.string().min(1).max(256).openapi({
      description:
        "A number in any format, an extension, a feature code, or a tel:/callto:/sip: URI.",
      example: "+49 30 123456",
    }),
    device: z.string().min(1).max(256).optional().openapi({
      description:
        "Which device rings: a name (unique prefix), the 1-based index of GET /v1/devices, or a SIP contact. Default: the configured device, else the only device or the lone desk phone.",
      example: "yealink",
    }),
    extension: ExtensionField,
  })
  .openapi("MakeCall");

const PlacedCallSchema = z
  .object({
    id: z.string().nullable().openapi({
      description:
        "The PBX's call id (for GET/DELETE /v1/calls/{id}); null when the PBX had not shown the call yet.",
    }),
    to: z.string().openapi({ description: "What was dialled.", example: "004930123456" }),
    toE164: z.string().nullable().openapi({ example: "+4930123456" }),
    display: z.string().openapi({ example: "+49 30 123456" }),
    device: z
      .string()
      .openapi({ description: "Name of the device that rings.", example: "Yealink T46S" }),
    deviceId: z.string(),
    extension: z.string(),
    state: z.enum(CALL_STATES),
    duplicate: z.boolean().openapi({
      description: "true when this answers a repeat of a call placed within the dedupe window.",
    }),
  })
  .openapi("PlacedCall");

const CallSchema = z
  .object({
    id: z.string(),
    state: z.enum(CALL_STATES),
    number: z.string().openapi({ description: "The other party's number as the PBX shows it." }),
    name: z.string().nullable(),
    incoming: z.boolean(),
  })
  .openapi("Call");

const DeviceSchema = z
  .object({
    id: z.string(),
    name: z.string().openapi({ example: "Yealink T46S" }),
    kind: z.enum(["desk-phone", "softphone", "mobile-app", "web-client", "unknown"]),
    contact: z.string(),
    sourceAddress: z.string().nullable(),
    userAgent: z.string().nullable(),
    expiresAt: z.string().nullable(),
  })
  .openapi("Device");

const StatusSchema = z
  .object({
    extension: z.string(),
    name: z.string().nullable(),
    presence: z.string().nullable(),
    dnd: z.boolean().nullable(),
    missedCalls: z.number().nullable(),
    pbx: z.string(),
    connection: z.enum(["open", "reconnecting", "closed"]).openapi({
      description: "The PBX event channel: reconnecting while the gateway restores the session.",
    }),
    devices: z.number(),
    calls: z.number(),
    version: z.string(),
    loginRefused: z.object({ since: z.string(), message: z.string() }).nullable().openapi({
      description:
        "Set while the PBX's refusal of the gateway's login keeps it from logging in again: fix the password, then POST /v1/accounts/{extension}/retry.",
    }),
  })
  .openapi("Status");

const ContactMatchSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    organization: z.string().nullable(),
    number: z.string(),
    numberType: z.enum(["work", "mobile", "home", "fax", "extension", "other"]),
    source: z.enum(["vcard", "pbx"]),
    match: z.enum(["number", "name", "fuzzy"]),
  })
  .openapi("ContactMatch");

const CallIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "id", in: "path" }, example: "17" }),
});

const ExtensionQuery = z.object({ extension: ExtensionField });

const ContactsQuery = z.object({
  q: z.string().max(200).default("").openapi({ description: "Name or number; empty lists all." }),
  limit: z.coerce.number().int().min(1).max(200).default(20),
  extension: ExtensionField,
});

// ---------------------------------------------------------------------------------------------
// Documented errors

const ERROR_DOCS: Record<number, string> = {
  400: "`usage`: malformed request; `bad_number`: the number cannot be dialled.",
  401: "`unauthorized`: missing or wrong bearer token.",
  403: "`forbidden`: the token belongs to another extension; `forbidden_origin`: the page's web origin is not in allowed_origins.",
  404: "`not_found`: no such call on this extension.",
  409: "`no_device`: no device is registered on the extension.",
  413: "`payload_too_large`: body over 16 KB.",
  415: "`unsupported_media_type`: the body is not application/json.",
  421: "`forbidden_host`: the Host header is not this gateway's (DNS rebinding protection).",
  422: "`device_not_found`: no device (or several) match `device`; `rejected`: the PBX refused the request.",
  429: "`rate_limited`: too many calls for this token; wait Retry-After seconds. `too_many_streams`: this token has 20 event streams open.",
  500: "`internal` or `config`.",
  502: "`auth`, `blocked`, `two_factor_required`, `not_logged_in`: the gateway's PBX login failed; `auth_failed`: the PBX refused the login earlier and the gateway will not log in again until the credentials change (then POST /v1/accounts/{extension}/retry); `tls`, `protocol`: the PBX answered something unusable.",
  503: "`pbx_unreachable`: the PBX cannot be reached; nothing was carried out.",
  504: "`outcome_unknown`: the request reached the PBX but no readable answer came back: the call may have been placed. Check the phone before trying again.",
};

function errorResponses<S extends number>(...statuses: S[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: ERROR_DOCS[status] ?? "Error.",
        content: { "application/json": { schema: ErrorSchema } },
      },
    ]),
  ) as Record<
    S,
    { description: string; content: { "application/json": { schema: typeof ErrorSchema } } }
  >;
}

/** Errors any authenticated route can answer. */
const COMMON_ERRORS = [401, 403, 421, 500] as const;
const PBX_ERRORS = [502, 503] as const;
const CALL_ERRORS = [502, 503, 504] as const;
const BEARER = [{ bearer: [] }];

// ---------------------------------------------------------------------------------------------
// Routes

const makeCallRoute = createRoute({
  method: "post",
  path: "/v1/calls",
  summary: "Ring a device of the extension and connect it to a number",
  security: BEARER,
  middleware: [requireJson<GatewayEnv>()] as const,
  request: {
    headers: z.object({
      "idempotency-key": z.string().optional().openapi({
        description:
          "Any 1–255 visible ASCII characters, new for each call: a repeat with the same key within 10 minutes gets the first answer again and never dials twice.",
        example: "crm-click-4711",
      }),
    }),
    body: { required: true, content: { "application/json": { schema: MakeCallSchema } } },
  },
  responses: {
    201: {
      description: "The PBX accepted the call; the device rings.",
      content: { "application/json": { schema: PlacedCallSchema } },
    },
    200: {
      description: "The same number was called within the dedupe window: the earlier call.",
      content: { "application/json": { schema: PlacedCallSchema } },
    },
    ...errorResponses(...COMMON_ERRORS, ...CALL_ERRORS, 400, 409, 413, 415, 422, 429),
  },
});

const listCallsRoute = createRoute({
  method: "get",
  path: "/v1/calls",
  summary: "The extension's active calls",
  security: BEARER,
  request: { query: ExtensionQuery },
  responses: {
    200: {
      description: "Active calls.",
      content: { "application/json": { schema: z.object({ calls: z.array(CallSchema) }) } },
    },
    ...errorResponses(...COMMON_ERRORS, 400),
  },
});

const getCallRoute = createRoute({
  method: "get",
  path: "/v1/calls/{id}",
  summary: "One active call",
  security: BEARER,
  request: { params: CallIdParams },
  responses: {
    200: { description: "The call.", content: { "application/json": { schema: CallSchema } } },
    ...errorResponses(...COMMON_ERRORS, 404),
  },
});

const hangupRoute = createRoute({
  method: "delete",
  path: "/v1/calls/{id}",
  summary: "Hang up a call",
  description: "Answers once the PBX accepted the request; `call.ended` follows on /v1/events.",
  security: BEARER,
  request: { params: CallIdParams },
  responses: {
    204: { description: "The PBX accepted the hang-up." },
    ...errorResponses(...COMMON_ERRORS, ...PBX_ERRORS, 404, 422),
  },
});

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

const contactsRoute = createRoute({
  method: "get",
  path: "/v1/contacts",
  summary: "Search the configured vCard directories and the PBX phone book",
  security: BEARER,
  request: { query: ContactsQuery },
  responses: {
    200: {
      description:
        "One entry per (contact, number), best first. `warnings` names sources that could not be read.",
      content: {
        "application/json": {
          schema: z.object({
            contacts: z.array(ContactMatchSchema),
            warnings: z.array(z.string()),
          }),
        },
      },
    },
    ...errorResponses(...COMMON_ERRORS, 400),
  },
});

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

// ---------------------------------------------------------------------------------------------
// The app

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
  app.onError((error) => {
    // The client went away mid-request: nothing to answer, nothing wrong with the gateway.
    if (isAbort(error)) {
      options.logger.debug({ reason: error.message }, "request aborted");
      return errorResponse(400, "usage", "The request was aborted.");
    }
    return errorFor(error, options.logger);
  });
  app.notFound(() => errorResponse(404, "not_found", "No such endpoint."));

  addRoutes(app, options);
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

function addRoutes(app: OpenAPIHono<GatewayEnv>, options: ApiOptions): void {
  const callIdWaitMs = options.callIdWaitMs ?? 3000;

  const placeCall = async (
    c: Context<GatewayEnv>,
    body: z.infer<typeof MakeCallSchema>,
    account: ServedAccount,
  ): Promise<Response> => {
    const client = account.client;
    // Parse and choose before the dedupe and the rate limit: bad input never counts as a call.
    const to = client.parse(body.to);
    const device = client.chooseDevice(body.device ?? account.settings.device);
    const key = `${account.extension}\n${to.dial}`;
    const { result, duplicate } = await options.deduper.run(key, async () => {
      const waitMs = options.rateLimiter.take(account.extension);
      if (waitMs > 0) {
        const seconds = Math.ceil(waitMs / 1000);
        throw new ApiProblem(
          429,
          "rate_limited",
          `Too many calls for this token: try again in ${seconds} s.`,
          { "retry-after": String(seconds) },
        );
      }
      const call = await client.makeCall(to, { device: device.contact });
      await callIdentified(call, callIdWaitMs);
      return { call, to, device, extension: account.extension };
    });
    if (duplicate) await callIdentified(result.call, callIdWaitMs);
    return duplicate
      ? c.json(placedCallJson(result, true), 200)
      : c.json(placedCallJson(result, false), 201);
  };

  app.openapi(makeCallRoute, async (c) => {
    const body = c.req.valid("json");
    const account = actingAccount(c, body.extension);
    const key = c.req.header("idempotency-key");
    if (key === undefined || !options.idempotency)
      return (await placeCall(c, body, account)) as never;
    if (!validIdempotencyKey(key)) {
      throw new ApiProblem(
        400,
        "usage",
        "Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces).",
      );
    }
    const { answer, replayed } = await options.idempotency.run(
      `${account.extension}\n${key}`,
      JSON.stringify([body.to, body.device ?? null]),
      async () => {
        const response = await placeCall(c, body, account).catch((error: Error) =>
          errorFor(error, options.logger),
        );
        return storedAnswer(response);
      },
    );
    return replayAnswer(answer, replayed) as never;
  });

  app.openapi(listCallsRoute, (c) => {
    const account = actingAccount(c, c.req.valid("query").extension);
    return c.json({ calls: account.client.calls().map(callView) }, 200);
  });

  app.openapi(getCallRoute, (c) => {
    const account = actingAccount(c);
    const call = account.client
      .calls()
      .find((candidate) => candidate.id === c.req.valid("param").id);
    if (!call) return c.json(notFoundCall(), 404);
    return c.json(callView(call), 200);
  });

  app.openapi(hangupRoute, async (c) => {
    const account = actingAccount(c);
    const id = c.req.valid("param").id;
    if (!account.client.calls().some((call) => call.id === id)) return c.json(notFoundCall(), 404);
    await account.client.hangup(id);
    return c.body(null, 204);
  });

  app.openapi(devicesRoute, (c) => {
    const account = actingAccount(c, c.req.valid("query").extension);
    return c.json({ devices: account.client.devices().map(deviceView) }, 200);
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

  app.openapi(contactsRoute, async (c) => {
    const query = c.req.valid("query");
    const account = actingAccount(c, query.extension);
    const all = await loadAllContacts({
      vcardDirs: account.settings.contacts,
      pbx: foldingPhoneBookOf(account),
      query: query.q,
    });
    const matches = searchContacts(all.contacts, query.q, { limit: query.limit });
    const contacts = matches.map((m) => ({
      id: m.contact.id,
      name: displayText(m.contact.name),
      organization: displayTextOf(m.contact.organization ?? null),
      number: m.number.value,
      numberType: m.number.type,
      // "vcard:<path>" would show the server's file layout to every token holder.
      source: m.contact.source === "pbx" ? ("pbx" as const) : ("vcard" as const),
      match: m.match,
    }));
    return c.json({ contacts, warnings: all.warnings }, 200);
  });

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

  app.openapi(retryLoginRoute, async (c) => {
    const account = actingAccount(c, c.req.valid("param").extension);
    await account.client.retryLogin();
    options.logger.info({ extension: account.extension }, "login retried");
    return c.json({ extension: account.extension, connection: account.connection }, 200);
  });

  app.openapi(healthRoute, (c) => {
    const loginRefused = options.accounts.list().filter((a) => a.client.loginRefused()).length;
    return c.json({ ok: true as const, loginRefused }, 200);
  });
}

// ---------------------------------------------------------------------------------------------
// Middleware

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

function isAbort(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return (
    error.name === "AbortError" ||
    error.message === "aborted" ||
    code === "ECONNRESET" ||
    code === "ERR_STREAM_PREMATURE_CLOSE"
  );
}

function errorFor(error: Error, logger: Logger): Response {
  if (error instanceof ApiProblem) {
    return errorResponse(error.status, error.code, error.message, error.headers);
  }
  if (error instanceof Dial3cxError) {
    return errorResponse(STATUS_BY_CODE[error.code], error.code, error.message);
  }
  if (error instanceof HTTPException && error.status < 500) {
    return errorResponse(
      error.status,
      error.status === 413 ? "payload_too_large" : "usage",
      error.message,
    );
  }
  logger.error({ err: error }, "internal error");
  return errorResponse(500, "internal", "Internal error: the gateway's log has the details.");
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** The token's account; a request that names another extension is refused. */
function actingAccount(c: Context<GatewayEnv>, requested?: string): ServedAccount {
  const account = c.get("account");
  if (requested !== undefined && requested !== account.extension) {
    throw new ApiProblem(
      403,
      "forbidden",
      `This token acts for extension ${account.extension} only, not ${requested}.`,
    );
  }
  return account;
}

function refusalView(account: ServedAccount): { since: string; message: string } | null {
  const refused = account.client.loginRefused();
  return refused ? { since: refused.since.toISOString(), message: refused.message } : null;
}

function notFoundCall() {
  return { error: { code: "not_found", message: "No such active call on this extension." } };
}

function placedCallJson(placed: PlacedCall, duplicate: boolean) {
  return {
    id: placed.call.id ?? null,
    to: placed.to.dial,
    toE164: placed.to.e164 ?? null,
    display: placed.to.display,
    device: placed.device.name,
    deviceId: placed.device.id,
    extension: placed.extension,
    state: placed.call.state,
    duplicate,
  };
}

async function storedAnswer(response: Response): Promise<StoredAnswer> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { status: response.status, body: await response.text(), headers };
}

function replayAnswer(answer: StoredAnswer, replayed: boolean): Response {
  const headers = new Headers(answer.headers);
  if (replayed) headers.set("idempotent-replayed", "true");
  return new Response(answer.body, { status: answer.status, headers });
}

/** Waits (bounded) until the PBX has shown the call, so the answer can carry its id. */
function callIdentified(call: Call, waitMs: number): Promise<void> {
  if (call.id !== undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      call.off("state", done);
      resolve();
    };
    const timer = setTimeout(done, waitMs);
    call.on("state", done);
  });
}

/** The PBX phone book, when the account's client or driver offers one. */
/**
 * The account's PBX phone book, asked the way the CLI asks it (foldingPhoneBook): the PBX does
 * not fold diacritics itself, so `q=muller` must search its whole book to find Müller.
 */
function foldingPhoneBookOf(account: ServedAccount): PhoneBookLookup | undefined {
  for (const candidate of [account.client, account.client.driver] as unknown[]) {
    if (typeof (candidate as Partial<PhoneBookLookup>).lookupContacts === "function") {
      return foldingPhoneBook(candidate as PhoneBookLookup);
    }
  }
  return undefined;
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
