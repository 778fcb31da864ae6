// The Call Control API's REST side (reference §10), V20 only: `/callcontrol` and below, for the
// API clients of the scenario. A Bearer token from `/connect/token` (client_credentials) is needed;
// a DN the client does not monitor answers 403, as does every path on a licence without the API.
// Calls are the Pbx's own, so a call placed here shows on the web-client side too, and back.
import {
  bearerToken,
  empty,
  json,
  methodNotAllowed,
  notFound,
  parseJsonObject,
  type Router,
  type SimRequest,
  type SimResponse,
  stringField,
  text,
} from "./http.js";
import type { DeviceState, ExtensionState, SimCall } from "./model.js";
import type { Pbx } from "./pbx.js";
import type { Refusal } from "./replies.js";
import type { ScenarioApiClient } from "./scenario.js";

export const CALLCONTROL_PREFIX = "/callcontrol";

/** Participant actions of the reference; only drop and answer change the simulated call. */
const SIMULATED_ACTIONS = new Set(["drop", "answer"]);
const OTHER_ACTIONS = new Set([
  "divert",
  "routeto",
  "transferto",
  "attach_participant_data",
  "attach_party_data",
]);

export function addCallControlRoutes(router: Router, pbx: Pbx): void {
  router.addSubtree(CALLCONTROL_PREFIX, (request) => handleCallControl(pbx, request));
}

// ---- views (snake_case, as 3CX's swagger and one capture have them; §10 "Casing") ----

export function participantPath(dn: string, id: number): string {
  return `${CALLCONTROL_PREFIX}/${dn}/participants/${id}`;
}

function deviceView(ext: ExtensionState, device: DeviceState) {
  return { dn: ext.number, device_id: device.contact, user_agent: device.userAgent };
}

/** The trunk DN an external call goes out on; qmex's capture shows a 5-digit one ("10007") [L]. */
export const TRUNK_DN = "10000";

/**
 * The extension's own leg of a call, with the fields of qmex's live capture (§10 "Participant
 * fields"): an external party is the trunk (`party_dn` the trunk DN, `Wexternalline`) and its
 * number is in `party_caller_id`. Status: `Ringing` for an external call until it is connected
 * (the reading of the sources [?]), `Dialing` for a colleague (qmex: outbound). A leg a
 * Call Control makecall created is under direct control (its `result.id` may be dropped,
 * pocket-dial); one placed elsewhere (MyPhone) is not [?], and its per-id GET answers 403.
 */
export function participantView(pbx: Pbx, ext: ExtensionState, call: SimCall) {
  const external = pbx.extension(call.destination) === undefined;
  return {
    id: call.id,
    // Incoming calls ring (reference §10: `Ringing` inbound [L]); so do external outbound ones [?].
    status:
      call.state === "connected" ? "Connected" : call.incoming || external ? "Ringing" : "Dialing",
    dn: ext.number,
    party_caller_name: call.otherPartyName ?? "",
    party_dn: external ? TRUNK_DN : call.destination,
    party_caller_id: call.destination,
    party_did: "",
    device_id: call.device ?? ext.devices[0]?.contact ?? "",
    party_dn_type: external ? "Wexternalline" : "Wextension",
    direct_control: call.origin === "callcontrol",
    // Reference §10 "Participant fields": outbound "" / "None", inbound "ROUTER" / Wroutepoint.
    originated_by_dn: call.incoming ? "ROUTER" : "",
    originated_by_type: call.incoming ? "Wroutepoint" : "None",
    referred_by_dn: "",
    referred_by_type: "None",
    on_behalf_of_dn: "",
    on_behalf_of_type: "None",
    callid: call.id,
    legid: 1,
  };
}

function dnView(pbx: Pbx, ext: ExtensionState) {
  return {
    dn: ext.number,
    type: "Wextension",
    devices: ext.devices.map((device) => deviceView(ext, device)),
    participants: pbx.liveCalls(ext).map((call) => participantView(pbx, ext, call)),
  };
}

/** A DN without devices or calls of its own here: the client's route point, a queue. */
function bareDnView(dn: string, type: "Wroutepoint" | "Wqueue") {
  return { dn, type, devices: [], participants: [] };
}

/**
 * `GET /callcontrol`: every DN the client sees, of several types, as 3CX's samples expect (they
 * pick by `type`): its own route point (the Client ID is that DN, §10 "Setup"), the queues and
 * the monitored extensions.
 */
function listView(pbx: Pbx, client: ScenarioApiClient) {
  return [
    bareDnView(client.clientId, "Wroutepoint"),
    ...(pbx.scenario.queues ?? []).map((dn) => bareDnView(dn, "Wqueue")),
    ...monitoredDns(pbx, client).map((ext) => dnView(pbx, ext)),
  ];
}

// ---- routing ----

interface Target {
  pbx: Pbx;
  request: SimRequest;
  client: ScenarioApiClient;
}

function handleCallControl(pbx: Pbx, request: SimRequest): SimResponse {
  const segments = pathSegments(request.path);
  if (!segments) return notFound();
  // The websocket lives at /callcontrol/ws; without an upgrade it is no resource [?].
  if (segments.length === 1 && segments[0] === "ws") return text(426, "Upgrade Required");
  const client = pbx.apiClientOf(bearerToken(request.headers));
  if (!client) return empty(401);
  // Without the licence, and for a DN not monitored, the body is not recorded: none [?].
  if (!pbx.config.callControlLicensed) return empty(403);
  const target: Target = { pbx, request, client };
  const [dn, ...rest] = segments;
  if (dn === undefined) {
    return only(request, "GET", () => json(200, listView(pbx, client)));
  }
  const ext = pbx.extension(dn);
  if (!ext) return notFound();
  if (!client.monitor.includes(dn)) return empty(403);
  return routeOnDn(target, ext, rest);
}

function routeOnDn(target: Target, ext: ExtensionState, rest: string[]): SimResponse {
  const { pbx, request } = target;
  const [collection, id, action, ...more] = rest;
  if (more.length > 0) return notFound();
  if (collection === undefined) return only(request, "GET", () => json(200, dnView(pbx, ext)));
  if (collection === "makecall" && id === undefined) {
    return only(request, "POST", () => makeCall(pbx, ext, request, undefined));
  }
  if (collection === "devices") return routeDevices(target, ext, id, action);
  if (collection === "participants") return routeParticipants(target, ext, id, action);
  return notFound();
}

function routeDevices(
  { pbx, request }: Target,
  ext: ExtensionState,
  id: string | undefined,
  action: string | undefined,
): SimResponse {
  if (id === undefined) {
    return only(request, "GET", () =>
      json(
        200,
        ext.devices.map((d) => deviceView(ext, d)),
      ),
    );
  }
  const device = ext.devices.find((d) => d.contact === id);
  if (!device) return notFound();
  if (action === undefined) return only(request, "GET", () => json(200, deviceView(ext, device)));
  if (action !== "makecall") return notFound();
  return only(request, "POST", () => makeCall(pbx, ext, request, device));
}

function routeParticipants(
  { pbx, request }: Target,
  ext: ExtensionState,
  id: string | undefined,
  action: string | undefined,
): SimResponse {
  if (id === undefined) {
    return only(request, "GET", () =>
      json(
        200,
        pbx.liveCalls(ext).map((call) => participantView(pbx, ext, call)),
      ),
    );
  }
  const call = pbx.liveCalls(ext).find((c) => String(c.id) === id);
  if (!call) return notFound();
  if (action === undefined) {
    // A leg the DN does not control answers 403; the list shows it (pocket-dial #40, §10.1).
    if (call.origin !== "callcontrol") return only(request, "GET", () => empty(403));
    return only(request, "GET", () => json(200, participantView(pbx, ext, call)));
  }
  if (action === "stream") return text(501, "Audio streams are not simulated");
  if (OTHER_ACTIONS.has(action)) {
    return only(request, "POST", () => text(501, `The ${action} action is not simulated`));
  }
  if (!SIMULATED_ACTIONS.has(action)) return notFound();
  return only(request, "POST", () => participantAction(pbx, ext, call, action));
}

// ---- actions ----

/**
 * makecall on the DN (`device` undefined: the first device rings, as with MyPhone MakeCall
 * without a device [?], reference §12.15) or on one device. A refused destination answers 422
 * with `reasontext` and no result, or with the scenario's `makeCallRefusedAs: "emptyResult"` 200
 * without a result (§10 "makecall result"); the reason enum is not recorded [?].
 */
function makeCall(
  pbx: Pbx,
  ext: ExtensionState,
  request: SimRequest,
  device: DeviceState | undefined,
): SimResponse {
  const body = parseJsonObject(request.body);
  const destination = body ? stringField(body, "destination") : undefined;
  if (!body || destination === undefined) {
    return json(400, { error: "The body must be a JSON object with a destination string." });
  }
  const timeout = body.timeout;
  if (timeout !== undefined && (typeof timeout !== "number" || timeout < 0)) {
    return json(400, { error: "timeout must be a number of seconds." });
  }
  const { call, refusal } = pbx.makeCall(ext, destination, device?.contact, "callcontrol");
  if (refusal) {
    return json(pbx.scenario.makeCallRefusedAs === "emptyResult" ? 200 : 422, failure(refusal));
  }
  return json(200, success(participantView(pbx, ext, call)));
}

function participantAction(pbx: Pbx, ext: ExtensionState, call: SimCall, action: string) {
  const before = participantView(pbx, ext, call);
  const refusal = action === "drop" ? pbx.dropCall(ext, call.id) : pbx.autoAnswer(ext, call.id);
  if (refusal) return json(422, failure(refusal));
  return json(200, success(action === "drop" ? before : participantView(pbx, ext, call)));
}

/**
 * CallControlResultResponse (reference §10): `finalstatus` as 3CX's enum CallRequestStatus
 * (Failed = -1, Rejected = 0, Success = 1) [A]; its wire form is not recorded, a number is our
 * reading of the TypeScript enum [?]. `reason` values are ours [?].
 */
function success(participant: ReturnType<typeof participantView>) {
  return { finalstatus: 1, reason: "None", reasontext: null, result: participant };
}

function failure(refusal: Refusal) {
  return { finalstatus: -1, reason: "Failed", reasontext: refusal.message };
}

// ---- helpers ----

function monitoredDns(pbx: Pbx, client: ScenarioApiClient): ExtensionState[] {
  return client.monitor.flatMap((dn) => pbx.extension(dn) ?? []);
}

/** The path after `/callcontrol`, each segment percent-decoded (device ids are SIP URIs). */
function pathSegments(path: string): string[] | undefined {
  const rest = path
    .slice(CALLCONTROL_PREFIX.length)
    .split("/")
    .filter((s) => s !== "");
  try {
    return rest.map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}

function only(request: SimRequest, method: string, answer: () => SimResponse): SimResponse {
  return request.method.toUpperCase() === method ? answer() : methodNotAllowed([method]);
}
