// The 3CX V20 Call Control API driver (reference §10): one DN (the user's extension) controlled
// by an API client. Devices and participants come from `/callcontrol/{dn}`, calls are placed on a
// device (or on the DN) and dropped as participants, and `/callcontrol/ws` events are followed by
// fetching the entity they name. The socket reconnects with backoff and then re-reads the DN, so
// changes missed meanwhile still reach the listeners.
//
// As live PBXs behave (§10.1): a makecall answer without `result.id` is a failure; repeated Upsets
// are coalesced (one GET in flight per participant, repeats after an unchanged answer folded into
// one re-check a little later); a participant whose own GET answers 403 is read from the list; a
// 404 on a device path re-reads the devices once; a new token reopens the event socket with it;
// and a leg whose makecall was still in flight when the calls were hung up is dropped on arrival.
// What the PBX showed of these is kept in `observations()` for `dial3cx doctor`.
import { EventEmitter } from "node:events";
import { DeviceNotFoundError, ProtocolError, RejectedError } from "../../errors.js";
import type { Driver, DriverCall, DriverDevice, DriverEvents, ExtensionInfo } from "../driver.js";
import { PbxHttp, parsePbxUrl } from "../http.js";
import type { LoginRefusal } from "../login-refusal.js";
import { callOutcome, serverFailureMaySucceed } from "../outcome.js";
import { Reconnector } from "../reconnect.js";
import { resolveTlsTrust, type TlsOptions, type TlsTrust } from "../tls.js";
import { type ApiKeySource, CallControlApi, reasonText, serverFailed } from "./api.js";
import { EventSocket, EventSocketRefused } from "./events.js";
import {
  type ControlEvent,
  type DnState,
  type EntityRef,
  EVENT_REMOVE,
  EVENT_UPSERT,
  type Participant,
  parseEntity,
  pick,
  readDevice,
  readDevices,
  readDnState,
  readFinalStatus,
  readParticipant,
  readParticipants,
  toDriverCall,
} from "./model.js";

export interface CallControlOptions {
  pbx: string;
  /** The DN to control: the user's extension, monitored by the API client. */
  extension: string;
  /** Client ID of the API client (Admin Console → Integrations → API). */
  clientId: string;
  /** Its API key (a secret: from the keyring or the environment, never argv). */
  apiKey: ApiKeySource;
  tls?: TlsOptions;
  /** Follow `/callcontrol/ws` (default true). Without it, state is read once at connect. */
  events?: boolean;
  timeoutMs?: number;
  /** Websocket ping interval; a missing pong by the next ping counts as a dead socket. */
  pingIntervalMs?: number;
  onRequest?: (info: { method: string; path: string; status: number; ms: number }) => void;
  /** Debug lines (e.g. a frame of an unknown shape, once per shape). */
  onDebug?: (line: string) => void;
  /**
   * After a participant GET that showed nothing new, further Upsets of that participant within
   * this time are folded into one GET at its end (default 2000 ms). 3CX repeats the Upset of a
   * ringing participant every ~750 ms (§10.1 item 1); a change is seen at most this late.
   */
  upsetRecheckMs?: number;
}

/** What this PBX showed of the behaviours the driver copes with (reference §10, §10.1). */
export interface CallControlObservations {
  /** Upset events received, and participant GETs they caused (after coalescing). */
  upsets: number;
  participantGets: number;
  /** Event frames in 3CX's wrapped form, in the bare form, and of unknown shapes. */
  wrappedEvents: number;
  unwrappedEvents: number;
  unknownFrames: number;
  /** Per-participant GETs answered 403 (read from the list instead). */
  participant403: number;
  /** makecall answers without `result.id` (failures, whatever the HTTP status). */
  makeCallWithoutResult: number;
  /** Device paths answered 404 (stale device ids, devices re-read). */
  staleDevice404: number;
  /** Legs dropped because the calls were hung up while their makecall was in flight. */
  cancelledMakeCalls: number;
  /** Event sockets reopened because the token was renewed. */
  socketTokenSwaps: number;
}

/** Ended participant ids remembered, so that a late upsert cannot bring a call back. */
const MAX_ENDED_IDS = 1000;
const DEFAULT_UPSET_RECHECK_MS = 2000;

/** Coalescing state of one participant's GETs. */
interface ParticipantFetch {
  entity: string;
  ref: EntityRef;
  running: boolean;
  again: boolean;
  lastAt: number;
  /** GETs in a row that showed nothing new. */
  unchanged: number;
  timer: NodeJS.Timeout | undefined;
}

/** A makecall whose answer has not come yet; `cancelled` once the calls were hung up. */
interface PendingMakeCall {
  cancelled: boolean;
}

export class CallControlDriver extends EventEmitter<DriverEvents> implements Driver {
  readonly kind = "callcontrol" as const;
  private readonly callsById = new Map<string, DriverCall>();
  private readonly devicesById = new Map<string, DriverDevice>();
  private readonly outgoingIds = new Set<string>();
  private readonly endedIds = new Set<string>();
  private socket: EventSocket | undefined;
  /** Events, re-reads and call results are applied one at a time, in arrival order. */
  private queue: Promise<void> = Promise.resolve();
  private readonly reconnector = new Reconnector(() => this.openSocket(), this);
  /** After the first full read, later reads announce what changed. */
  private hasState = false;
  /** A counter of call updates, and when each call was last updated: a full read that started
   *  before a call was added must not end it. */
  private updates = 0;
  private readonly updatedAt = new Map<string, number>();
  private closed = false;
  private readonly fetches = new Map<string, ParticipantFetch>();
  /** Participants whose own GET answered 403: read from the list. */
  private readonly listOnly = new Set<string>();
  private readonly pendingMakeCalls = new Set<PendingMakeCall>();
  private readonly unknownShapes = new Set<string>();
  private readonly seen: CallControlObservations = {
    upsets: 0,
    participantGets: 0,
    wrappedEvents: 0,
    unwrappedEvents: 0,
    unknownFrames: 0,
    participant403: 0,
    makeCallWithoutResult: 0,
    staleDevice404: 0,
    cancelledMakeCalls: 0,
    socketTokenSwaps: 0,
  };
  private stopTokenListener: (() => void) | undefined;
  private swapping: Promise<void> | undefined;
  private renewTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly options: CallControlOptions,
    readonly api: CallControlApi,
    private readonly trust: TlsTrust,
  ) {
    super();
  }

  static async connect(options: CallControlOptions): Promise<CallControlDriver> {
    const base = parsePbxUrl(options.pbx);
    const trust = await resolveTlsTrust(base, options.tls);
    const http = new PbxHttp(base, trust, {
      timeoutMs: options.timeoutMs,
      onRequest: options.onRequest,
    });
    const api = new CallControlApi(http, { clientId: options.clientId, apiKey: options.apiKey });
    const driver = new CallControlDriver(options, api, trust);
    driver.stopTokenListener = api.onNewToken((token) => driver.onNewToken(token));
    try {
      await api.validToken();
      // With events, the socket opens before the first read, so that no change falls between.
      if (options.events !== false) await driver.openSocket();
      else driver.applyState(await driver.readDn(), false, 0);
    } catch (error) {
      await driver.close();
      throw error;
    }
    return driver;
  }

  get clientId(): string {
    return this.options.clientId;
  }

  extensionInfo(): ExtensionInfo {
    return { extension: this.options.extension };
  }

  followsEvents(): boolean {
    return this.socket !== undefined;
  }

  devices(): DriverDevice[] {
    return [...this.devicesById.values()];
  }

  calls(): DriverCall[] {
    return [...this.callsById.values()];
  }

  /** What the PBX showed so far (see CallControlObservations). */
  observations(): CallControlObservations {
    return { ...this.seen };
  }

  /**
   * `POST …/devices/{device_id}/makecall`, or `…/{dn}/makecall` without a device. A 404 on the
   * device path means a stale device id (the phone registered again): the devices are re-read
   * once and the call goes to the same phone under its new id (the 404 was a refusal, nothing
   * was placed). Success is a 2xx answer with `result.id`, never the HTTP status alone.
   */
  async makeCall(destination: string, device?: DriverDevice): Promise<void> {
    const attempt: PendingMakeCall = { cancelled: false };
    this.pendingMakeCalls.add(attempt);
    try {
      await this.placeCall(destination, device, attempt);
    } finally {
      this.pendingMakeCalls.delete(attempt);
    }
  }

  /**
   * Marks the makecalls still in flight as hung up: the leg each creates is dropped as soon as
   * its id is known (a hang-up does not stop a makecall on 3CX: pocket-dial #379). Returns how
   * many there were.
   */
  cancelPendingCalls(): number {
    for (const attempt of this.pendingMakeCalls) attempt.cancelled = true;
    return this.pendingMakeCalls.size;
  }

  private async placeCall(
    destination: string,
    device: DriverDevice | undefined,
    attempt: PendingMakeCall,
  ): Promise<void> {
    let response = await this.postMakeCall(destination, device);
    if (response.status === 404 && device) {
      this.seen.staleDevice404++;
      const same = await this.sameDeviceAfterReread(device);
      if (!same) throw this.deviceGone(device);
      response = await this.postMakeCall(destination, same);
      if (response.status === 404) throw this.deviceGone(same);
    }
    const what = `the call to ${destination}`;
    if (response.status >= 500) {
      const failed = serverFailed(response.status, what);
      failed.requestSent = serverFailureMaySucceed(response.status);
      throw callOutcome(failed, what);
    }
    const body = PbxHttp.json(response);
    const participant = readParticipant(pick(body, "result"));
    const finalStatus = readFinalStatus(pick(body, "finalstatus"));
    const ok = response.status >= 200 && response.status < 300;
    if (ok && participant && finalStatus !== "failed" && finalStatus !== "rejected") {
      await this.placed(participant, attempt);
      return;
    }
    if (!participant) this.seen.makeCallWithoutResult++;
    const text = reasonText(response);
    if (!ok && !text && response.status !== 400 && response.status !== 422) {
      throw await this.api.refusal(response, this.options.extension, what);
    }
    throw new RejectedError(
      `The PBX refused the call to ${destination}${text ? `: ${text}` : ` (HTTP ${response.status}, no call in the answer)`}.`,
      response.status,
      text,
    );
  }

  private async postMakeCall(destination: string, device: DriverDevice | undefined) {
    const dn = this.dnPath();
    const path = device
      ? `${dn}/devices/${encodeURIComponent(device.contact)}/makecall`
      : `${dn}/makecall`;
    try {
      return await this.api.request("POST", path, { destination });
    } catch (error) {
      throw callOutcome(error, `the call to ${destination}`); // sent but unanswered: never again
    }
  }

  /** After a 404 on a device path: the devices anew, and the one that is the same phone. */
  private async sameDeviceAfterReread(stale: DriverDevice): Promise<DriverDevice | undefined> {
    const devices = readDevices(
      await this.api.getJson(`${this.dnPath()}/devices`, this.options.extension),
    );
    const current = new Set(devices.map((d) => d.id));
    for (const id of [...this.devicesById.keys()]) if (!current.has(id)) this.removeDevice(id);
    for (const device of devices) this.upsertDevice(device);
    const exact = devices.find((d) => d.contact === stale.contact);
    if (exact) return exact;
    // The same phone registers again under a new contact (e.g. a new rinstance): same address
    // part and user agent, and only one such device.
    const key = (d: DriverDevice) => `${d.contact.split(";")[0]}|${d.userAgent ?? ""}`;
    const matches = devices.filter((d) => key(d) === key(stale));
    return matches.length === 1 ? matches[0] : undefined;
  }

  private deviceGone(device: DriverDevice): DeviceNotFoundError {
    return new DeviceNotFoundError(
      `The device ${device.contact} is not registered on extension ${this.options.extension} any more: run \`dial3cx devices\` and pick another.`,
    );
  }

  private async placed(participant: Participant, attempt: PendingMakeCall): Promise<void> {
    this.outgoingIds.add(participant.id);
    // The answer is older than any GET that already showed the call: it only adds a new one.
    if (!this.callsById.has(participant.id)) this.upsertCall(participant);
    if (!attempt.cancelled) return;
    // Hung up while the makecall was in flight: the leg must not be left ringing.
    this.seen.cancelledMakeCalls++;
    if (this.endedIds.has(participant.id)) return;
    await this.hangup(participant.id).catch((error: unknown) => {
      if (!(error instanceof RejectedError && error.pbxErrorCode === 404)) throw error;
      this.endCall(participant.id);
    });
  }

  /** Drops our participant of the call: `POST …/participants/{id}/drop`. */
  async hangup(callId: string): Promise<void> {
    const path = `${this.dnPath()}/participants/${encodeURIComponent(callId)}/drop`;
    const response = await this.api.request("POST", path, {});
    if (response.status === 404) {
      throw new RejectedError(
        `There is no call ${callId} on extension ${this.options.extension} (it may have ended already).`,
        404,
      );
    }
    if (response.status !== 200 && response.status !== 202 && response.status !== 204) {
      throw await this.api.refusal(response, this.options.extension, `to hang up call ${callId}`);
    }
    this.endCall(callId);
  }

  /** Why no token is requested, while the PBX's refusal of the API key blocks new requests. */
  loginRefused(): LoginRefusal | undefined {
    return this.api.loginRefused();
  }

  /** Allows a new token request after a refusal and, with events, reopens the socket now. */
  async retryLogin(): Promise<void> {
    this.api.clearRefusal();
    if (this.closed) return;
    await this.api.validToken();
    if (this.options.events !== false && !this.socket) await this.openSocket();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reconnector.stop();
    this.stopTokenListener?.();
    clearTimeout(this.renewTimer);
    for (const fetch of this.fetches.values()) clearTimeout(fetch.timer);
    this.fetches.clear();
    this.socket?.close();
    this.socket = undefined;
    await this.api.http.close();
  }

  // --- state ----------------------------------------------------------------------------------

  private dnPath(): string {
    return `/callcontrol/${encodeURIComponent(this.options.extension)}`;
  }

  private async readDn(): Promise<DnState> {
    return readDnState(await this.api.getJson(this.dnPath(), this.options.extension));
  }

  /**
   * Replaces what we know by a full read. `announce`: tell the listeners what changed (after a
   * reconnect); the first read is the starting state, not a change.
   */
  private applyState(state: DnState, announce: boolean, readSince: number): void {
    this.hasState = true;
    const seen = new Set<string>();
    for (const participant of state.participants) {
      seen.add(participant.id);
      if (announce) this.upsertCall(participant);
      else this.callsById.set(participant.id, this.toCall(participant));
    }
    for (const id of [...this.callsById.keys()]) {
      const newer = (this.updatedAt.get(id) ?? 0) > readSince;
      if (!seen.has(id) && !newer) this.endCall(id, announce);
    }
    const devices = new Set(state.devices.map((d) => d.id));
    for (const [id, device] of this.devicesById) {
      if (devices.has(id)) continue;
      this.devicesById.delete(id);
      if (announce) this.emit("device", { type: "unregistered", device });
    }
    for (const device of state.devices) this.upsertDevice(device, announce);
  }

  private toCall(participant: Participant): DriverCall {
    const outgoing = this.outgoingIds.has(participant.id);
    return toDriverCall(participant, this.options.extension, outgoing);
  }

  /** Applies what the PBX showed of a participant; true when that was news. */
  private upsertCall(participant: Participant): boolean {
    if (this.endedIds.has(participant.id)) return false; // a late answer about a call that is over
    const call = this.toCall(participant);
    const old = this.callsById.get(call.id);
    this.callsById.set(call.id, call);
    this.updatedAt.set(call.id, ++this.updates);
    if (!old) this.emit("call", { type: "created", call });
    else if (old.state !== call.state || old.number !== call.number || old.name !== call.name) {
      this.emit("call", { type: "updated", call });
    } else return false;
    return true;
  }

  private endCall(id: string, announce = true): void {
    const call = this.callsById.get(id);
    const fetch = this.fetches.get(id);
    if (fetch) clearTimeout(fetch.timer);
    this.fetches.delete(id);
    this.listOnly.delete(id);
    this.endedIds.add(id);
    if (this.endedIds.size > MAX_ENDED_IDS) {
      this.endedIds.delete(this.endedIds.values().next().value!);
    }
    this.outgoingIds.delete(id);
    this.updatedAt.delete(id);
    if (!call) return;
    this.callsById.delete(id);
    if (announce) this.emit("call", { type: "ended", call: { ...call, state: "ended" } });
  }

  private upsertDevice(device: DriverDevice, announce = true): void {
    const known = this.devicesById.has(device.id);
    this.devicesById.set(device.id, device);
    if (!known && announce) this.emit("device", { type: "registered", device });
  }

  private removeDevice(id: string): void {
    const device = this.devicesById.get(id);
    if (!device) return;
    this.devicesById.delete(id);
    this.emit("device", { type: "unregistered", device });
  }

  /** Runs `task` after everything queued before it; the caller handles its failure. */
  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  // --- events ---------------------------------------------------------------------------------

  /**
   * Opens the socket (a refused token is renewed once) and re-reads the DN behind it. `swap`: it
   * replaces an open socket after a token renewal; the listeners hear of no reconnect.
   */
  private async openSocket(swap = false): Promise<void> {
    const socket = await this.connectSocket();
    if (this.closed) {
      socket.close();
      return;
    }
    const previous = this.socket;
    this.socket = socket;
    previous?.close();
    socket.on("event", (event) => this.onEvent(event));
    socket.on("unknown", (shape) => this.onUnknownFrame(shape));
    socket.on("close", (reason) => this.onSocketClose(socket, reason));
    this.scheduleRenewal();
    // The starting state; after a reconnect, what changed while the socket was down.
    const announce = this.hasState;
    try {
      await this.enqueue(async () => {
        const since = this.updates;
        this.applyState(await this.readDn(), announce, since);
      });
    } catch (error) {
      // Without the state the socket is no use: the next attempt opens a new one.
      if (this.socket === socket) this.socket = undefined;
      socket.close();
      throw error;
    }
    if (!swap) this.emit("connection", "open");
  }

  /** 3CX revokes the old token with each new one: the socket moves to the new token at once. */
  private onNewToken(token: string): void {
    if (this.closed || !this.socket || this.socket.token === token) return;
    this.swapSocket();
  }

  private swapSocket(): void {
    if (this.swapping || this.closed) return;
    this.seen.socketTokenSwaps++;
    this.swapping = this.openSocket(true)
      .catch(() => {
        // The new socket failed: the usual reconnect with backoff takes over.
        if (this.closed) return;
        this.socket?.close();
        this.socket = undefined;
        this.emit("connection", "reconnecting");
        this.reconnector.schedule();
      })
      .finally(() => {
        this.swapping = undefined;
      });
  }

  /** Renews the token shortly before it is due, so that the socket never runs on a dead one. */
  private scheduleRenewal(): void {
    clearTimeout(this.renewTimer);
    const at = this.api.renewsAt();
    if (at === undefined || !Number.isFinite(at)) return;
    const delayMs = Math.min(Math.max(at - Date.now(), 1000), 2 ** 31 - 1);
    this.renewTimer = setTimeout(() => {
      if (!this.closed) this.api.validToken().catch(() => undefined);
    }, delayMs);
    this.renewTimer.unref();
  }

  private onUnknownFrame(shape: string): void {
    this.seen.unknownFrames++;
    if (this.unknownShapes.has(shape) || this.unknownShapes.size >= 50) return;
    this.unknownShapes.add(shape);
    this.options.onDebug?.(`Call Control event socket: a frame of an unknown shape, ${shape}`);
  }

  private async connectSocket(): Promise<EventSocket> {
    const open = (token: string) =>
      EventSocket.open({
        base: this.api.http.base,
        trust: this.trust,
        token,
        timeoutMs: this.options.timeoutMs,
        pingIntervalMs: this.options.pingIntervalMs,
      });
    const token = await this.api.validToken();
    try {
      return await open(token);
    } catch (error) {
      if (!(error instanceof EventSocketRefused)) throw error;
      if (error.status === 401) return this.retrySocket(open, await this.api.tokenAfter(token));
      throw await this.socketRefusal(error.status);
    }
  }

  private async retrySocket(
    open: (token: string) => Promise<EventSocket>,
    token: string,
  ): Promise<EventSocket> {
    try {
      return await open(token);
    } catch (error) {
      if (error instanceof EventSocketRefused) throw await this.socketRefusal(error.status);
      throw error;
    }
  }

  private async socketRefusal(status: number): Promise<Error> {
    if (status === 403) return this.api.explainForbidden(this.options.extension);
    if (status >= 500) return serverFailed(status, "the Call Control event socket");
    return new ProtocolError(`The PBX refused the Call Control event socket (HTTP ${status}).`);
  }

  private onEvent(event: ControlEvent): void {
    if (event.shape === "wrapped") this.seen.wrappedEvents++;
    else this.seen.unwrappedEvents++;
    if (event.type !== EVENT_UPSERT && event.type !== EVENT_REMOVE) return; // DTMF, responses
    const ref = parseEntity(event.entity);
    if (!ref || ref.dn !== this.options.extension) return;
    if (event.type === EVENT_REMOVE) {
      this.run(async () => {
        if (ref.kind === "participant") this.endCall(ref.id);
        else this.removeDevice(ref.id);
      });
      return;
    }
    if (ref.kind === "device") {
      this.run(() => this.fetchDevice(event.entity, ref.id));
      return;
    }
    this.seen.upsets++;
    this.requestParticipant(event.entity, ref);
  }

  /** Queues `task` after everything before it; a failure is reported as a problem. */
  private run(task: () => Promise<void>): Promise<void> {
    return this.enqueue(task).catch((error: unknown) => {
      if (!this.closed) this.emit("problem", error as Error);
    });
  }

  /**
   * An Upset of a participant: one GET in flight per participant; Upsets meanwhile make one
   * re-check after it; after two answers in a row that showed nothing new, the re-check waits
   * until `upsetRecheckMs` after the last (3CX repeats Upsets every ~750 ms while a call rings).
   */
  private requestParticipant(entity: string, ref: EntityRef): void {
    if (this.endedIds.has(ref.id)) return;
    let fetch = this.fetches.get(ref.id);
    if (!fetch) {
      fetch = {
        entity,
        ref,
        running: false,
        again: false,
        lastAt: 0,
        unchanged: 0,
        timer: undefined,
      };
      this.fetches.set(ref.id, fetch);
    }
    if (fetch.running || fetch.timer) {
      fetch.again = true;
      return;
    }
    this.startFetch(fetch);
  }

  private startFetch(fetch: ParticipantFetch): void {
    const recheckMs = this.options.upsetRecheckMs ?? DEFAULT_UPSET_RECHECK_MS;
    // One answer without news may just have confirmed the makecall's own result: only from the
    // second in a row on are the Upsets taken for repeats.
    const waitMs = fetch.unchanged >= 2 ? fetch.lastAt + recheckMs - Date.now() : 0;
    if (waitMs > 0) {
      fetch.timer = setTimeout(() => {
        fetch.timer = undefined;
        if (!this.closed) void this.runFetch(fetch);
      }, waitMs);
      fetch.timer.unref();
      return;
    }
    void this.runFetch(fetch);
  }

  private async runFetch(fetch: ParticipantFetch): Promise<void> {
    fetch.running = true;
    fetch.again = false;
    let news = true;
    await this.run(async () => {
      news = await this.fetchParticipant(fetch.entity, fetch.ref.id);
    });
    fetch.running = false;
    fetch.lastAt = Date.now();
    fetch.unchanged = news ? 0 : fetch.unchanged + 1;
    const id = fetch.ref.id;
    if (this.closed || this.fetches.get(id) !== fetch) return;
    if (fetch.again) this.startFetch(fetch);
    else if (!this.callsById.has(id)) this.fetches.delete(id);
  }

  /** GETs a participant (from the list when its own GET is refused); true when it was news. */
  private async fetchParticipant(entity: string, id: string): Promise<boolean> {
    if (this.endedIds.has(id)) return false;
    if (!this.listOnly.has(id)) {
      this.seen.participantGets++;
      const response = await this.api.request("GET", entity);
      if (response.status === 200) {
        const participant = readParticipant(PbxHttp.json(response));
        return participant ? this.upsertCall(participant) : false;
      }
      if (response.status === 404) {
        // Gone before we asked: the remove event follows or was missed.
        this.endCall(id);
        return true;
      }
      if (response.status !== 403) {
        throw await this.api.refusal(response, this.options.extension, `GET ${entity}`);
      }
      // A leg the DN does not control (pocket-dial #40): the list shows it.
      this.seen.participant403++;
      this.listOnly.add(id);
    }
    this.seen.participantGets++;
    const list = readParticipants(
      await this.api.getJson(`${this.dnPath()}/participants`, this.options.extension),
    );
    const participant = list.find((p) => p.id === id);
    if (!participant) {
      this.endCall(id);
      return true;
    }
    return this.upsertCall(participant);
  }

  private async fetchDevice(entity: string, id: string): Promise<void> {
    const response = await this.api.request("GET", entity);
    if (response.status === 404) {
      this.removeDevice(id);
      return;
    }
    if (response.status !== 200) {
      throw await this.api.refusal(response, this.options.extension, `GET ${entity}`);
    }
    const device = readDevice(PbxHttp.json(response));
    if (device) this.upsertDevice(device);
  }

  private onSocketClose(socket: EventSocket, reason: string): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    if (this.closed || reason === "closed") return;
    // Closed because its token was replaced (3CX revokes it at once): reopen with the new one
    // straight away, never again with the stale bearer (pocket-dial #336).
    const current = this.api.currentToken();
    if (current !== undefined && current !== socket.token && !this.swapping) {
      this.socket = socket; // swapSocket replaces it
      this.swapSocket();
      return;
    }
    if (this.swapping) return;
    this.emit("connection", "reconnecting");
    this.reconnector.schedule();
  }
}
