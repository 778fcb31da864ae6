// The gateway API's OpenAPI schemas: the zod shapes of requests and answers (the OpenAPI 3.1
// document at /openapi.json is generated from them) and the documented error answers per status.
import { z } from "@hono/zod-openapi";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "bad_number" }),
      message: z.string(),
    }),
  })
  .openapi("Error");

export const CALL_STATES = ["dialing", "ringing", "connected", "transferring", "ended"] as const;

export const ExtensionField = z.string().regex(/^\d+$/, "must be digits").optional().openapi({
  description:
    "The extension to act for. Optional: a token acts only for its own extension, any other answers 403.",
  example: "100",
});

export const MakeCallSchema = z
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

export const PlacedCallSchema = z
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

export const CallSchema = z
  .object({
    id: z.string(),
    state: z.enum(CALL_STATES),
    number: z.string().openapi({ description: "The other party's number as the PBX shows it." }),
    name: z.string().nullable(),
    incoming: z.boolean(),
    device: z.string().nullable().openapi({
      description:
        "The device the call rings on, for calls placed through dial3cx (the gateway or the CLI on this machine); null when unknown.",
      example: "Yealink T46S",
    }),
  })
  .openapi("Call");

export const DeviceSchema = z
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

export const StatusSchema = z
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

export const ContactMatchSchema = z
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

export const CallIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "id", in: "path" }, example: "17" }),
});

export const ExtensionQuery = z.object({ extension: ExtensionField });

export const ContactsQuery = z.object({
  q: z.string().max(200).default("").openapi({ description: "Name or number; empty lists all." }),
  limit: z.coerce.number().int().min(1).max(200).default(20),
  extension: ExtensionField,
});

// ---------------------------------------------------------------------------------------------
// Documented errors

export const ERROR_DOCS: Record<number, string> = {
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

export function errorResponses<S extends number>(...statuses: S[]) {
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
export const COMMON_ERRORS = [401, 403, 421, 500] as const;
export const PBX_ERRORS = [502, 503] as const;
export const CALL_ERRORS = [502, 503, 504] as const;
export const BEARER = [{ bearer: [] }];
