// The dial3cx client: what the CLI, the handler and the gateway use. Parses dial strings, picks
// the device, places calls and follows them to their end, over whichever driver is connected:
// the web client, or the official Call Control API when an API client is configured. Also tells
// incoming calls' phases (ringing, answered, missed), journals finished calls and reads the call
// history (the PBX's, else the journal).
//
// Entry of features/calls/, which owns placing and following calls: this client, the account and
// its session (account.ts), dial strings, devices, callee names, the dial dedupe, place-call, the
// call history and journal (history.ts) and which caller ids may be called back (callback.ts).
// May use: the drivers, errors.ts, features/settings, and desktop's gateway hand-off (place-call).
import { EventEmitter } from "node:events";
import type { CallControlCredentials } from "../../drivers/callcontrol/api.js";
import type { CallControlOptions } from "../../drivers/callcontrol/driver.js";
import type {
  CallChange,
  CallState,
  ConnectionState,
  Driver,
  DriverCall,
  DriverContact,
  ExtensionInfo,
} from "../../drivers/driver.js";
import type { LoginRefusal } from "../../drivers/login-refusal.js";
import {
  WebClientDriver,
  type WebClientOptions,
  type WebClientSnapshot,
} from "../../drivers/webclient/driver.js";
import {
  BadInputError,
  ConfigError,
  NetworkError,
  ProtocolError,
  RejectedError,
} from "../../errors.js";
import { type DeviceRegistration, describeDevice, selectDevice } from "./devices.js";
import {
  type DialString,
  type DialStringOptions,
  parseDialString,
  sipHosts,
} from "./dialstring.js";
import {
  type CallHistoryEntry,
  type CallHistoryOptions,
  type CallJournal,
  DEFAULT_HISTORY_LIMIT,
  fromDriverHistory,
  fromJournal,
  type JournalEntry,
  MAX_HISTORY_LIMIT,
} from "./history.js";

export type DriverChoice = "auto" | "webclient" | "callcontrol";

/** An API client of the PBX (Admin Console → Integrations → API), for the Call Control driver. */
export type { CallControlCredentials, ConnectionState };

export interface ConnectOptions extends WebClientOptions {
  /** How numbers without a country code are read, and what "+" is dialled as. */
  dial?: DialStringOptions;
  /** Default device selector when makeCall gets none (a name, index or contact). */
  device?: string;
  /**
   * "webclient", "callcontrol", or "auto" (the default): Call Control when `callControl` is given
   * and the PBX lets this API client control the extension, else the web client.
   */
  driver?: DriverChoice;
  /** The API client; its `events` overrides `events` for the Call Control driver, which reads
   *  devices over REST and so needs the event socket only to follow calls. */
  callControl?: CallControlCredentials & { events?: boolean };
  /** With "auto": why Call Control was not used, told before the web client is tried. */
  onDriverFallback?: (reason: Error) => void;
  /** Debug lines of the Call Control driver (e.g. an event frame of an unknown shape). */
  onDebug?: (line: string) => void;
  /**
   * Where finished calls seen on the events are written, and the call history is read from when
   * the PBX will not give its own (see `callHistory`).
   */
  journal?: CallJournal;
}

export interface CallInfo extends DriverCall {}

/**
 * What a call event means for an incoming call: "ringing" (offered), "answered" (picked up on any
 * device of the extension), "missed" (ended without being answered: the caller hung up, it was
 * declined, or, in a group, answered elsewhere [?]) or "ended" (after being answered).
 */
export type IncomingPhase = "ringing" | "answered" | "missed" | "ended";

export interface CallEvent {
  type: CallChange;
  call: CallInfo;
  /** Incoming calls only, and only on the event that changes the phase. */
  incoming?: IncomingPhase;
}

export type { CallHistoryEntry, CallHistoryOptions, CallJournal };

export interface ClientEvents {
  call: [CallEvent];
  device: [{ type: "registered" | "unregistered"; device: DeviceRegistration }];
  connection: [ConnectionState];
  problem: [Error];
}

export interface MakeCallOptions {
  /** Device selector: a name, a 1-based index as `dial3cx devices` shows, or a contact URI. */
  device?: string;
  /** How long to wait for the PBX to show the new call before giving up on tracking it. */
  trackTimeoutMs?: number;
}

/** Connects to the PBX: logs in (or resumes a saved session) and, by default, follows events. */
export async function connect(options: ConnectOptions): Promise<Dial3cxClient> {
  const driver = await connectDriver(options);
  // A sip: link may name the PBX's own host unless the caller said which hosts are ours.
  const dial = { sipHosts: sipHosts(options.pbx), ...options.dial };
  return new Dial3cxClient(driver, { ...options, dial });
}

/**
 * The driver `options.driver` asks for. "auto" falls back to the web client only when the PBX's
 * answers say Call Control is not for us (wrong key, no V20, no licence, extension not monitored);
 * a network or TLS failure would fail the web client just the same, so it is thrown.
 */
async function connectDriver(options: ConnectOptions): Promise<Driver> {
  const choice = options.driver ?? "auto";
  if (choice === "webclient") return WebClientDriver.connect(options);
  const credentials = options.callControl;
  if (choice === "callcontrol") {
    if (!credentials) {
      throw new ConfigError(
        'driver = "callcontrol" needs an API client: set client_id in the config (or DIAL3CX_CLIENT_ID) and the API key in DIAL3CX_API_KEY or the keyring.',
      );
    }
    return connectCallControl(callControlOptions(options, credentials));
  }
  if (!credentials) return WebClientDriver.connect(options);
  try {
    return await connectCallControl(callControlOptions(options, credentials));
  } catch (error) {
    const { callControlProblem } = await import("../../drivers/callcontrol/api.js");
    if (callControlProblem(error) === undefined) throw error;
    options.onDriverFallback?.(error as Error);
    return WebClientDriver.connect(options);
  }
}

/** Loaded only when an API client is configured: most users never need its code. */
async function connectCallControl(options: CallControlOptions): Promise<Driver> {
  const { CallControlDriver } = await import("../../drivers/callcontrol/driver.js");
  return CallControlDriver.connect(options);
}

function callControlOptions(
  options: ConnectOptions,
  credentials: NonNullable<ConnectOptions["callControl"]>,
): CallControlOptions {
  return {
    pbx: options.pbx,
    extension: options.extension,
    clientId: credentials.clientId,
    apiKey: credentials.apiKey,
    tls: options.tls,
    events: credentials.events ?? options.events,
    timeoutMs: options.timeoutMs,
    onRequest: options.onRequest,
    ...(options.onDebug ? { onDebug: options.onDebug } : {}),
  };
}

/** How long `Call.wait` follows a call while the PBX cannot be reached. */
const WAIT_LOST_MS = 30_000;

/** How long makeCall waits for the PBX to show a placed call, when events flow. */
const IDENTIFY_WAIT_MS = 1000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** What the client remembers of a live call, for the incoming phases and the journal. */
interface LiveCall {
  startedAt: number;
  answeredAt?: number;
  incoming: boolean;
}

export class Dial3cxClient extends EventEmitter<ClientEvents> {
  /** Why the connection closed for good (a fatal reconnect failure); undefined while it lives. */
  private lostBecause: Error | undefined;
  private lastProblem: Error | undefined;
  private readonly lostListeners = new Set<(error: Error) => void>();
  private readonly live = new Map<string, LiveCall>();

  constructor(
    readonly driver: Driver,
    private readonly options: Pick<ConnectOptions, "dial" | "device" | "journal"> = {},
  ) {
    super();
    // Every tracked Call listens for its own events; a busy gateway tracks many at once.
    this.setMaxListeners(0);
    // Calls already up when we connect: their answer state is known, their start time is not.
    // (Scripted test drivers may have no calls().)
    const now = Date.now();
    for (const call of typeof driver.calls === "function" ? driver.calls() : []) {
      this.live.set(call.id, {
        startedAt: now,
        incoming: call.incoming,
        ...(call.state === "connected" ? { answeredAt: now } : {}),
      });
    }
    driver.on("call", (event) => this.onDriverCall(event.type, event.call));
    driver.on("device", ({ type, device }) =>
      this.emit("device", { type, device: describeDevice(device) }),
    );
    driver.on("connection", (state) => {
      if (state === "closed" && !this.lostBecause) {
        this.lostBecause =
          this.lastProblem ?? new NetworkError("The connection to the PBX closed for good.");
        for (const listener of [...this.lostListeners]) listener(this.lostBecause);
        this.lostListeners.clear();
      }
      this.emit("connection", state);
    });
    driver.on("problem", (error) => {
      this.lastProblem = error;
      this.emit("problem", error);
    });
  }

  /**
   * Calls `listener` once the event connection is lost for good (reconnecting failed in a way no
   * retry can fix, e.g. the session expired and no password is available), with the reason; at
   * once when it already is. Whoever waits for events must also wait for this: nothing else will
   * ever settle their wait. Returns a function that removes the listener.
   */
  onLost(listener: (error: Error) => void): () => void {
    const lost = this.lostBecause;
    if (lost) {
      queueMicrotask(() => listener(lost));
      return () => {};
    }
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  extension(): ExtensionInfo {
    return this.driver.extensionInfo();
  }

  /** Emits the event, with the incoming phase it marks; journals a call that ended. */
  private onDriverCall(type: CallChange, call: CallInfo): void {
    const now = Date.now();
    let live = this.live.get(call.id);
    if (!live) {
      live = { startedAt: now, incoming: call.incoming };
      this.live.set(call.id, live);
    }
    let phase: IncomingPhase | undefined;
    if (type === "ended") {
      this.live.delete(call.id);
      phase = live.answeredAt === undefined ? "missed" : "ended";
    } else if (call.state === "connected" && live.answeredAt === undefined) {
      live.answeredAt = now;
      phase = "answered";
    } else if (type === "created") {
      phase = "ringing";
    }
    const incoming = live.incoming || call.incoming;
    this.emit("call", incoming && phase ? { type, call, incoming: phase } : { type, call });
    if (type === "ended") this.journal(call, live, incoming, now);
  }

  private journal(call: CallInfo, live: LiveCall, incoming: boolean, endedAt: number): void {
    const journal = this.options.journal;
    if (!journal) return;
    const entry: JournalEntry = {
      direction: incoming ? "incoming" : "outgoing",
      missed: incoming && live.answeredAt === undefined,
      number: call.number,
      startedAt: live.startedAt,
      endedAt,
    };
    if (call.name) entry.name = call.name;
    if (live.answeredAt !== undefined) entry.answeredAt = live.answeredAt;
    journal.record(entry).catch((error: unknown) => {
      this.emit("problem", error instanceof Error ? error : new Error(String(error)));
    });
  }

  /**
   * Recent calls, newest first: the PBX's call history (RequestCallHistory 106, fields [R]), or,
   * when the PBX refuses it or the driver cannot read it (Call Control), the journal of calls this
   * machine saw end (`options.onFallback` is told why). Numbers are as the PBX shows them; the
   * PBX's history has no talk time, which is taken from a matching journal entry when there is one.
   * Throws BadInputError for a bad limit, and the PBX's refusal when there is no journal.
   */
  async callHistory(options: CallHistoryOptions = {}): Promise<CallHistoryEntry[]> {
    const limit = options.limit ?? DEFAULT_HISTORY_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) {
      throw new BadInputError(
        `The history limit must be a whole number from 1 to ${MAX_HISTORY_LIMIT}, not ${limit}.`,
        "usage",
      );
    }
    const missedOnly = options.missed === true;
    const journal = this.options.journal;
    let reason: Error;
    if (this.driver.callHistory) {
      try {
        const records = await this.driver.callHistory({ limit, missedOnly });
        // A PBX that ignores CallType still gets filtered here.
        const entries = records
          .map(fromDriverHistory)
          .filter((entry) => !missedOnly || entry.missed)
          .slice(0, limit);
        return journal
          ? withDurations(entries, await journal.read(MAX_JOURNAL_MATCH, false))
          : entries;
      } catch (error) {
        if (!(error instanceof RejectedError || error instanceof ProtocolError)) throw error;
        reason = error;
      }
    } else {
      reason = new ProtocolError(
        `The ${this.driver.kind} driver cannot read the PBX's call history.`,
      );
    }
    if (!journal) throw reason;
    options.onFallback?.(reason);
    return (await journal.read(limit, missedOnly)).map(fromJournal);
  }

  devices(): DeviceRegistration[] {
    return this.driver.devices().map(describeDevice);
  }

  calls(): CallInfo[] {
    return this.driver.calls();
  }

  /** Parses a number or tel:/callto:/sip: URI as this client dials it. Throws BadInputError. */
  parse(destination: string): DialString {
    return parseDialString(destination, this.options.dial);
  }

  /** Picks the device for a call (see selectDevice). Throws NoDeviceError/DeviceNotFoundError. */
  chooseDevice(selector = this.options.device): DeviceRegistration {
    return selectDevice(this.devices(), selector);
  }

  /**
   * Places a call: rings the chosen device, which then calls `destination`. Resolves once the
   * PBX accepted it. Input is validated before anything is sent.
   */
  async makeCall(destination: string | DialString, options: MakeCallOptions = {}): Promise<Call> {
    const to = typeof destination === "string" ? this.parse(destination) : destination;
    const device = this.chooseDevice(options.device ?? this.options.device);
    const call = new Call(this, to, device);
    const tracking = call.track(options.trackTimeoutMs ?? 10_000);
    try {
      await this.driver.makeCall(to.dial, { id: String(device.id), contact: device.contact });
    } catch (error) {
      call.stopTracking();
      throw error;
    }
    // With events flowing the PBX shows the call within moments (often before the Ack): wait a
    // little for its id, so that callers get one. Without events there is nothing to wait for.
    if (this.driver.followsEvents()) await Promise.race([tracking, delay(IDENTIFY_WAIT_MS)]);
    return call;
  }

  async hangup(callId: string): Promise<void> {
    await this.driver.hangup(callId);
  }

  /** Set while a refused login keeps this client from logging in again (no request is sent). */
  loginRefused(): LoginRefusal | undefined {
    return this.driver.loginRefused();
  }

  /** The user says the credentials changed: allows one new login now; rejects if refused again. */
  async retryLogin(): Promise<void> {
    await this.driver.retryLogin();
  }

  /** The PBX phone book and colleagues matching `query` (empty when the driver has none). */
  async lookupContacts(query: string, limit = 100): Promise<DriverContact[]> {
    return this.driver.lookupContacts ? this.driver.lookupContacts(query, limit) : [];
  }

  /**
   * Hangs up every active call; resolves with the ids it hung up. Calls still being placed are
   * dropped as soon as the PBX names them (where the driver can tell).
   */
  async hangupAll(): Promise<string[]> {
    this.driver.cancelPendingCalls?.();
    const ids = this.calls().map((c) => c.id);
    for (const id of ids) await this.driver.hangup(id);
    return ids;
  }

  /** The session for the warm-path cache (web-client driver only). */
  snapshot(): WebClientSnapshot | undefined {
    return this.driver instanceof WebClientDriver ? this.driver.snapshot() : undefined;
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}

export interface CallEvents {
  state: [CallInfo];
}

/** One call placed by this client. Its id is known once the PBX shows the call. */
export class Call extends EventEmitter<CallEvents> {
  id: string | undefined;
  state: CallState = "dialing";
  private current: CallInfo | undefined;
  private unsubscribe: (() => void) | undefined;
  private identified: Promise<string | undefined> | undefined;

  constructor(
    private readonly client: Dial3cxClient,
    readonly to: DialString,
    readonly device: DeviceRegistration,
  ) {
    super();
  }

  /** Watches the client's events for this call. Called before the request goes out. */
  track(timeoutMs: number): Promise<string | undefined> {
    this.identified = new Promise((resolve) => {
      // Giving up also stops listening: a later call to the same number is not this one.
      const timer = setTimeout(() => this.stopTracking(), timeoutMs);
      timer.unref();
      const listener = ({ type, call }: { type: CallChange; call: CallInfo }) => {
        if (
          this.id === undefined &&
          type === "created" &&
          !call.incoming &&
          sameNumber(call.number, this.to.dial)
        ) {
          this.id = call.id;
          clearTimeout(timer);
          resolve(call.id);
        }
        if (call.id !== this.id) return;
        this.current = call;
        this.state = type === "ended" ? "ended" : call.state;
        this.emit("state", { ...call, state: this.state });
        if (type === "ended") this.stopTracking();
      };
      this.client.on("call", listener);
      this.unsubscribe = () => {
        clearTimeout(timer);
        this.client.off("call", listener);
        resolve(this.id);
      };
    });
    return this.identified;
  }

  /** The call as last shown by the PBX; undefined until the PBX shows it. */
  get info(): CallInfo | undefined {
    return this.current && { ...this.current, state: this.state };
  }

  stopTracking(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /**
   * Resolves when the call has ended. Rejects when the PBX never showed the call, and with a
   * NetworkError when the connection to the PBX stays lost for `lostAfterMs` (default 30 s) or
   * ends for good: the call may go on, but it can no longer be followed.
   */
  async wait(options: { lostAfterMs?: number } = {}): Promise<CallInfo> {
    const id = await this.identified;
    if (id === undefined) {
      throw new ProtocolError(
        "The PBX accepted the call but never showed it, so it cannot be followed.",
      );
    }
    if (this.state === "ended") return this.current!;
    // Events are the only way to learn of the end: when they stop for good (onLost, with the
    // reason: no password to renew the session, …) or stay away too long, so does the wait.
    const lostAfterMs = options.lostAfterMs ?? WAIT_LOST_MS;
    return new Promise((resolve, reject) => {
      let lostTimer: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(lostTimer);
        this.off("state", onState);
        this.client.off("connection", onConnection);
        stopLost();
      };
      const stopLost = this.client.onLost((error) => {
        finish();
        reject(error);
      });
      const onState = (info: CallInfo) => {
        if (info.state !== "ended") return;
        finish();
        resolve(info);
      };
      const lost = (why: string) => {
        finish();
        reject(
          new NetworkError(
            `${why}: the call can no longer be followed (it may still be going on; check your phone).`,
          ),
        );
      };
      const onConnection = (state: ConnectionState) => {
        if (state === "open") {
          clearTimeout(lostTimer);
          lostTimer = undefined;
        } else if (state !== "closed") {
          lostTimer ??= setTimeout(
            () => lost(`The PBX has been unreachable for ${Math.round(lostAfterMs / 1000)} s`),
            lostAfterMs,
          );
        }
      };
      this.on("state", onState);
      this.client.on("connection", onConnection);
      if (!this.client.driver.followsEvents()) onConnection("reconnecting");
    });
  }

  async hangup(): Promise<void> {
    const id = this.id ?? (await this.identified);
    if (id === undefined) throw new ProtocolError("This call has no id yet: it cannot be hung up.");
    await this.client.hangup(id);
  }
}

/** The PBX may show the number with or without the outside-line prefix or "+": compare digits. */
function sameNumber(shown: string, dialled: string): boolean {
  const a = shown.replace(/[^0-9*#]/g, "");
  const b = dialled.replace(/[^0-9*#]/g, "");
  return a !== "" && (a === b || a.endsWith(b) || b.endsWith(a));
}

/** How many journal entries are searched for the talk time of PBX history entries. */
const MAX_JOURNAL_MATCH = 1000;
/** A journal entry and a PBX entry this close in start time, same number, are the same call [?]. */
const SAME_CALL_WINDOW_MS = 120_000;

function withDurations(entries: CallHistoryEntry[], journal: JournalEntry[]): CallHistoryEntry[] {
  return entries.map((entry) => {
    if (entry.time === undefined || entry.missed) return entry;
    const time = Date.parse(entry.time);
    const match = journal.find(
      (j) =>
        j.answeredAt !== undefined &&
        Math.abs(j.startedAt - time) <= SAME_CALL_WINDOW_MS &&
        j.number.replace(/[^0-9*#]/g, "") === entry.number.replace(/[^0-9*#]/g, ""),
    );
    const duration = match ? fromJournal(match).durationSeconds : undefined;
    return duration === undefined ? entry : { ...entry, durationSeconds: duration };
  });
}
