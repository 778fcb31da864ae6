// The simulated PBX's state and rules, independent of HTTP: extensions and their devices, logins
// (with 2FA and the per-address lockout), tokens, V18 cookies, MyPhone sessions and their
// websocket channels, calls (placed ones and incoming ones rung in by `POST /__sim/calls`) with
// their lifecycle, call history (pre-filled by the scenario), the request log and the faults.
// Also the Call Control API clients (reference §10) and their tokens; both APIs see the same calls,
// and every call change is told to the listeners (the Call Control event sockets).
import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { Secret, TOTP } from "otpauth";
import { ActionType, ErrorCodes } from "../protocol/gen/myphone_pb.js";
import type {
  CallChangeKind,
  CallChangeListener,
  Channel,
  DeviceState,
  ExtensionState,
  Faults,
  HistoryEntry,
  LoginAttempt,
  LoginOutcome,
  MyPhoneSession,
  PbxConfig,
  RequestLogEntry,
  SimCall,
} from "./model.js";
import {
  connectionDelta,
  fullMyInfo,
  missedCountDelta,
  PROFILES,
  type Refusal,
  statusDelta,
} from "./replies.js";
import type { Scenario, ScenarioApiClient } from "./scenario.js";
import { type IssuedToken, TokenIssuer } from "./tokens.js";

/** Long runs (benchmarks) must not grow without bound; the oldest entries go first. */
const MAX_LOG_ENTRIES = 10_000;
const MAX_FINISHED_CALLS = 10_000;
const MAX_HISTORY_PER_EXTENSION = 500;

const DESTINATION_PATTERN = /^\+?[0-9*#]+$/;
const MAX_DESTINATION_DIGITS = 32;

export class Pbx {
  readonly extensions: readonly ExtensionState[];
  readonly tokens: TokenIssuer;
  readonly faults: Faults;
  readonly requestLog: RequestLogEntry[] = [];
  /** Every password login and its outcome (`GET /__sim/logins`); passwords are not kept. */
  readonly loginLog: Array<{ time: string; username: string; outcome: LoginOutcome["kind"] }> = [];
  /** Passwords changed by the fault `changePassword`, by extension number. */
  private readonly changedPasswords = new Map<string, string>();
  /** Open web-client websockets (`GET /__sim/sockets`). */
  openWebsockets = 0;
  calls: SimCall[] = [];
  private readonly byNumber = new Map<string, ExtensionState>();
  private readonly sessions = new Map<string, MyPhoneSession>();
  private readonly v18Cookies = new Map<string, { extension: string; expiresAtMs: number }>();
  private readonly loginFailures = new Map<string, number[]>();
  private readonly callTimers = new Map<number, NodeJS.Timeout>();
  /** Incoming calls whose caller hangs up at a set time (`hangupAfter`), by call id. */
  private readonly callerHangups = new Map<number, NodeJS.Timeout>();
  private readonly callListeners = new Set<CallChangeListener>();
  /** Call Control event sockets: the fault `dropWebsockets` ends them too. */
  readonly apiChannels = new Set<Channel>();
  private readonly apiClients = new Map<string, ScenarioApiClient>();
  private nextCallId = 1;

  constructor(
    readonly scenario: Scenario,
    readonly config: PbxConfig,
  ) {
    let nextDeviceId = 1;
    this.extensions = scenario.extensions.map((ext, index) => ({
      config: ext,
      id: index + 1,
      number: ext.number,
      devices: ext.devices.map((d) => ({ id: nextDeviceId++, ...d })),
      currentProfileId: PROFILES[0].id,
      queueStatus: false,
      dnd: false,
      missedCallsCount: 0,
      history: seededHistory(scenario, ext.number, config.now()),
    }));
    for (const ext of this.extensions) this.byNumber.set(ext.number, ext);
    for (const client of scenario.apiClients ?? []) this.apiClients.set(client.clientId, client);
    this.tokens = new TokenIssuer(config.tokenLifetimeSeconds, config.now);
    this.faults = { latencyMs: config.latencyMs, failNext: null };
  }

  now(): number {
    return this.config.now();
  }

  extension(number: string): ExtensionState | undefined {
    return this.byNumber.get(number);
  }

  // ---- logins and lockout ----

  login(attempt: LoginAttempt): LoginOutcome {
    const outcome = this.checkLogin(attempt);
    this.loginLog.push({
      time: new Date(this.now()).toISOString(),
      username: attempt.username,
      outcome: outcome.kind,
    });
    if (this.loginLog.length > MAX_LOG_ENTRIES) this.loginLog.shift();
    return outcome;
  }

  /** Fault `changePassword`: the extension's password is now `password`. */
  changePassword(number: string, password: string): boolean {
    if (!this.byNumber.has(number)) return false;
    this.changedPasswords.set(number, password);
    return true;
  }

  private checkLogin(attempt: LoginAttempt): LoginOutcome {
    if (this.isBlocked(attempt.remoteAddress)) return { kind: "blocked" };
    const ext = this.findByUsername(attempt.username);
    const password = ext && (this.changedPasswords.get(ext.number) ?? ext.config.password);
    if (!ext || password !== attempt.password) {
      this.recordFailure(attempt.remoteAddress);
      return { kind: "failed" };
    }
    if (attempt.checkTotp && ext.config.totpSecret) {
      // An empty code is the normal first step of a 2FA login and is not counted; a wrong code
      // counts as a failed login, like a wrong password, so codes cannot be brute-forced [?].
      if (!attempt.securityCode) return { kind: "required2fa" };
      if (!this.totpValid(ext.config.totpSecret, attempt.securityCode)) {
        this.recordFailure(attempt.remoteAddress);
        return { kind: "required2fa" };
      }
    }
    return { kind: "success", extension: ext };
  }

  private findByUsername(username: string): ExtensionState | undefined {
    const wanted = username.trim().toLowerCase();
    return this.extensions.find(
      (ext) => ext.number === wanted || ext.config.email?.toLowerCase() === wanted,
    );
  }

  private totpValid(secret: string, code: string): boolean {
    const delta = TOTP.validate({
      token: code.trim(),
      secret: Secret.fromBase32(secret.toUpperCase()),
      algorithm: "SHA1",
      digits: 6,
      period: 30,
      timestamp: this.now(),
      window: 1,
    });
    return delta !== null;
  }

  /** Blocked while `max` failures from this address fall inside the sliding window. */
  isBlocked(remoteAddress: string): boolean {
    return this.recentFailures(remoteAddress).length >= this.config.lockout.max;
  }

  private recordFailure(remoteAddress: string): void {
    this.loginFailures.set(remoteAddress, [...this.recentFailures(remoteAddress), this.now()]);
  }

  private recentFailures(remoteAddress: string): number[] {
    const since = this.now() - this.config.lockout.windowMs;
    const recent = (this.loginFailures.get(remoteAddress) ?? []).filter((t) => t > since);
    if (recent.length === 0) this.loginFailures.delete(remoteAddress);
    else this.loginFailures.set(remoteAddress, recent);
    return recent;
  }

  // ---- V18 cookie sessions ----

  /** A V18 login cookie; it lives as long as an access token would [?]. */
  issueV18Cookie(ext: ExtensionState): string {
    const value = randomBytes(24).toString("base64url");
    const expiresAtMs = this.now() + this.config.tokenLifetimeSeconds * 1000;
    this.v18Cookies.set(value, { extension: ext.number, expiresAtMs });
    return value;
  }

  verifyV18Cookie(value: string | undefined): ExtensionState | undefined {
    const record = value ? this.v18Cookies.get(value) : undefined;
    if (!record || this.now() >= record.expiresAtMs) return undefined;
    return this.extension(record.extension);
  }

  /** Fault `expireTokens`: every access token, API client token and V18 cookie stops working. */
  expireTokens(): void {
    this.tokens.revokeAll("access");
    this.tokens.revokeAll("client");
    this.v18Cookies.clear();
  }

  // ---- Call Control API clients (reference §10) ----

  /**
   * client_credentials: a new token for a known client with the right key. 3CX allows one active
   * token per client, so the client's previous token stops working. Whether a wrong key counts
   * towards the address lockout is not recorded; the simulator does not count it [?].
   */
  grantClientToken(clientId: string, apiKey: string): IssuedToken | undefined {
    const client = this.apiClients.get(clientId);
    if (!client || !sameSecret(client.apiKey, apiKey)) return undefined;
    this.tokens.revokeSubject(clientId, "client");
    const issued = this.tokens.issue(clientId, "client");
    for (const listener of this.clientTokenListeners) listener(clientId);
    return issued;
  }

  /** Told when a client got a new token (its older ones were revoked). */
  readonly clientTokenListeners = new Set<(clientId: string) => void>();

  /**
   * Fault `reregisterDevices`: every device of the extension registers again under a new contact
   * (a new `rinstance`), as after a phone restart; the old device ids are stale (§10.1 item 3).
   */
  reregisterDevices(ext: ExtensionState): void {
    const devices = ext.devices as DeviceState[];
    for (const [index, device] of devices.entries()) {
      const base = device.contact.replace(/;rinstance=[^;]*/, "");
      const rinstance = randomBytes(6).toString("hex");
      const [uri, ...params] = base.split(";");
      devices[index] = {
        ...device,
        contact: [`${uri};rinstance=${rinstance}`, ...params].join(";"),
      };
    }
  }

  /** The API client a still-valid Call Control token belongs to. */
  apiClientOf(token: string | undefined): ScenarioApiClient | undefined {
    const clientId = this.tokens.verify(token, "client");
    return clientId === undefined ? undefined : this.apiClients.get(clientId);
  }

  /** Listens to every call change of every extension; returns the unsubscribe function. */
  onCallChange(listener: CallChangeListener): () => void {
    this.callListeners.add(listener);
    return () => this.callListeners.delete(listener);
  }

  private callChanged(ext: ExtensionState, call: SimCall, kind: CallChangeKind): void {
    for (const listener of this.callListeners) listener(ext, call, kind);
  }

  // ---- MyPhone sessions ----

  openSession(ext: ExtensionState): MyPhoneSession {
    const session: MyPhoneSession = {
      key: randomUUID(),
      pass: randomUUID(),
      extension: ext,
      lastUsedAt: this.now(),
      channels: new Set(),
    };
    this.sessions.set(session.key, session);
    return session;
  }

  /**
   * The live session for a key (and pass, when given), its idle timer refreshed; an idle one is
   * expired on the spot.
   * Only requests and websocket opens count as use: an open websocket alone does not keep a
   * session alive [?].
   */
  useSession(key: string | undefined, pass?: string): MyPhoneSession | undefined {
    const session = key ? this.sessions.get(key) : undefined;
    if (!session || (pass !== undefined && pass !== session.pass)) return undefined;
    if (this.isIdle(session)) {
      this.expireSession(session);
      return undefined;
    }
    session.lastUsedAt = this.now();
    return session;
  }

  private isIdle(session: MyPhoneSession): boolean {
    return this.now() - session.lastUsedAt >= this.config.sessionIdleMs;
  }

  /** Ends a session: each of its websockets gets `NOT AUTH` and is closed (reference §5). */
  expireSession(session: MyPhoneSession): void {
    this.sessions.delete(session.key);
    for (const channel of session.channels) {
      channel.send("NOT AUTH");
      channel.close();
    }
    session.channels.clear();
  }

  expireIdleSessions(): void {
    for (const session of [...this.sessions.values()]) {
      if (this.isIdle(session)) this.expireSession(session);
    }
  }

  expireAllSessions(): void {
    for (const session of [...this.sessions.values()]) this.expireSession(session);
  }

  /** Fault `dropWebsockets`: every open websocket ends abruptly; sessions and tokens stay valid. */
  dropAllChannels(): void {
    for (const session of this.sessions.values()) {
      for (const channel of session.channels) channel.terminate();
      session.channels.clear();
    }
    for (const channel of this.apiChannels) channel.terminate();
    this.apiChannels.clear();
  }

  attachChannel(session: MyPhoneSession, channel: Channel): void {
    session.channels.add(channel);
  }

  detachChannel(session: MyPhoneSession, channel: Channel): void {
    session.channels.delete(channel);
  }

  pushToSession(session: MyPhoneSession, bytes: Uint8Array): void {
    for (const channel of session.channels) channel.send(bytes);
  }

  /** Pushes to every open websocket of every session of the extension. */
  pushToExtension(ext: ExtensionState, bytes: Uint8Array): void {
    for (const session of this.sessions.values()) {
      if (session.extension === ext) this.pushToSession(session, bytes);
    }
  }

  // ---- MyInfo and status ----

  fullMyInfo(ext: ExtensionState): Uint8Array {
    return fullMyInfo(ext, this.liveCalls(ext), this.now());
  }

  changeStatus(
    ext: ExtensionState,
    change: { profileId?: number | undefined; queueStatus?: boolean | undefined },
  ): Refusal | undefined {
    if (change.profileId !== undefined && !PROFILES.some((p) => p.id === change.profileId)) {
      return {
        errorType: ErrorCodes.INVALID_VALUE,
        message: `Unknown status profile ${change.profileId}`,
        parameter: "ProfileId",
      };
    }
    if (change.profileId !== undefined) ext.currentProfileId = change.profileId;
    if (change.queueStatus !== undefined) ext.queueStatus = change.queueStatus;
    this.pushToExtension(ext, statusDelta(ext));
    return undefined;
  }

  // ---- calls ----

  liveCalls(ext: ExtensionState): SimCall[] {
    return this.calls.filter(
      (c) =>
        c.extension === ext.number &&
        (c.state === "ringing" || c.state === "dialing" || c.state === "connected"),
    );
  }

  /**
   * An outside caller rings the extension (`POST /__sim/calls`): every device of the extension
   * shows a ringing incoming connection. The caller id is kept exactly as given (`anonymous`, an
   * empty string and SIP URIs included); the caller name is the PBX's: phone book or colleague
   * first, else the name the caller sent. `answerAfterMs`: a device picks up then;
   * `hangupAfterMs` (from the first ring): the caller hangs up then, missed if unanswered.
   */
  incomingCall(
    ext: ExtensionState,
    from: string,
    options: { callerName?: string; answerAfterMs?: number; hangupAfterMs?: number } = {},
  ): SimCall {
    const call: SimCall = {
      id: this.nextCallId++,
      extension: ext.number,
      destination: from,
      device: null,
      incoming: true,
      origin: "trunk",
      state: "ringing",
      createdAt: this.now(),
      connectedAt: null,
      endedAt: null,
      otherPartyName: this.nameOfNumber(from) || options.callerName || undefined,
    };
    this.calls.push(call);
    this.trimCalls();
    this.pushToExtension(ext, connectionDelta(ext, call, ActionType.INSERTED));
    this.callChanged(ext, call, "created");
    if (options.answerAfterMs !== undefined) {
      this.schedule(call, options.answerAfterMs, () => this.connectCall(ext, call));
    }
    if (options.hangupAfterMs !== undefined) {
      const timer = setTimeout(() => this.callerHangsUp(call), options.hangupAfterMs);
      timer.unref();
      this.callerHangups.set(call.id, timer);
    }
    return call;
  }

  /** `POST /__sim/calls/{id}/answer`: a device of the extension picks up a ringing call. */
  answerIncoming(callId: number): SimCall | undefined {
    const call = this.calls.find((c) => c.id === callId && c.incoming && c.state === "ringing");
    const ext = call && this.extension(call.extension);
    if (!call || !ext) return undefined;
    this.clearTimer(call);
    this.connectCall(ext, call);
    return call;
  }

  /** `POST /__sim/calls/{id}/hangup`, or `hangupAfter`: the caller hangs up (missed if ringing). */
  callerHangsUp(call: SimCall): boolean {
    const ext = this.extension(call.extension);
    if (!ext || !call.incoming || !this.liveCalls(ext).includes(call)) return false;
    this.endCall(ext, call);
    return true;
  }

  /**
   * RequestMakeCall. Refusal details are ours [?]: the reference does not know which error a real
   * PBX reports for a bad destination or device (§12.9). Every attempt is recorded.
   */
  makeCall(
    ext: ExtensionState,
    destination: string | undefined,
    deviceContact: string | undefined,
    origin: SimCall["origin"] = "myphone",
  ): { call: SimCall; refusal?: Refusal } {
    const refusal = this.checkMakeCall(ext, destination, deviceContact);
    const call: SimCall = {
      id: this.nextCallId++,
      extension: ext.number,
      destination: destination ?? "",
      device: deviceContact ?? null,
      state: refusal ? "failed" : "dialing",
      createdAt: this.now(),
      connectedAt: null,
      endedAt: null,
      otherPartyName: refusal ? undefined : this.nameOfNumber(destination ?? ""),
      ...(refusal ? { failure: refusal.message } : {}),
      origin,
    };
    this.calls.push(call);
    this.trimCalls();
    if (refusal) return { call, refusal };
    this.pushToExtension(ext, connectionDelta(ext, call, ActionType.INSERTED));
    this.callChanged(ext, call, "created");
    this.schedule(call, this.config.answerAfterMs, () => this.connectCall(ext, call));
    return { call };
  }

  private checkMakeCall(
    ext: ExtensionState,
    destination: string | undefined,
    deviceContact: string | undefined,
  ): Refusal | undefined {
    if (!destination) {
      return invalid("Destination", "The destination is empty.");
    }
    if (!DESTINATION_PATTERN.test(destination)) {
      return invalid(
        "Destination",
        `The destination "${destination}" is not a dialable number: only digits, *, # and a leading + are allowed.`,
      );
    }
    if (destination.replace(/^\+/, "").length > MAX_DESTINATION_DIGITS) {
      return invalid(
        "Destination",
        `The destination is longer than ${MAX_DESTINATION_DIGITS} digits.`,
      );
    }
    if (ext.devices.length === 0) {
      return {
        errorType: ErrorCodes.OPERATION_FAILED,
        message: `Extension ${ext.number} has no registered device to place the call from.`,
      };
    }
    // Without field 3 the first registered device rings [?] (reference §8.6: undocumented).
    if (deviceContact && !ext.devices.some((d) => d.contact === deviceContact)) {
      return invalid(
        "DeviceID",
        `No device with contact "${deviceContact}" is registered on extension ${ext.number}.`,
      );
    }
    return undefined;
  }

  private connectCall(ext: ExtensionState, call: SimCall): void {
    if (call.state !== "dialing" && call.state !== "ringing") return;
    call.state = "connected";
    call.connectedAt = this.now();
    this.pushToExtension(ext, connectionDelta(ext, call, ActionType.UPDATED));
    this.callChanged(ext, call, "updated");
    // An incoming call's caller hangs up at the time given when it was rung in.
    if (this.callerHangups.has(call.id)) return;
    const hangupAfter = this.config.hangupAfterMs;
    if (hangupAfter !== undefined) this.schedule(call, hangupAfter, () => this.endCall(ext, call));
  }

  /** RequestDropCall (115): ends one of the extension's own live connections. */
  dropCall(ext: ExtensionState, connectionId: number | undefined): Refusal | undefined {
    const call = this.liveCalls(ext).find((c) => c.id === connectionId);
    if (!call) {
      return invalid(
        "LocalConnectionId",
        `No live connection ${connectionId ?? "(none given)"} on extension ${ext.number}.`,
      );
    }
    this.endCall(ext, call);
    return undefined;
  }

  /** RequestAutoAnswerConnection (152): the ringing device picks up at once. */
  autoAnswer(ext: ExtensionState, connectionId: number | undefined): Refusal | undefined {
    const call = this.liveCalls(ext).find((c) => c.id === connectionId);
    if (!call) {
      return invalid(
        "ConnectionId",
        `No live connection ${connectionId ?? "(none given)"} on extension ${ext.number}.`,
      );
    }
    this.clearTimer(call);
    this.connectCall(ext, call);
    return undefined;
  }

  private endCall(ext: ExtensionState, call: SimCall): void {
    this.clearTimer(call);
    clearTimeout(this.callerHangups.get(call.id));
    this.callerHangups.delete(call.id);
    // An incoming call that ends while still ringing (caller hung up, or declined) was missed.
    const missed = call.incoming === true && call.state === "ringing";
    call.state = "ended";
    call.endedAt = this.now();
    if (missed) call.missed = true;
    ext.history.unshift({
      kind: call.incoming ? (missed ? "missed" : "received") : "outgoing",
      number: call.destination,
      otherPartyName: call.otherPartyName,
      createdAt: call.createdAt,
      connectedAt: call.connectedAt,
      endedAt: call.endedAt,
    });
    ext.history.length = Math.min(ext.history.length, MAX_HISTORY_PER_EXTENSION);
    this.pushToExtension(ext, connectionDelta(ext, call, ActionType.DELETED));
    if (missed) {
      ext.missedCallsCount++;
      this.pushToExtension(ext, missedCountDelta(ext));
    }
    this.callChanged(ext, call, "ended");
  }

  private schedule(call: SimCall, delayMs: number, action: () => void): void {
    this.clearTimer(call);
    const timer = setTimeout(() => {
      this.callTimers.delete(call.id);
      action();
    }, delayMs);
    timer.unref();
    this.callTimers.set(call.id, timer);
  }

  private clearTimer(call: SimCall): void {
    const timer = this.callTimers.get(call.id);
    if (timer) clearTimeout(timer);
    this.callTimers.delete(call.id);
  }

  private trimCalls(): void {
    let excess = this.calls.length - MAX_FINISHED_CALLS;
    if (excess <= 0) return;
    this.calls = this.calls.filter((c) => {
      const finished = c.state === "ended" || c.state === "failed";
      if (finished && excess > 0) {
        excess--;
        return false;
      }
      return true;
    });
  }

  /** The phone-book or colleague name for a dialled number, compared digit by digit [?]. */
  private nameOfNumber(destination: string): string | undefined {
    const wanted = dialDigits(destination);
    const colleague = this.byNumber.get(wanted);
    if (colleague) return fullName(colleague.config.firstName, colleague.config.lastName);
    const contact = this.scenario.contacts.find((c) =>
      [c.business, c.mobile, c.home].some((n) => n !== undefined && dialDigits(n) === wanted),
    );
    if (!contact) return undefined;
    return fullName(contact.firstName, contact.lastName) || contact.company;
  }

  // ---- log, reset, shutdown ----

  log(entry: RequestLogEntry): void {
    this.requestLog.push(entry);
    if (this.requestLog.length > MAX_LOG_ENTRIES) this.requestLog.shift();
  }

  /**
   * `POST /__sim/reset`: live calls end (pushed), then calls, logs, lockout, faults clear and the
   * history goes back to the scenario's.
   */
  reset(): void {
    for (const ext of this.extensions) {
      for (const call of this.liveCalls(ext)) this.endCall(ext, call);
      ext.history = seededHistory(this.scenario, ext.number, this.now());
      ext.missedCallsCount = 0;
    }
    this.calls = [];
    this.requestLog.length = 0;
    this.loginLog.length = 0;
    this.changedPasswords.clear();
    this.loginFailures.clear();
    this.faults.latencyMs = this.config.latencyMs;
    this.faults.failNext = null;
    delete this.faults.refuseMessages;
  }

  /** Clears every timer; the server closes the sockets. */
  stop(): void {
    for (const timer of this.callTimers.values()) clearTimeout(timer);
    this.callTimers.clear();
    for (const timer of this.callerHangups.values()) clearTimeout(timer);
    this.callerHangups.clear();
    this.dropAllChannels();
  }
}

function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function invalid(parameter: string, message: string): Refusal {
  return { errorType: ErrorCodes.INVALID_VALUE, message, parameter };
}

/** Digits as dialled: a leading + becomes 00, separators go (the seed dials 0049… for +49…). */
export function dialDigits(number: string): string {
  return number
    .trim()
    .replace(/^\+/, "00")
    .replace(/[^0-9*#]/g, "");
}

export function fullName(first: string | undefined, last: string | undefined): string {
  return [first, last].filter((part) => part).join(" ");
}

/** The scenario's pre-filled history of one extension, newest first, as HistoryEntry values. */
export function seededHistory(
  scenario: Scenario,
  extension: string,
  nowMs: number,
): HistoryEntry[] {
  return (scenario.history ?? [])
    .filter((entry) => entry.extension === extension)
    .map((entry): HistoryEntry => {
      const createdAt =
        entry.at !== undefined ? Date.parse(entry.at) : nowMs - entry.minutesAgo * 60_000;
      const connectedAt = entry.kind === "missed" ? null : createdAt + 2_000;
      const endedAt =
        connectedAt === null ? createdAt + 20_000 : connectedAt + entry.durationSeconds * 1000;
      return {
        kind: entry.kind,
        number: entry.number,
        otherPartyName: entry.name,
        createdAt,
        connectedAt,
        endedAt,
      };
    })
    .sort((a, b) => b.createdAt - a.createdAt)
    .slice(0, MAX_HISTORY_PER_EXTENSION);
}
