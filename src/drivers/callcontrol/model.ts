// The Call Control API's JSON (reference §10) read into driver terms: DN info, devices and
// participants, makecall results and the event frames of `/callcontrol/ws`. Keys are read in any
// casing (`event_type`, `EventType`, `eventType`): 3CX sends snake_case [A][L]; its docs and one
// untested client use PascalCase names.
import type { CallState, DriverCall, DriverDevice } from "../driver.js";

/** A JSON object's value under `name`, ignoring case and underscores. */
export function pick(object: unknown, name: string): unknown {
  if (object === null || typeof object !== "object" || Array.isArray(object)) return undefined;
  const wanted = foldKey(name);
  for (const [key, value] of Object.entries(object)) if (foldKey(key) === wanted) return value;
  return undefined;
}

function foldKey(key: string): string {
  return key.replace(/_/g, "").toLowerCase();
}

function pickString(object: unknown, name: string): string | undefined {
  const value = pick(object, name);
  if (typeof value === "string") return value;
  return typeof value === "number" ? String(value) : undefined;
}

export interface Participant {
  id: string;
  status: string;
  /** `direct_control`: the DN may act on this leg (its own makecall's leg) [L pocket-dial]. */
  directControl: boolean;
  dn: string | undefined;
  partyCallerId: string | undefined;
  partyDn: string | undefined;
  partyCallerName: string | undefined;
  deviceId: string | undefined;
  originatedByDn: string | undefined;
}

/** A participant object, or undefined when it has no id. */
export function readParticipant(value: unknown): Participant | undefined {
  const id = pickString(value, "id");
  if (id === undefined) return undefined;
  return {
    id,
    status: pickString(value, "status") ?? "",
    directControl: pick(value, "direct_control") === true,
    dn: pickString(value, "dn"),
    partyCallerId: pickString(value, "party_caller_id") || undefined,
    partyDn: pickString(value, "party_dn") || undefined,
    partyCallerName: pickString(value, "party_caller_name") || undefined,
    deviceId: pickString(value, "device_id") || undefined,
    originatedByDn: pickString(value, "originated_by_dn") || undefined,
  };
}

/** Dialing/Ringing/Connected as the reference lists them; anything else is still in progress. */
const STATES: Record<string, CallState> = {
  dialing: "dialing",
  ringing: "ringing",
  connected: "connected",
};

/**
 * A participant of our DN as a call. `outgoing`: the driver placed it. Otherwise a call another DN
 * originated is incoming; one without `originated_by_dn` counts as outgoing [?] (the reference
 * gives no direction field).
 */
export function toDriverCall(participant: Participant, dn: string, outgoing: boolean): DriverCall {
  const originator = participant.originatedByDn;
  const call: DriverCall = {
    id: participant.id,
    state: STATES[participant.status.toLowerCase()] ?? "dialing",
    number: participant.partyCallerId ?? participant.partyDn ?? "",
    incoming: !outgoing && originator !== undefined && originator !== dn,
  };
  if (participant.partyCallerName) call.name = participant.partyCallerName;
  return call;
}

/**
 * `finalstatus` of a CallControlResultResponse: 3CX's enum CallRequestStatus (Failed = -1,
 * Rejected = 0, Success = 1) [A], or the name as a string (XAPI types it so [A]). Undefined when
 * absent or unreadable: success is then judged by `result.id` alone.
 */
export function readFinalStatus(value: unknown): "success" | "failed" | "rejected" | undefined {
  if (value === 1 || value === "1") return "success";
  if (value === 0 || value === "0") return "rejected";
  if (value === -1 || value === "-1") return "failed";
  if (typeof value !== "string") return undefined;
  const name = value.trim().toLowerCase();
  if (name === "success") return "success";
  if (name === "rejected") return "rejected";
  if (name === "failed" || name === "failure") return "failed";
  return undefined;
}

/** A device object (`{dn, device_id, user_agent}`); its SIP contact is its id. */
export function readDevice(value: unknown): DriverDevice | undefined {
  const contact = pickString(value, "device_id");
  if (!contact) return undefined;
  const device: DriverDevice = { id: contact, contact };
  const userAgent = pickString(value, "user_agent");
  if (userAgent) device.userAgent = userAgent;
  return device;
}

export interface DnState {
  devices: DriverDevice[];
  participants: Participant[];
}

export function readDnState(value: unknown): DnState {
  return {
    devices: readList(pick(value, "devices"), readDevice),
    participants: readParticipants(pick(value, "participants")),
  };
}

export function readParticipants(value: unknown): Participant[] {
  return readList(value, readParticipant);
}

export function readDevices(value: unknown): DriverDevice[] {
  return readList(value, readDevice);
}

function readList<T>(value: unknown, read: (item: unknown) => T | undefined): T[] {
  return Array.isArray(value) ? value.flatMap((item) => read(item) ?? []) : [];
}

/** The DN types a `GET /callcontrol` answer lists (`Wroutepoint`, `Wqueue`, `Wextension`, …). */
export function listedTypes(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return [...new Set(value.flatMap((item) => pickString(item, "type") ?? []))];
}

/** The DNs a `GET /callcontrol` answer lists. */
export function listedDns(value: unknown): string[] {
  return Array.isArray(value) ? value.flatMap((item) => pickString(item, "dn") ?? []) : [];
}

// ---- events ----

/** 3CX's EventType (call-control-examples `types.ts` [A]; 4 = Response in 3CX's docs [A]). */
export const EVENT_UPSERT = 0;
export const EVENT_REMOVE = 1;
export const EVENT_DTMF = 2;
export const EVENT_PROMPT_FINISHED = 3;
export const EVENT_RESPONSE = 4;
const KNOWN_EVENT_TYPES = new Set([
  EVENT_UPSERT,
  EVENT_REMOVE,
  EVENT_DTMF,
  EVENT_PROMPT_FINISHED,
  EVENT_RESPONSE,
]);

export interface ControlEvent {
  sequence: number | undefined;
  type: number;
  /** A path such as `/callcontrol/101/participants/5`; "" when the event names none. */
  entity: string;
  /** `{sequence, event: {...}}` as 3CX sends it, or the bare `{EventType, Entity, ...}`. */
  shape: "wrapped" | "unwrapped";
}

export type EventFrame =
  | { kind: "event"; event: ControlEvent }
  /** `shape`: a short description of what came, for a debug line (no values). */
  | { kind: "unknown"; shape: string };

/**
 * One text frame of `/callcontrol/ws`: the wrapped form 3CX sends (`{sequence, event:
 * {event_type, entity, attached_data}}` [A][L]) or the bare struct 3CX's docs describe
 * (`{EventType, Entity, AttachedData}` [A], read so by getrav [R]). Keys in any casing.
 */
export function readEventFrame(frame: string): EventFrame {
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return { kind: "unknown", shape: "not JSON" };
  }
  const wrapped = pick(value, "event");
  const body = wrapped !== undefined ? wrapped : value;
  const type = toEventType(pick(body, "event_type"));
  const entity = pick(body, "entity");
  if (
    type !== undefined &&
    KNOWN_EVENT_TYPES.has(type) &&
    (typeof entity === "string" || entity === undefined || entity === null)
  ) {
    const sequence = pick(value, "sequence");
    return {
      kind: "event",
      event: {
        sequence: typeof sequence === "number" ? sequence : undefined,
        type,
        entity: typeof entity === "string" ? entity : "",
        shape: wrapped !== undefined ? "wrapped" : "unwrapped",
      },
    };
  }
  return { kind: "unknown", shape: describeShape(value, body, type) };
}

/** For compatibility: the event of a frame, or undefined. */
export function readEvent(frame: string): ControlEvent | undefined {
  const read = readEventFrame(frame);
  return read.kind === "event" ? read.event : undefined;
}

function toEventType(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^[0-9]+$/.test(value)) return Number(value);
  return undefined;
}

function describeShape(value: unknown, body: unknown, type: number | undefined): string {
  if (value === null || typeof value !== "object") return `JSON ${typeof value}`;
  const keys = (object: unknown) =>
    object !== null && typeof object === "object" && !Array.isArray(object)
      ? Object.keys(object).sort().join(",")
      : typeof object;
  const inner = body === value ? "" : ` event{${keys(body)}}`;
  return `{${keys(value)}}${inner}${type === undefined ? "" : ` event_type ${type}`}`;
}

export type EntityRef =
  | { kind: "participant"; dn: string; id: string }
  | { kind: "device"; dn: string; id: string };

/** What an event's entity path names; undefined for anything else. */
export function parseEntity(entity: string): EntityRef | undefined {
  const path = entity.split("?", 1)[0] ?? "";
  const parts = path.split("/").filter((part) => part !== "");
  if (parts.length !== 4 || parts[0] !== "callcontrol") return undefined;
  const [, dn, collection, rawId] = parts as [string, string, string, string];
  let id: string;
  try {
    id = decodeURIComponent(rawId);
  } catch {
    return undefined;
  }
  if (collection === "participants") return { kind: "participant", dn: decodeSafe(dn), id };
  if (collection === "devices") return { kind: "device", dn: decodeSafe(dn), id };
  return undefined;
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
