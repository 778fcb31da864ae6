// `/__sim/`: inspection and fault injection for tests and demos, loopback peers only (others get
// 404, as if the path did not exist). Its own requests stay out of the request log.
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
  expireSessions: z.boolean().optional(),
  /** Access tokens (and V18 cookies) stop working; the refresh cookie still does. */
  expireTokens: z.boolean().optional(),
  /** Refresh tokens stop working too, so only a new login helps. */
  expireRefreshTokens: z.boolean().optional(),
  /** The extension's password changes (as when an admin resets it): old logins are refused. */
  changePassword: z.strictObject({ extension: z.string(), password: z.string() }).optional(),
});

export function controlRouter(pbx: Pbx): Router {
  return new Router()
    .add("GET", "/__sim/calls", () => json(200, pbx.calls.map(callView)))
    .add("GET", "/__sim/requests", () => json(200, pbx.requestLog))
    .add("GET", "/__sim/logins", () => json(200, pbx.loginLog))
    .add("GET", "/__sim/sockets", () => json(200, { webclient: pbx.openWebsockets }))
    .add("POST", "/__sim/reset", () => {
      pbx.reset();
      return json(200, { reset: true });
    })
    .add("GET", "/__sim/faults", () => json(200, { active: activeFaults(pbx.faults) }))
    .add("POST", "/__sim/faults", (request) => applyFaults(pbx, parseJsonObject(request.body)));
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
  };
}

function activeFaults(faults: Faults): Partial<Faults> {
  return {
    ...(faults.latencyMs > 0 ? { latencyMs: faults.latencyMs } : {}),
    ...(faults.failNext && faults.failNext.count > 0 ? { failNext: { ...faults.failNext } } : {}),
  };
}

function applyFaults(pbx: Pbx, body: Record<string, unknown> | null | undefined): SimResponse {
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
  return json(200, { active: activeFaults(pbx.faults), applied });
}
