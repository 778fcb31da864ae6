// The gateway API's call routes: place a call (POST /v1/calls: 201 for a call placed now, 200 with
// the first call for a repeat within the dedupe window, the first answer again for a repeated
// Idempotency-Key; rate limited), list, read, hang up.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { BadInputError, DeviceNotFoundError, NoDeviceError } from "../../errors.js";
import { loadCallDevices, recordCallDevice } from "../../features/calls/call-devices.js";
import { isNameQuery } from "../../features/calls/callee.js";
import type { Call, CallInfo, Dial3cxClient } from "../../features/calls/client.js";
import type { DeviceRegistration } from "../../features/calls/devices.js";
import type { DialString } from "../../features/calls/dialstring.js";
import { numbersForName } from "../../features/contacts/contact-names.js";
import { loadAllContacts } from "../../features/contacts/index.js";
import { displayText } from "../../features/display-text.js";
import type { ServedAccount } from "../accounts.js";
import { callView } from "../events.js";
import { requireJson, type StoredAnswer, validIdempotencyKey } from "../security.js";
import { foldingPhoneBookOf } from "./contacts.js";
import { type ApiOptions, actingAccount, type GatewayEnv, type PlacedCall } from "./context.js";
import { ApiProblem, errorFor } from "./errors.js";
import {
  BEARER,
  CALL_ERRORS,
  CallIdParams,
  CallSchema,
  COMMON_ERRORS,
  ExtensionQuery,
  errorResponses,
  MakeCallSchema,
  PBX_ERRORS,
  PlacedCallSchema,
} from "./schemas.js";

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

export function addCallRoutes(app: OpenAPIHono<GatewayEnv>, options: ApiOptions): void {
  const callIdWaitMs = options.callIdWaitMs ?? 3000;

  const placeCall = async (
    c: Context<GatewayEnv>,
    body: z.infer<typeof MakeCallSchema>,
    account: ServedAccount,
  ): Promise<Response> => {
    const client = account.client;
    // Parse and choose before the dedupe and the rate limit: bad input never counts as a call.
    const to = await resolveTo(account, body.to);
    const device = chooseDevice(client, body.device ?? account.settings.device);
    const key = `${account.extension}\n${to.dial}`;
    const { result, duplicate } = await options.deduper.run(key, async () => {
      // The unix socket is the user's own (0600 in a 0700 directory): not throttled like the web.
      const waitMs = c.env.transport === "unix" ? 0 : options.rateLimiter.take(account.extension);
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
      if (options.callDevicesFile) {
        // Without an id yet, `status` and GET /v1/calls match the call by number.
        await recordCallDevice(options.callDevicesFile, {
          account: account.settings,
          id: call.id ?? null,
          dial: to.dial,
          device: device.name,
        });
      }
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

  /** The calls' views with the device each rings on, where a placed call's record says. */
  const withDevices = async (account: ServedAccount, calls: CallInfo[]) => {
    const deviceOf = options.callDevicesFile
      ? await loadCallDevices(options.callDevicesFile, account.settings)
      : () => undefined;
    return calls.map((call) => ({
      ...callView(call),
      device: displayTextOrNull(deviceOf(call)),
    }));
  };

  app.openapi(listCallsRoute, async (c) => {
    const account = actingAccount(c, c.req.valid("query").extension);
    return c.json({ calls: await withDevices(account, account.client.calls()) }, 200);
  });

  app.openapi(getCallRoute, async (c) => {
    const account = actingAccount(c);
    const call = account.client
      .calls()
      .find((candidate) => candidate.id === c.req.valid("param").id);
    if (!call) return c.json(notFoundCall(), 404);
    const [view] = await withDevices(account, [call]);
    return c.json(view!, 200);
  });

  app.openapi(hangupRoute, async (c) => {
    const account = actingAccount(c);
    const id = c.req.valid("param").id;
    if (!account.client.calls().some((call) => call.id === id)) return c.json(notFoundCall(), 404);
    await account.client.hangup(id);
    return c.body(null, 204);
  });
}

/**
 * What `to` names, read as the CLI reads it: a number or URI, else a contact's name (vCards and
 * the PBX phone book) when it names exactly one number.
 */
async function resolveTo(account: ServedAccount, text: string): Promise<DialString> {
  try {
    return account.client.parse(text);
  } catch (error) {
    if (!(error instanceof BadInputError) || !isNameQuery(text)) throw error;
  }
  const all = await loadAllContacts({
    vcardDirs: account.settings.contacts,
    pbx: foldingPhoneBookOf(account),
    query: text,
  });
  const matches = numbersForName(all.contacts, text);
  const [only] = matches;
  if (only === undefined) {
    throw new BadInputError(
      `No contact matches ${JSON.stringify(text)}, and it is not a number: check the name with GET /v1/contacts?q=, or send the digits in "to".`,
    );
  }
  if (matches.length > 1) {
    const list = matches
      .map(({ contact, number }) => `${contact.name} (${number.type}) ${number.value}`)
      .join("; ");
    throw new BadInputError(
      `${JSON.stringify(text)} matches ${matches.length} numbers: send one of them in "to": ${list}.`,
    );
  }
  return account.client.parse(only.number.value);
}

/** The device for a call; errors speak of the request's "device" field, not a CLI flag. */
function chooseDevice(client: Dial3cxClient, selector: string | undefined): DeviceRegistration {
  try {
    return client.chooseDevice(selector);
  } catch (error) {
    if (error instanceof DeviceNotFoundError) {
      throw new DeviceNotFoundError(inApiTerms(error.message));
    }
    if (error instanceof NoDeviceError) throw new NoDeviceError(inApiTerms(error.message));
    throw error;
  }
}

function inApiTerms(message: string): string {
  return message.replaceAll("pass --device", 'set "device" in the request');
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

function displayTextOrNull(text: string | undefined): string | null {
  return text === undefined ? null : displayText(text);
}
