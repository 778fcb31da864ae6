// The 3CX web-client driver: login, MyPhone session, event channel, MyInfo kept current from the
// pushes, and the call operations. It re-creates an expired session once per failed request (the
// PBX refused that request, so sending it again cannot place a second call) and reconnects a
// dropped channel with backoff. Rejected credentials are never retried. Instead of a password it
// can log in as an API client that opens the extension's session (`impersonate`, 3CX 20.0.8+).
import { EventEmitter } from "node:events";
import { create } from "@bufbuild/protobuf";
import {
  AuthError,
  BadInputError,
  NetworkError,
  NotLoggedInError,
  ProtocolError,
  TwoFactorRequiredError,
} from "../../errors.js";
import { readCallHistory } from "../../protocol/call-history.js";
import {
  type DecodedMessage,
  decodeEnvelope,
  decodeMessage,
  encodeMessage,
  isMessage,
} from "../../protocol/codec.js";
import {
  ActionType,
  type LocalConnection,
  LoginSchema,
  type MyExtensionInfo,
  CallState as ProtoCallState,
  RequestCallHistorySchema,
  RequestDropCallSchema,
  RequestLookupContactSchema,
  RequestMakeCallSchema,
  RequestMyInfoSchema,
} from "../../protocol/gen/myphone_pb.js";
import { applyMyInfoUpdate } from "../../protocol/myinfo-state.js";
import type { CallControlCredentials } from "../callcontrol/api.js";
import type {
  CallState,
  Driver,
  DriverCall,
  DriverContact,
  DriverDevice,
  DriverEvents,
  DriverHistoryEntry,
  ExtensionInfo,
} from "../driver.js";
import { PbxHttp, parsePbxUrl } from "../http.js";
import { type LoginRefusal, LoginRefusalGuard } from "../login-refusal.js";
import { callOutcome, UnreadableAnswer } from "../outcome.js";
import { noRetry, Reconnector } from "../reconnect.js";
import { resolveTlsTrust, type TlsOptions, type TlsTrust } from "../tls.js";
import { type ChannelCloseReason, EventChannel, SessionExpiredOnOpen } from "./channel.js";
import {
  type Credentials,
  logIn,
  type MyPhoneSession,
  openMyPhoneSession,
  type PbxVersion,
  refreshAccessToken,
  SessionRefusedError,
} from "./login.js";
import { assertAcknowledged, postMyPhoneBytes, SessionExpiredError } from "./myphone-api.js";
import { toDriverContact } from "./phonebook.js";
import { toDriverDevice } from "./registrations.js";

export type PasswordSource = string | (() => Promise<string>);

/** The PBX would not open a session for the extension through the API client. */
function impersonationRefused(
  clientId: string,
  extension: string,
  error: SessionRefusedError,
): AuthError {
  return new AuthError(
    `The PBX refused to open a session for extension ${extension} through API client "${clientId}" (HTTP ${error.status}). Acting for an extension without its password needs 3CX 20.0.8 or later and the extension under Admin Console → Integrations → API → ${clientId} → "Extensions to monitor". (This login follows 3CX's own test code; it has not yet been seen on a live PBX: auth = "password" is the proven way.)`,
  );
}

export interface WebClientOptions {
  pbx: string;
  extension: string;
  password?: PasswordSource;
  /**
   * Log in as an API client instead of with the password: its client_credentials token opens a
   * MyPhone session for `extension` (`"impersonate"`, 3CX 20.0.8+; shown by 3CX's own test code,
   * not yet seen on a live PBX). The client must list the extension under "Extensions to
   * monitor" [?]. Its token is shared with every other user of the client in this process.
   */
  impersonate?: CallControlCredentials;
  securityCode?: string;
  tls?: TlsOptions;
  pbxVersion?: "auto" | PbxVersion;
  /** A session saved by `snapshot()`: skips the login while the PBX still accepts it. */
  resume?: WebClientSnapshot;
  /** A saved refresh token, read only when a session must be renewed (V20). */
  refreshToken?: () => Promise<string | undefined>;
  /**
   * Open the event channel and follow MyInfo (default true). Without it, after a fresh login the
   * channel is opened once to read the devices, and closed; with `resume` nothing but requests.
   */
  events?: boolean;
  timeoutMs?: number;
  keepAlive?: { echoAddp?: boolean; quietTimeoutMs?: number };
  /** Post an empty Login (100) after START, as some V20 clients do (reference §4; default off). */
  activateWithEmptyLogin?: boolean;
  /** Also send the bearer token on MPWebService requests (reference §12.7; default off). */
  sendBearerToMyPhone?: boolean;
  /** Called after every HTTP request, e.g. to count round trips. */
  onRequest?: (info: { method: string; path: string; status: number; ms: number }) => void;
}

export interface WebClientSnapshot {
  pbxVersion: PbxVersion;
  sessionKey: string;
  pass: string;
  accessToken?: string;
  accessTokenExpiresAt?: number;
  cookies: Record<string, string>;
  devices: DriverDevice[];
  /** The PBX has refused this session already: renew it before the first request. */
  expired?: boolean;
}

export class WebClientDriver extends EventEmitter<DriverEvents> implements Driver {
  readonly kind = "webclient" as const;
  private credentials: Credentials | undefined;
  private session: MyPhoneSession | undefined;
  private channel: EventChannel | undefined;
  private myInfo: MyExtensionInfo | undefined;
  private resumedDevices: DriverDevice[] = [];
  private renewing: Promise<void> | undefined;
  private readonly reconnector = new Reconnector(() => this.reconnect(), this);
  private closed = false;
  private fullInfoWaiters: Array<() => void> = [];
  /** Set after the PBX refused a login: no new one until the password changes (or a retry). */
  private readonly refusal = new LoginRefusalGuard();

  private constructor(
    private readonly options: WebClientOptions,
    private readonly http: PbxHttp,
    private readonly trust: TlsTrust,
  ) {
    super();
  }

  static async connect(options: WebClientOptions): Promise<WebClientDriver> {
    const base = parsePbxUrl(options.pbx);
    const trust = await resolveTlsTrust(base, options.tls);
    const http = new PbxHttp(base, trust, {
      timeoutMs: options.timeoutMs,
      onRequest: options.onRequest,
    });
    const driver = new WebClientDriver(options, http, trust);
    try {
      if (options.resume) driver.restore(options.resume);
      else await driver.logInAndOpenSession(options.securityCode);
      if (options.events !== false) await driver.openChannel();
      else if (!options.resume?.devices.length) await driver.readDevicesOnce();
    } catch (error) {
      await driver.close();
      throw error;
    }
    return driver;
  }

  get pbxVersion(): PbxVersion | undefined {
    return this.credentials?.pbxVersion;
  }

  extensionInfo(): ExtensionInfo {
    const info = this.myInfo;
    const profile = info?.profiles?.items.find((p) => p.id === info.currentProfileId);
    return {
      extension: info?.number || this.options.extension,
      firstName: info?.firstName || undefined,
      lastName: info?.lastName || undefined,
      presence: profile ? profile.customName || profile.name : undefined,
      dnd: info ? info.dnd : undefined,
      missedCalls: info ? info.missedCallsCount : undefined,
    };
  }

  followsEvents(): boolean {
    return this.channel?.isOpen ?? false;
  }

  devices(): DriverDevice[] {
    if (!this.myInfo) return this.resumedDevices;
    return (this.myInfo.activeDevices?.items ?? []).map(toDriverDevice);
  }

  calls(): DriverCall[] {
    return (this.myInfo?.connections?.items ?? []).map(toDriverCall);
  }

  async makeCall(destination: string, device?: DriverDevice): Promise<void> {
    const request = create(RequestMakeCallSchema, { destination });
    if (device) request.deviceId = device.contact;
    const what = `the call to ${destination}`;
    let answer: DecodedMessage;
    try {
      answer = await this.post(encodeMessage(119, request));
    } catch (error) {
      // Sent, but no (readable) answer: it may have been placed, so it is never sent again.
      throw callOutcome(error, what);
    }
    if (!isMessage(answer, 207)) {
      throw callOutcome(
        new UnreadableAnswer(`The PBX answered MakeCall with message ${answer.id}.`),
        what,
      );
    }
    assertAcknowledged(answer, what);
  }

  async hangup(callId: string): Promise<void> {
    const id = Number(callId);
    if (!Number.isInteger(id)) {
      throw new BadInputError(
        `"${callId}" is not a call id: pass the number \`dial3cx status\` shows.`,
        "usage",
      );
    }
    const request = create(RequestDropCallSchema, { localConnectionId: id, isLocal: true });
    assertAcknowledged(await this.post(encodeMessage(115, request)), `to hang up call ${callId}`);
  }

  /** Phone book and colleagues matching `query` (RequestLookupContact 104 → 202). */
  async lookupContacts(query: string, limit: number): Promise<DriverContact[]> {
    const request = create(RequestLookupContactSchema, {
      input: query,
      offset: 0,
      count: limit,
      extIncluded: true,
      sortBy: 1,
      searchBy: 63, // [R] names, company, e-mail and numbers
      searchCompany: true,
      searchPersonal: true,
    });
    const answer = await this.post(encodeMessage(104, request));
    if (isMessage(answer, 202)) return answer.message.entries.map(toDriverContact);
    assertAcknowledged(answer, "the phone-book search");
    throw new ProtocolError(`The PBX answered the phone-book search with message ${answer.id}.`);
  }

  /**
   * RequestCallHistory (106) → CallHistory (204), both [R] (reference §8.9): CallType 1 asks for
   * missed calls only, RecordLimit for the newest `limit`. The answer is read tolerantly
   * (protocol/call-history.ts); an Ack instead of 204 means the PBX would not give it.
   */
  async callHistory(query: { limit: number; missedOnly: boolean }): Promise<DriverHistoryEntry[]> {
    const request = create(RequestCallHistorySchema, {
      callType: query.missedOnly ? 1 : 0,
      recordLimit: query.limit,
      recordOffset: 0,
    });
    const bytes = await this.post(encodeMessage(106, request), (answer) => answer);
    const { id, payload } = decodeEnvelope(bytes);
    if (id === 204) return readCallHistory(payload);
    const answer = decodeMessage(bytes);
    assertAcknowledged(answer, "to send the call history");
    throw new ProtocolError(`The PBX answered the call-history request with message ${id}.`);
  }

  /** The session, for the warm-path cache. Undefined before a session exists. */
  snapshot(): WebClientSnapshot | undefined {
    if (!this.session || !this.credentials) return undefined;
    return {
      pbxVersion: this.credentials.pbxVersion,
      sessionKey: this.session.sessionKey,
      pass: this.session.pass,
      accessToken: this.credentials.accessToken,
      accessTokenExpiresAt: this.credentials.accessTokenExpiresAt,
      cookies: Object.fromEntries(this.http.cookies),
      devices: this.devices(),
    };
  }

  /** Why no login is attempted, while a refused login blocks new ones. */
  loginRefused(): LoginRefusal | undefined {
    return this.refusal.current();
  }

  /**
   * Allows a new login after a refusal (the user says the credentials changed) and, when events
   * are followed, reconnects now. Rejects with the login's error when it fails again.
   */
  async retryLogin(): Promise<void> {
    this.refusal.clear();
    if (this.closed) return;
    if (!this.session) await this.renewSession();
    if (this.options.events !== false && !this.channel) await this.openChannel();
  }

  async close(): Promise<void> {
    if (this.closed) return; // undici refuses to close an agent twice
    this.closed = true;
    this.reconnector.stop();
    this.channel?.close();
    this.channel = undefined;
    await this.http.close();
  }

  // --- session --------------------------------------------------------------------------------

  private restore(snapshot: WebClientSnapshot): void {
    this.credentials = {
      pbxVersion: snapshot.pbxVersion,
      accessToken: snapshot.accessToken,
      accessTokenExpiresAt: snapshot.accessTokenExpiresAt,
    };
    this.session = snapshot.expired
      ? undefined
      : { sessionKey: snapshot.sessionKey, pass: snapshot.pass };
    for (const [name, value] of Object.entries(snapshot.cookies))
      this.http.cookies.set(name, value);
    this.resumedDevices = snapshot.devices;
  }

  /**
   * A full login. The 2FA code is sent only with the first one: by a renewal it is stale or used,
   * and a refused code counts as a failed login towards the PBX's address lockout.
   */
  private async logInAndOpenSession(securityCode?: string): Promise<void> {
    if (this.options.impersonate) {
      await this.openImpersonatedSession(this.options.impersonate);
      return;
    }
    const password = await this.password();
    // Refused before with this very password: the PBX is not asked again.
    this.refusal.check(password, {
      label: `extension ${this.options.extension}`,
      extension: this.options.extension,
    });
    try {
      this.credentials = await logIn(this.http, {
        extension: this.options.extension,
        password,
        securityCode,
        pbxVersion: this.options.pbxVersion,
      });
    } catch (error) {
      // The PBX may be down (retry later) but it refused or misread the password: never again.
      if (error instanceof NetworkError) throw error;
      if (error instanceof AuthError || error instanceof TwoFactorRequiredError) {
        this.session = undefined;
        this.refusal.record(password, error);
      }
      throw noRetry(error);
    }
    this.refusal.clear();
    this.session = await this.openSession();
  }

  private async openSession(): Promise<MyPhoneSession> {
    try {
      return await openMyPhoneSession(this.http, this.credentials!);
    } catch (error) {
      if (error instanceof SessionRefusedError) {
        throw new ProtocolError("The PBX refused to open a MyPhone session right after the login.");
      }
      throw error;
    }
  }

  /**
   * A MyPhone session for the extension, opened with the API client's token. A token the PBX
   * refuses (401) is replaced once; a refusal with a fresh token is explained and not repeated.
   */
  private async openImpersonatedSession(client: CallControlCredentials): Promise<void> {
    const { CallControlApi } = await import("../callcontrol/api.js");
    const api = new CallControlApi(this.http, client);
    const extension = this.options.extension;
    const open = (token: string) =>
      openMyPhoneSession(this.http, { pbxVersion: 20, accessToken: token }, extension);
    const first = await api.validToken();
    try {
      this.session = await open(first);
    } catch (error) {
      if (!(error instanceof SessionRefusedError)) throw error;
      if (error.status !== 401) throw impersonationRefused(client.clientId, extension, error);
      try {
        this.session = await open(await api.tokenAfter(first));
      } catch (again) {
        if (!(again instanceof SessionRefusedError)) throw again;
        throw impersonationRefused(client.clientId, extension, again);
      }
    }
    // The client's token stays with the API client: nothing of it is kept with the session.
    this.credentials = { pbxVersion: 20 };
  }

  /** Replaces an expired session: refresh token first (V20), else one full login. */
  private renewSession(): Promise<void> {
    this.renewing ??= (async () => {
      try {
        if (this.options.impersonate) {
          await this.openImpersonatedSession(this.options.impersonate);
          return;
        }
        // After a refused login, nothing but a login with a new password goes to the PBX.
        const refreshed =
          this.credentials?.pbxVersion === 20 && !this.refusal.current()
            ? await this.refreshWithSavedToken()
            : undefined;
        if (refreshed) {
          this.credentials = refreshed;
          try {
            this.session = await openMyPhoneSession(this.http, refreshed);
            return;
          } catch (error) {
            if (!(error instanceof SessionRefusedError)) throw error;
          }
        }
        await this.logInAndOpenSession();
      } finally {
        this.renewing = undefined;
      }
    })();
    return this.renewing;
  }

  private async refreshWithSavedToken(): Promise<Credentials | undefined> {
    if (!this.http.cookies.has("RefreshTokenCookie") && this.options.refreshToken) {
      const saved = await this.options.refreshToken();
      if (saved) this.http.cookies.set("RefreshTokenCookie", saved);
    }
    return refreshAccessToken(this.http);
  }

  private async password(): Promise<string> {
    const source = this.options.password;
    if (source === undefined) {
      throw new NotLoggedInError(
        "The PBX session expired and no password is available: run `dial3cx login`.",
      );
    }
    return typeof source === "string" ? source : source();
  }

  /** Sends one request; on an expired session renews it once and sends again. */
  private async post(body: Uint8Array): Promise<DecodedMessage>;
  private async post<T>(body: Uint8Array, read: (bytes: Uint8Array) => T): Promise<T>;
  private async post(
    body: Uint8Array,
    read: (bytes: Uint8Array) => unknown = decodeMessage,
  ): Promise<unknown> {
    // Refused login: answered at once, unless the password source now gives another password.
    if (this.refusal.current()) await this.renewSession();
    const first = await this.liveSession();
    try {
      return read(await this.send(first, body));
    } catch (error) {
      if (!(error instanceof SessionExpiredError)) throw error;
    }
    // A concurrent request or the channel may have renewed it meanwhile: once is enough.
    if (this.session === first || !this.session) {
      await this.renewSession();
      if (this.channel) this.reopenChannelSoon();
    }
    try {
      return read(await this.send(await this.liveSession(), body));
    } catch (error) {
      if (error instanceof SessionExpiredError) {
        throw new ProtocolError("The PBX rejected a session it had just opened.");
      }
      throw error;
    }
  }

  /** The current session; after the channel reported it expired, the renewed one. */
  private async liveSession(): Promise<MyPhoneSession> {
    if (!this.session) await this.renewSession();
    if (!this.session) throw new ProtocolError("No MyPhone session could be opened.");
    return this.session;
  }

  private send(session: MyPhoneSession, body: Uint8Array): Promise<Uint8Array> {
    return postMyPhoneBytes(this.http, body, {
      sessionKey: session.sessionKey,
      bearer: this.options.sendBearerToMyPhone ? this.credentials?.accessToken : undefined,
    });
  }

  // --- event channel --------------------------------------------------------------------------

  private async openChannel(): Promise<void> {
    const channel = await this.connectChannelRenewing();
    if (this.closed) {
      channel.close(); // close() came while the channel was opening
      return;
    }
    // Every replaced channel is closed: a socket left open keeps the process (and the PBX) busy.
    const replaced = this.channel;
    this.channel = channel;
    if (replaced && replaced !== channel) replaced.close();
    channel.on("message", (message) => this.onPush(message));
    channel.on("undecodable", (error) => this.emit("problem", error));
    channel.on("close", (reason) => this.onChannelClose(channel, reason));
    try {
      if (this.options.activateWithEmptyLogin) {
        await this.post(encodeMessage(100, create(LoginSchema, { user: "" })));
      }
      await this.requestFullInfo();
    } catch (error) {
      // A channel without its starting state is no use: the next attempt opens a new one.
      if (this.channel === channel) this.channel = undefined;
      channel.close();
      throw error;
    }
    this.emit("connection", "open");
  }

  /**
   * Without events and without cached devices a call could not pick a device: a short-lived
   * channel, only to read MyInfo once (the PBX sends it there, not as the answer).
   */
  private async readDevicesOnce(): Promise<void> {
    const channel = await this.connectChannelRenewing();
    channel.on("message", (message) => this.onPush(message));
    try {
      await this.requestFullInfo();
    } finally {
      channel.close();
    }
  }

  /** Opens the channel; a session the channel refuses (NOT AUTH) is renewed once. */
  private async connectChannelRenewing(): Promise<EventChannel> {
    try {
      return await this.connectChannel();
    } catch (error) {
      if (!(error instanceof SessionExpiredOnOpen)) throw error;
      await this.renewSession();
      return this.connectChannel();
    }
  }

  private connectChannel(): Promise<EventChannel> {
    return EventChannel.open({
      base: this.http.base,
      trust: this.trust,
      sessionKey: this.session!.sessionKey,
      pass: this.session!.pass,
      cookieHeader: this.http.cookieHeader() || undefined,
      startTimeoutMs: this.options.timeoutMs,
      echoAddp: this.options.keepAlive?.echoAddp,
      quietTimeoutMs: this.options.keepAlive?.quietTimeoutMs,
    });
  }

  /** RequestMyInfo (102): the full MyInfo arrives on the channel, or (some builds) as the answer. */
  private async requestFullInfo(): Promise<void> {
    let arrivedNow: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      arrivedNow = resolve;
    });
    this.fullInfoWaiters.push(arrivedNow); // it may come before the answer
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = await this.post(encodeMessage(102, create(RequestMyInfoSchema)));
      if (isMessage(answer, 201)) this.onPush(answer);
      else assertAcknowledged(answer, "to send the extension's details");
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ProtocolError("The PBX sent no MyInfo after RequestMyInfo (102).")),
          this.options.timeoutMs ?? 10_000,
        );
      });
      await Promise.race([arrived, timedOut]);
    } finally {
      // Nothing may outlive a failed request: no timer to reject later, unhandled.
      clearTimeout(timer);
      this.fullInfoWaiters = this.fullInfoWaiters.filter((waiter) => waiter !== arrivedNow);
    }
  }

  private onChannelClose(channel: EventChannel, reason: ChannelCloseReason): void {
    if (this.channel !== channel) return;
    this.channel = undefined;
    if (this.closed || reason === "closed") return;
    this.emit("connection", "reconnecting");
    if (reason === "expired") this.session = undefined;
    this.reconnector.schedule();
  }

  private reopenChannelSoon(): void {
    const old = this.channel;
    this.channel = undefined;
    old?.close();
    this.emit("connection", "reconnecting");
    this.reconnector.schedule();
  }

  private async reconnect(): Promise<void> {
    // No session: the channel said it expired and no request has renewed it since.
    if (!this.session) await this.renewSession();
    if (this.closed) return;
    await this.openChannel();
  }

  // --- MyInfo ---------------------------------------------------------------------------------

  private onPush(message: DecodedMessage): void {
    if (!isMessage(message, 201)) return;
    const before = this.myInfo;
    const full = message.message.action === ActionType.FULL_UPDATE;
    // A full send replaces what we had: after a reconnect, stale calls and devices must go.
    this.myInfo = applyMyInfoUpdate(full ? undefined : before, message.message);
    this.emitChanges(before, this.myInfo);
    if (full) for (const waiter of this.fullInfoWaiters.splice(0)) waiter();
  }

  private emitChanges(before: MyExtensionInfo | undefined, after: MyExtensionInfo): void {
    if (!before) return; // the first full send is the starting state, not a change
    const oldCalls = new Map((before.connections?.items ?? []).map((c) => [c.id, toDriverCall(c)]));
    for (const connection of after.connections?.items ?? []) {
      const call = toDriverCall(connection);
      const old = oldCalls.get(connection.id);
      oldCalls.delete(connection.id);
      if (!old) this.emit("call", { type: "created", call });
      else if (old.state !== call.state || old.number !== call.number) {
        this.emit("call", { type: "updated", call });
      }
    }
    for (const call of oldCalls.values()) {
      this.emit("call", { type: "ended", call: { ...call, state: "ended" } });
    }
    const oldDevices = new Map((before.activeDevices?.items ?? []).map((d) => [d.id, d]));
    for (const device of after.activeDevices?.items ?? []) {
      if (!oldDevices.delete(device.id)) {
        this.emit("device", { type: "registered", device: toDriverDevice(device) });
      }
    }
    for (const device of oldDevices.values()) {
      this.emit("device", { type: "unregistered", device: toDriverDevice(device) });
    }
  }
}

const CALL_STATES: Record<number, CallState> = {
  [ProtoCallState.NONE]: "dialing",
  [ProtoCallState.RINGING]: "ringing",
  [ProtoCallState.DIALING]: "dialing",
  [ProtoCallState.CONNECTED]: "connected",
  [ProtoCallState.WAITING_FOR_NEW_PARTY]: "transferring",
  [ProtoCallState.TRYING_TO_TRANSFER]: "transferring",
};

function toDriverCall(connection: LocalConnection): DriverCall {
  return {
    id: String(connection.id),
    state: CALL_STATES[connection.state] ?? "dialing",
    number: connection.otherPartyNumber || connection.otherPartyAltNumber,
    name: connection.otherPartyDisplayName || undefined,
    incoming: connection.isIncoming,
  };
}
