// The Call Control API's JSON (reference §10) read into driver terms: DN info, devices and
// participants, and the event frames of `/callcontrol/ws`. Keys are read in any casing
// (`event_type`, `EventType`, `eventType`): one capture shows snake_case, another client PascalCase.
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

/** The DNs a `GET /callcontrol` answer lists. */
export function listedDns(value: unknown): string[] {
  return Array.isArray(value) ? value.flatMap((item) => pickString(item, "dn") ?? []) : [];
}

// ---- events ----

export const EVENT_UPSERT = 0;
export const EVENT_REMOVE = 1;

export interface ControlEvent {
  sequence: number | undefined;
  type: number;
  /** A path such as `/callcontrol/101/participants/5`. */
  entity: string;
}

/** One frame of `/callcontrol/ws`, or undefined when it is not an event. */
export function readEvent(frame: string): ControlEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return undefined;
  }
  const event = pick(value, "event");
  const type = pick(event, "event_type");
  const entity = pick(event, "entity");
  if (typeof type !== "number" || typeof entity !== "string") return undefined;
  const sequence = pick(value, "sequence");
  return { sequence: typeof sequence === "number" ? sequence : undefined, type, entity };
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
