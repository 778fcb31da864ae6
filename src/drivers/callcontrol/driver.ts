// The 3CX V20 Call Control API driver (reference §10): one DN (the user's extension) controlled
// by an API client. Devices and participants come from `/callcontrol/{dn}`, calls are placed on a
// device (or on the DN) and dropped as participants, and `/callcontrol/ws` events are followed by
// fetching the entity they name. The socket reconnects with backoff and then re-reads the DN, so
// changes missed meanwhile still reach the listeners.
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
  EVENT_REMOVE,
  EVENT_UPSERT,
  type Participant,
  parseEntity,
  pick,
  readDevice,
  readDnState,
  readParticipant,
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
}

/** Ended participant ids remembered, so that a late upsert cannot bring a call back. */
const MAX_ENDED_IDS = 1000;

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

  /** `POST …/devices/{device_id}/makecall`, or `…/{dn}/makecall` without a device. */
  async makeCall(destination: string, device?: DriverDevice): Promise<void> {
    const dn = this.dnPath();
    const path = device
      ? `${dn}/devices/${encodeURIComponent(device.contact)}/makecall`
      : `${dn}/makecall`;
    const what = `the call to ${destination}`;
    let response: Awaited<ReturnType<CallControlApi["request"]>>;
    try {
      response = await this.api.request("POST", path, { destination });
    } catch (error) {
      throw callOutcome(error, what); // sent but unanswered: never sent again
    }
    if (response.status === 404 && device) {
      throw new DeviceNotFoundError(
        `The device ${device.contact} is not registered on extension ${this.options.extension} any more: run \`dial3cx devices\` and pick another.`,
      );
    }
    if (response.status >= 500) {
      const failed = serverFailed(response.status, what);
      failed.requestSent = serverFailureMaySucceed(response.status);
      throw callOutcome(failed, what);
    }
    const body = PbxHttp.json(response);
    const finalStatus = pick(body, "finalstatus");
    if (response.status !== 200 || (typeof finalStatus === "string" && finalStatus !== "Success")) {
      if (response.status !== 200 && response.status !== 422 && response.status !== 400) {
        throw await this.api.refusal(
          response,
          this.options.extension,
          `the call to ${destination}`,
        );
      }
      const text = reasonText(response);
      throw new RejectedError(
        `The PBX refused the call to ${destination}${text ? `: ${text}` : ` (HTTP ${response.status})`}.`,
        response.status,
        text,
      );
    }
    const participant = readParticipant(pick(body, "result"));
    if (!participant) return;
    this.outgoingIds.add(participant.id);
    // The answer is older than any GET that already showed the call: it only adds a new one.
    if (!this.callsById.has(participant.id)) this.upsertCall(participant);
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

  private upsertCall(participant: Participant): void {
    if (this.endedIds.has(participant.id)) return; // a late answer about a call that is over
    const call = this.toCall(participant);
    const old = this.callsById.get(call.id);
    this.callsById.set(call.id, call);
    this.updatedAt.set(call.id, ++this.updates);
    if (!old) this.emit("call", { type: "created", call });
    else if (old.state !== call.state || old.number !== call.number || old.name !== call.name) {
      this.emit("call", { type: "updated", call });
    }
  }

  private endCall(id: string, announce = true): void {
    const call = this.callsById.get(id);
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

  /** Opens the socket (a refused token is renewed once) and re-reads the DN behind it. */
  private async openSocket(): Promise<void> {
    const socket = await this.connectSocket();
    if (this.closed) {
      socket.close();
      return;
    }
    this.socket = socket;
    socket.on("event", (event) => {
      this.enqueue(() => this.onEvent(event)).catch((error: unknown) => {
        if (!this.closed) this.emit("problem", error as Error);
      });
    });
    socket.on("close", (reason) => this.onSocketClose(socket, reason));
    // The starting state; after a reconnect, what changed while the socket was down.
    const announce = this.hasState;
    try {
      await this.enqueue(async () => {
        const since = this.updates;
        this.applyState(await this.readDn(), announce, since);
      });
    } catch (error) {
      // Without the state the socket is no use: the next attempt opens a new one.
      this.socket = undefined;
      socket.close();
      throw error;
    }
    this.emit("connection", "open");
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

  private async onEvent(event: ControlEvent): Promise<void> {
    if (event.type !== EVENT_UPSERT && event.type !== EVENT_REMOVE) return; // DTMF, responses
    const ref = parseEntity(event.entity);
    if (!ref || ref.dn !== this.options.extension) return;
    if (event.type === EVENT_REMOVE) {
      if (ref.kind === "participant") this.endCall(ref.id);
      else this.removeDevice(ref.id);
      return;
    }
    const response = await this.api.request("GET", event.entity);
    if (response.status === 404) {
      // Gone before we asked: the remove event follows or was missed.
      if (ref.kind === "participant") this.endCall(ref.id);
      else this.removeDevice(ref.id);
      return;
    }
    if (response.status !== 200) {
      throw await this.api.refusal(response, this.options.extension, `GET ${event.entity}`);
    }
    const body = PbxHttp.json(response);
    if (ref.kind === "participant") {
      const participant = readParticipant(body);
      if (participant) this.upsertCall(participant);
    } else {
      const device = readDevice(body);
      if (device) this.upsertDevice(device);
    }
  }

  private onSocketClose(socket: EventSocket, reason: string): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    if (this.closed || reason === "closed") return;
    this.emit("connection", "reconnecting");
    this.reconnector.schedule();
  }
}
