// The simulated PBX's data model: extensions, devices, calls, history, sessions, channels, faults and
// the login outcomes. Shared by the PBX's rules (pbx.ts) and the MyPhone replies (replies.ts), so that
// neither imports the other for its types.
import type { ScenarioExtension } from "./scenario.js";

export interface DeviceState {
  readonly id: number;
  readonly contact: string;
  readonly sourceAddress: string;
  readonly userAgent: string;
}

/** How a call in the history went, from the extension's side (party kind of 204, reference §8.9). */
export type HistoryKind = "outgoing" | "received" | "missed";

export interface HistoryEntry {
  kind: HistoryKind;
  /** The other party's number: dialled (outgoing) or calling (received, missed), as the PBX shows it. */
  number: string;
  otherPartyName: string | undefined;
  createdAt: number;
  connectedAt: number | null;
  endedAt: number;
}

export interface ExtensionState {
  readonly config: ScenarioExtension;
  /** Internal id (MyInfo field 2). */
  readonly id: number;
  readonly number: string;
  readonly devices: readonly DeviceState[];
  currentProfileId: number;
  queueStatus: boolean;
  dnd: boolean;
  missedCallsCount: number;
  /** Newest first. */
  history: HistoryEntry[];
}

/** "ringing": an incoming call offered to the extension's devices (POST /__sim/calls). */
export type CallStateName = "ringing" | "dialing" | "connected" | "ended" | "failed";

export interface SimCall {
  /** Also the LocalConnection id, used by DropCall. */
  readonly id: number;
  readonly extension: string;
  /**
   * Outgoing: exactly as received in MakeCall field 1 (may be absent on refused calls).
   * Incoming: the caller id as the trunk delivered it (`anonymous`, empty and SIP URIs included).
   */
  readonly destination: string;
  /** An incoming call (POST /__sim/calls) rather than one the extension placed. */
  readonly incoming?: true;
  /** MakeCall field 3 exactly as received, or null when absent. */
  readonly device: string | null;
  state: CallStateName;
  readonly createdAt: number;
  connectedAt: number | null;
  endedAt: number | null;
  readonly otherPartyName: string | undefined;
  /** Why a refused call failed (the Ack's Message). */
  readonly failure?: string;
  /** Who placed it: a MyPhone MakeCall (119), a Call Control makecall, or a caller outside. */
  readonly origin: "myphone" | "callcontrol" | "trunk";
  /** Incoming: the caller hung up (or the call was declined) before it was answered. */
  missed?: boolean;
}

/** One websocket of a session, as the PBX sees it. */
export interface Channel {
  send(data: Uint8Array | string): void;
  /** Polite close (after a last text frame, for instance). */
  close(): void;
  /** Abrupt end, no close frame (fault injection). */
  terminate(): void;
}

export interface MyPhoneSession {
  readonly key: string;
  readonly pass: string;
  readonly extension: ExtensionState;
  lastUsedAt: number;
  readonly channels: Set<Channel>;
}

export interface RequestLogEntry {
  time: string;
  method: string;
  /** Without the query string: it carries secrets (websocket pass). */
  path: string;
  messageId?: number;
  status: number;
  /** For websockets: "START" when accepted, "NOT AUTH" when refused after the upgrade. */
  note?: string;
}

export interface Faults {
  latencyMs: number;
  failNext: { count: number; status: number } | null;
  /** MyPhone message ids answered with a NoSuchRequest Ack, as a build without them would [?]. */
  refuseMessages?: number[];
}

export type LoginOutcome =
  | { kind: "success"; extension: ExtensionState }
  | { kind: "failed" }
  | { kind: "required2fa" }
  | { kind: "blocked" };

export interface LoginAttempt {
  username: string;
  password: string;
  securityCode: string | undefined;
  remoteAddress: string;
  /** V20 checks TOTP; V18 has no recorded 2FA flow, so the sim skips it there [?]. */
  checkTotp: boolean;
}

/** What happened to a call; "ended" also after a drop. */
export type CallChangeKind = "created" | "updated" | "ended";

export type CallChangeListener = (ext: ExtensionState, call: SimCall, kind: CallChangeKind) => void;

export interface PbxConfig {
  /** false: a licence without the Call Control API [?]. */
  callControlLicensed: boolean;
  answerAfterMs: number;
  hangupAfterMs: number | undefined;
  tokenLifetimeSeconds: number;
  /** Call Control: repeat a not-yet-connected participant's Upset this often (0: never). */
  upsetRepeatMs: number;
  sessionIdleMs: number;
  lockout: { max: number; windowMs: number };
  latencyMs: number;
  now: () => number;
}
