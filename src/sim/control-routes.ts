// `/__sim/`: inspection, fault injection and incoming calls for tests and demos, loopback peers
// only (others get 404, as if the path did not exist). Its own requests stay out of the request log.
import { z } from "zod";
import { json, parseJsonObject, Router, type SimResponse } from "./http.js";
import type { Faults, SimCall } from "./model.js";
import type { Pbx } from "./pbx.js";

export const CONTROL_PREFIX = "/__sim/";

const FaultsRequestSchema = z.strictObject({
  latencyMs: z.number().int().min(0).max(600_000).optional(),
  failNext: z
    .strictObject({
      count: z.number().int().min(0),
      status: z.number().int().min(400).max(599).default(503),
    })
    .optional(),
  dropWebsockets: z.boolean().optional(),
  /** MyPhone request ids refused with NoSuchRequest (e.g. [106]: a PBX without call history). */
  refuseMessages: z.array(z.number().int().min(2)).max(50).optional(),
  expireSessions: z.boolean().optional(),
  /** Access tokens (and V18 cookies) stop working; the refresh cookie still does. */
  expireTokens: z.boolean().optional(),
  /** Refresh tokens stop working too, so only a new login helps. */
  expireRefreshTokens: z.boolean().optional(),
  /** The extension's devices register again under new contacts (stale Call Control device ids). */
  reregisterDevices: z.string().optional(),
  /** A raw text frame to every Call Control event socket (e.g. one of an unknown shape). */
  callControlFrame: z.string().max(16_384).optional(),
  /** The extension's password changes (as when an admin resets it): old logins are refused. */
  changePassword: z.strictObject({ extension: z.string(), password: z.string() }).optional(),
});

/**
 * `POST /__sim/calls`: an outside caller rings extension `to`. `from` is the caller id exactly as
 * the PBX shows it (any string, `anonymous`, "" and SIP URIs included); `name` the caller name the
 * trunk sent (the PBX's phone book wins over it); `answerAfter` / `hangupAfter` in ms from the
 * first ring.
 */
const IncomingCallSchema = z.strictObject({
  from: z.string().max(128),
  to: z.string().min(1),
  name: z.string().max(128).optional(),
  answerAfter: z.number().int().min(0).max(3_600_000).optional(),
  hangupAfter: z.number().int().min(0).max(3_600_000).optional(),
});

const CALLS_PATH = "/__sim/calls";

/** Sends a raw frame to the Call Control event sockets; returns how many got it. */
export type RawFrameSender = (frame: string) => number;

export function controlRouter(pbx: Pbx, sendCallControlFrame: RawFrameSender = () => 0): Router {
  return new Router()
    .add("GET", CALLS_PATH, () => json(200, pbx.calls.map(callView)))
    .add("POST", CALLS_PATH, (request) => ringIn(pbx, parseJsonObject(request.body)))
    .addSubtree(CALLS_PATH, (request) => callAction(pbx, request.method, request.path))
    .add("GET", "/__sim/requests", () => json(200, pbx.requestLog))
    .add("GET", "/__sim/logins", () => json(200, pbx.loginLog))
    .add("GET", "/__sim/sockets", () => json(200, { webclient: pbx.openWebsockets }))
    .add("POST", "/__sim/reset", () => {
      pbx.reset();
      return json(200, { reset: true });
    })
    .add("GET", "/__sim/faults", () => json(200, { active: activeFaults(pbx.faults) }))
    .add("POST", "/__sim/faults", (request) =>
      applyFaults(pbx, parseJsonObject(request.body), sendCallControlFrame),
    );
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function callView(call: SimCall) {
  return {
    id: call.id,
    extension: call.extension,
    destination: call.destination,
    device: call.device,
    state: call.state,
    createdAt: iso(call.createdAt),
    connectedAt: iso(call.connectedAt),
    endedAt: iso(call.endedAt),
    failure: call.failure ?? null,
    // Incoming calls only: `destination` is then the caller id.
    ...(call.incoming ? { incoming: true, missed: call.missed === true } : {}),
  };
}

function ringIn(pbx: Pbx, body: Record<string, unknown> | null | undefined): SimResponse {
  const parsed = IncomingCallSchema.safeParse(body ?? {});
  if (!parsed.success) return invalidBody(parsed.error.issues[0]);
  const { from, to, name, answerAfter, hangupAfter } = parsed.data;
  const ext = pbx.extension(to);
  if (!ext) return json(404, { error: `to: no extension ${to}` });
  const call = pbx.incomingCall(ext, from, {
    ...(name === undefined ? {} : { callerName: name }),
    ...(answerAfter === undefined ? {} : { answerAfterMs: answerAfter }),
    ...(hangupAfter === undefined ? {} : { hangupAfterMs: hangupAfter }),
  });
  return json(201, callView(call));
}

/** `POST /__sim/calls/{id}/answer` (a device picks up) and `…/hangup` (the caller hangs up). */
function callAction(pbx: Pbx, method: string, path: string): SimResponse {
  const match = /^\/__sim\/calls\/([0-9]+)\/(answer|hangup)$/.exec(path);
  if (!match) return json(404, { error: "not found" });
  if (method !== "POST") {
    const refused = json(405, { error: "POST only" });
    return { ...refused, headers: { ...refused.headers, allow: "POST" } };
  }
  const id = Number(match[1]);
  const call = pbx.calls.find((c) => c.id === id && c.incoming);
  if (!call) return json(404, { error: `no incoming call ${id}` });
  const done =
    match[2] === "answer" ? pbx.answerIncoming(id) !== undefined : pbx.callerHangsUp(call);
  if (!done) return json(409, { error: `call ${id} is ${call.state}`, call: callView(call) });
  return json(200, callView(call));
}

function invalidBody(issue: z.core.$ZodIssue | undefined): SimResponse {
  return json(400, { error: `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}` });
}

function activeFaults(faults: Faults): Partial<Faults> {
  return {
    ...(faults.latencyMs > 0 ? { latencyMs: faults.latencyMs } : {}),
    ...(faults.failNext && faults.failNext.count > 0 ? { failNext: { ...faults.failNext } } : {}),
    ...(faults.refuseMessages ? { refuseMessages: [...faults.refuseMessages] } : {}),
  };
}

function applyFaults(
  pbx: Pbx,
  body: Record<string, unknown> | null | undefined,
  sendCallControlFrame: RawFrameSender,
): SimResponse {
  const parsed = FaultsRequestSchema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return json(400, {
      error: `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`,
    });
  }
  const f = parsed.data;
  const applied: string[] = [];
  if (f.latencyMs !== undefined) pbx.faults.latencyMs = f.latencyMs;
  if (f.failNext !== undefined) pbx.faults.failNext = f.failNext.count > 0 ? f.failNext : null;
  if (f.refuseMessages !== undefined) {
    if (f.refuseMessages.length > 0) pbx.faults.refuseMessages = f.refuseMessages;
    else delete pbx.faults.refuseMessages;
  }
  if (f.dropWebsockets) {
    pbx.dropAllChannels();
    applied.push("dropWebsockets");
  }
  if (f.expireSessions) {
    pbx.expireAllSessions();
    applied.push("expireSessions");
  }
  if (f.expireTokens || f.expireRefreshTokens) {
    pbx.expireTokens();
    applied.push("expireTokens");
  }
  if (f.changePassword) {
    if (!pbx.changePassword(f.changePassword.extension, f.changePassword.password)) {
      return json(400, { error: `changePassword: no extension ${f.changePassword.extension}` });
    }
    applied.push("changePassword");
  }
  if (f.expireRefreshTokens) {
    pbx.tokens.revokeAll("refresh");
    applied.push("expireRefreshTokens");
  }
  if (f.reregisterDevices !== undefined) {
    const ext = pbx.extension(f.reregisterDevices);
    if (!ext) return json(400, { error: `reregisterDevices: no extension ${f.reregisterDevices}` });
    pbx.reregisterDevices(ext);
    applied.push("reregisterDevices");
  }
  if (f.callControlFrame !== undefined) {
    sendCallControlFrame(f.callControlFrame);
    applied.push("callControlFrame");
  }
  return json(200, { active: activeFaults(pbx.faults), applied });
}
