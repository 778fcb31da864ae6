// Builds the protobuf messages the simulated PBX sends, already wrapped in a GenericMessage:
// Acks (207), the full MyInfo (201) and its deltas, lookup results (202) and call history (204).
// Field choices follow reference §8; the ones marked [?] in proto/myphone.proto stay ours.
import { create } from "@bufbuild/protobuf";
import { encodeMessage } from "../protocol/codec.js";
import {
  ActionType,
  CallHistoryPartySchema,
  CallHistoryRecordSchema,
  CallState,
  type ContactInfo,
  ContactInfoSchema,
  type DateTime,
  DateTimeSchema,
  ErrorCodes,
  type LocalConnection,
  LocalConnectionSchema,
  MyExtensionInfoSchema,
  RegistrationSchema,
  ResponseAcknowledgeSchema,
  ResponseCallHistorySchema,
  ResponseLookupContactSchema,
} from "../protocol/gen/myphone_pb.js";
import type { ExtensionState, HistoryEntry, SimCall } from "./model.js";

/** The Message of every successful Ack on a live V20 (reference §8.10). */
export const ACK_SUCCESS_MESSAGE = "Request has been successfully processed";

/** Built-in status profiles (reference §8.3, field 13); ids are ours [?]. */
export const PROFILES = [
  { id: 1, name: "Available" },
  { id: 2, name: "Away" },
  { id: 3, name: "Out of office" },
  { id: 4, name: "Custom 1", customName: "Lunch" },
  { id: 5, name: "Custom 2", customName: "Business trip" },
] as const;

/** How long a registration is reported valid ahead of "now" [?]: a common SIP expiry. */
const REGISTRATION_EXPIRY_MS = 3600 * 1000;

export interface Refusal {
  errorType: ErrorCodes;
  message: string;
  parameter?: string;
}

/** Byte-shaped like the live Ack: Success, Message, ErrorType 0 and no ErrorCode. */
export function ackSuccess(): Uint8Array {
  return encodeMessage(
    207,
    create(ResponseAcknowledgeSchema, {
      success: true,
      message: ACK_SUCCESS_MESSAGE,
      errorType: ErrorCodes.SUCCESS,
    }),
  );
}

export function ackFailure(refusal: Refusal): Uint8Array {
  return encodeMessage(
    207,
    create(ResponseAcknowledgeSchema, {
      success: false,
      message: refusal.message,
      errorType: refusal.errorType,
      ...(refusal.parameter === undefined ? {} : { parameter: refusal.parameter }),
    }),
  );
}

export function dateTimeUtc(ms: number): DateTime {
  const d = new Date(ms);
  return create(DateTimeSchema, {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  });
}

/** The whole MyInfo, Action FullUpdate, every registered device and every live call. */
export function fullMyInfo(ext: ExtensionState, liveCalls: SimCall[], nowMs: number): Uint8Array {
  return encodeMessage(
    201,
    create(MyExtensionInfoSchema, {
      action: ActionType.FULL_UPDATE,
      id: ext.id,
      number: ext.number,
      queueStatus: ext.queueStatus,
      firstName: ext.config.firstName,
      lastName: ext.config.lastName,
      activeDevices: {
        action: ActionType.FULL_UPDATE,
        // Contact then SourceAddress: field order puts them adjacent, as the seed needs (§9.2).
        items: ext.devices.map((device) =>
          create(RegistrationSchema, {
            action: ActionType.INSERTED,
            id: device.id,
            contact: device.contact,
            sourceAddress: device.sourceAddress,
            userAgent: device.userAgent,
            expiresAt: dateTimeUtc(nowMs + REGISTRATION_EXPIRY_MS),
          }),
        ),
      },
      currentProfileId: ext.currentProfileId,
      profiles: {
        action: ActionType.FULL_UPDATE,
        items: PROFILES.map((p) => ({ id: p.id, name: p.name, customName: customNameOf(p) })),
      },
      dnd: ext.dnd,
      connections: {
        action: ActionType.FULL_UPDATE,
        items: liveCalls.map((call) => connectionOf(call, ActionType.INSERTED)),
      },
      missedCallsCount: ext.missedCallsCount,
    }),
  );
}

function customNameOf(profile: (typeof PROFILES)[number]): string | undefined {
  return "customName" in profile ? profile.customName : undefined;
}

/** A MyInfo delta carrying one connection change (Inserted, Updated or Deleted). */
export function connectionDelta(
  ext: ExtensionState,
  call: SimCall,
  action: ActionType,
): Uint8Array {
  return encodeMessage(
    201,
    create(MyExtensionInfoSchema, {
      action: ActionType.UPDATED,
      id: ext.id,
      connections: { action: ActionType.UPDATED, items: [connectionOf(call, action)] },
    }),
  );
}

/** A MyInfo delta carrying the missed-calls count (field 24 [R]). */
export function missedCountDelta(ext: ExtensionState): Uint8Array {
  return encodeMessage(
    201,
    create(MyExtensionInfoSchema, {
      action: ActionType.UPDATED,
      id: ext.id,
      missedCallsCount: ext.missedCallsCount,
    }),
  );
}

/** A MyInfo delta carrying the status fields (profile, queue status). */
export function statusDelta(ext: ExtensionState): Uint8Array {
  return encodeMessage(
    201,
    create(MyExtensionInfoSchema, {
      action: ActionType.UPDATED,
      id: ext.id,
      queueStatus: ext.queueStatus,
      currentProfileId: ext.currentProfileId,
    }),
  );
}

/**
 * One LocalConnection (reference §8.5). An incoming call is State Ringing with IsIncoming (an
 * offered call, per mjv88 [L]) and the caller id in OtherPartyCallerId (field 11) as the trunk
 * delivered it; an outgoing one is Dialing until connected.
 */
function connectionOf(call: SimCall, action: ActionType): LocalConnection {
  if (action === ActionType.DELETED) return create(LocalConnectionSchema, { action, id: call.id });
  return create(LocalConnectionSchema, {
    action,
    id: call.id,
    state: CALL_STATES[call.state] ?? CallState.DIALING,
    otherPartyNumber: call.destination,
    ...(call.otherPartyName === undefined ? {} : { otherPartyDisplayName: call.otherPartyName }),
    isIncoming: call.incoming === true,
  });
}

const CALL_STATES: Partial<Record<SimCall["state"], CallState>> = {
  ringing: CallState.RINGING,
  dialing: CallState.DIALING,
  connected: CallState.CONNECTED,
};

export interface LookupEntry {
  firstName?: string | undefined;
  lastName?: string | undefined;
  company?: string | undefined;
  /** 0 for colleagues (extensions) [R]; 1 for phone-book contacts [?]. */
  contactType: number;
  business?: string | undefined;
  /** Extension number (colleague) or mobile (contact): field 5 [R]/[?]. */
  number5?: string | undefined;
  home?: string | undefined;
  email?: string | undefined;
}

export function lookupResult(entries: LookupEntry[]): Uint8Array {
  return encodeMessage(
    202,
    create(ResponseLookupContactSchema, { entries: entries.map(contactInfoOf) }),
  );
}

function contactInfoOf(entry: LookupEntry): ContactInfo {
  // Mapping per the comment on ContactInfo in proto/myphone.proto: 4 business, 5 extension or
  // mobile, 8 home, 9 e-mail [?]. Unset values stay absent, as 3CX writes only set optionals.
  const info = create(ContactInfoSchema, { contactType: entry.contactType });
  if (entry.firstName) info.firstName = entry.firstName;
  if (entry.lastName) info.lastName = entry.lastName;
  if (entry.company) info.company = entry.company;
  if (entry.business) info.number4 = entry.business;
  if (entry.number5) info.number5 = entry.number5;
  if (entry.home) info.extra8 = entry.home;
  if (entry.email) info.extra9 = entry.email;
  return info;
}

/** Call kinds of a history party [R]. */
export const HISTORY_KIND = { missed: 1, received: 2, outgoing: 3 } as const;

export function callHistory(entries: HistoryEntry[]): Uint8Array {
  return encodeMessage(
    204,
    create(ResponseCallHistorySchema, {
      records: entries.map((entry) =>
        create(CallHistoryRecordSchema, {
          parties: {
            items: [
              create(CallHistoryPartySchema, {
                dateTime: dateTimeUtc(entry.createdAt),
                ...(entry.connectedAt === null
                  ? {}
                  : { answeredAt: dateTimeUtc(entry.connectedAt) }),
                number: entry.number,
                ...(entry.otherPartyName === undefined ? {} : { name: entry.otherPartyName }),
                kind: HISTORY_KIND[entry.kind],
              }),
            ],
          },
        }),
      ),
    }),
  );
}
