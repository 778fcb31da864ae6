// The dial3cx client: what the CLI, the handler and the gateway use. Parses dial strings, picks
// the device, places calls and follows them to their end, over whichever driver is connected:
// the web client, or the official Call Control API when an API client is configured.
//
// Entry of features/calls/, which owns placing and following calls: this client, the account and
// its session (account.ts), dial strings, devices, callee names, the dial dedupe and place-call.
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
import { ConfigError, NetworkError, ProtocolError } from "../../errors.js";
import { type DeviceRegistration, describeDevice, selectDevice } from "./devices.js";
import { type DialString, type DialStringOptions, parseDialString } from "./dialstring.js";

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
}

export interface CallInfo extends DriverCall {}

export interface ClientEvents {
  call: [{ type: CallChange; call: CallInfo }];
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
  return new Dial3cxClient(driver, options);
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
  };
}

/** How long `Call.wait` follows a call while the PBX cannot be reached. */
const WAIT_LOST_MS = 30_000;

/** How long makeCall waits for the PBX to show a placed call, when events flow. */
const IDENTIFY_WAIT_MS = 1000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export class Dial3cxClient extends EventEmitter<ClientEvents> {
  constructor(
    readonly driver: Driver,
    private readonly options: Pick<ConnectOptions, "dial" | "device"> = {},
  ) {
    super();
    // Every tracked Call listens for its own events; a busy gateway tracks many at once.
    this.setMaxListeners(0);
    driver.on("call", (event) => this.emit("call", event));
    driver.on("device", ({ type, device }) =>
      this.emit("device", { type, device: describeDevice(device) }),
    );
    driver.on("connection", (state) => this.emit("connection", state));
    driver.on("problem", (error) => this.emit("problem", error));
  }

  extension(): ExtensionInfo {
    return this.driver.extensionInfo();
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

  /** Hangs up every active call; resolves with the ids it hung up. */
  async hangupAll(): Promise<string[]> {
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
    const lostAfterMs = options.lostAfterMs ?? WAIT_LOST_MS;
    return new Promise((resolve, reject) => {
      let lostTimer: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(lostTimer);
        this.off("state", onState);
        this.client.off("connection", onConnection);
      };
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
        } else if (state === "closed") {
          lost("The connection to the PBX ended for good");
        } else {
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
