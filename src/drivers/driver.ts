// The operations every PBX driver offers (web client today, Call Control API later), in terms the
// features and front ends use. Drivers own the wire; nothing above them sees protobuf or JSON.
import type { EventEmitter } from "node:events";
import type { LoginRefusal } from "./login-refusal.js";

export interface DriverDevice {
  id: string;
  /** SIP contact URI: what a call is routed to. */
  contact: string;
  userAgent?: string;
  sourceAddress?: string;
  expiresAt?: Date;
}

export type CallState = "dialing" | "ringing" | "connected" | "transferring" | "ended";

export interface DriverCall {
  id: string;
  state: CallState;
  /** The other party's number as the PBX shows it. */
  number: string;
  name?: string;
  incoming: boolean;
}

export type ContactNumberType = "work" | "mobile" | "home" | "fax" | "extension" | "other";

/** An entry of the PBX phone book or a colleague, as a driver reads it. */
export interface DriverContact {
  firstName?: string;
  lastName?: string;
  company?: string;
  numbers: { type: ContactNumberType; value: string }[];
  email?: string;
  /** An extension on this PBX rather than a phone-book contact. */
  isColleague: boolean;
}

/** One call of the PBX's call history, as a driver reads it. */
export interface DriverHistoryEntry {
  kind: "missed" | "received" | "outgoing" | "unknown";
  /** The other party's number as the PBX shows it (may be `anonymous`, empty or a SIP URI). */
  number: string;
  name?: string;
  startedAt?: Date;
  answered: boolean;
  answeredAt?: Date;
}

export type CallChange = "created" | "updated" | "ended";
export type ConnectionState = "open" | "reconnecting" | "closed";

export interface DriverEvents {
  call: [{ type: CallChange; call: DriverCall }];
  device: [{ type: "registered" | "unregistered"; device: DriverDevice }];
  connection: [ConnectionState];
  /** Something went wrong in the background (a reconnect failed for good, an unreadable push). */
  problem: [Error];
}

export interface ExtensionInfo {
  extension: string;
  firstName?: string;
  lastName?: string;
  presence?: string;
  dnd?: boolean;
  missedCalls?: number;
}

export interface Driver extends EventEmitter<DriverEvents> {
  readonly kind: "webclient" | "callcontrol";
  extensionInfo(): ExtensionInfo;
  devices(): DriverDevice[];
  calls(): DriverCall[];
  /** Resolves when the PBX accepted the request. Never sends it twice unless refused unseen. */
  makeCall(destination: string, device?: DriverDevice): Promise<void>;
  hangup(callId: string): Promise<void>;
  /**
   * Marks the calls still being placed as hung up: each is dropped as soon as the PBX names it,
   * never left ringing. Returns how many there were. Drivers whose requests cannot race do not
   * offer it.
   */
  cancelPendingCalls?(): number;
  /** True while server events arrive (so a placed call will be shown with its id). */
  followsEvents(): boolean;
  /** Set while a refused login keeps the driver from logging in again (see login-refusal.ts). */
  loginRefused(): LoginRefusal | undefined;
  /** Allows a new login after a refusal (credentials changed) and reconnects; rejects if refused. */
  retryLogin(): Promise<void>;
  /** Searches the PBX phone book and colleagues, where the driver can. */
  lookupContacts?(query: string, limit: number): Promise<DriverContact[]>;
  /**
   * The PBX's call history, newest first, where the driver can read it. Throws RejectedError or
   * ProtocolError when the PBX refuses or answers something else.
   */
  callHistory?(query: { limit: number; missedOnly: boolean }): Promise<DriverHistoryEntry[]>;
  close(): Promise<void>;
}
