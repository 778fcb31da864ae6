// The web client's path one step at a time, for `dial3cx doctor`: which login the PBX offers
// (told without credentials), one login, the MyPhone session, the event channel up to START, and
// RequestMyInfo for the registered devices. The steps reuse the driver's login, session, channel
// and MyPhone functions; failures with a known fix carry a problem tag (../probe.ts). A rejected
// login is never retried: 3CX blocks an address after repeated failures.
import { create } from "@bufbuild/protobuf";
import { NetworkError, ProtocolError } from "../../errors.js";
import { type DecodedMessage, encodeMessage, isMessage } from "../../protocol/codec.js";
import {
  ActionType,
  type MyExtensionInfo,
  RequestMyInfoSchema,
} from "../../protocol/gen/myphone_pb.js";
import type { DriverDevice } from "../driver.js";
import { PbxHttp } from "../http.js";
import { tagProblem } from "../probe.js";
import type { TlsTrust } from "../tls.js";
import { EventChannel, SessionExpiredOnOpen } from "./channel.js";
import type { WebClientSnapshot } from "./driver.js";
import {
  type Credentials,
  type LoginRequest,
  logIn,
  type MyPhoneSession,
  openMyPhoneSession,
  type PbxVersion,
  SessionRefusedError,
  V18_LOGIN,
  V20_LOGIN,
} from "./login.js";
import { postMyPhone } from "./myphone-api.js";
import { toDriverDevice } from "./registrations.js";

export interface DetectedVersion {
  version: PbxVersion;
  /** The login path that exists. */
  loginPath: string;
}

/** One doctor run's web-client state: each step needs the ones before it. Close it at the end. */
export class WebClientDiagnosis {
  private readonly http: PbxHttp;
  private credentials: Credentials | undefined;
  private session: MyPhoneSession | undefined;
  private channel: EventChannel | undefined;

  constructor(
    private readonly base: URL,
    private readonly trust: TlsTrust,
    private readonly timeoutMs: number,
  ) {
    this.http = new PbxHttp(base, trust, { timeoutMs });
  }

  /**
   * The 3CX version from which login exists, V20 first. Fails tagged pbx_failing on a 5xx, and
   * with a ProtocolError tagged not_3cx when neither does.
   */
  async detectVersion(): Promise<DetectedVersion> {
    if (await this.loginPathExists(V20_LOGIN)) return { version: 20, loginPath: V20_LOGIN };
    if (await this.loginPathExists(V18_LOGIN)) return { version: 18, loginPath: V18_LOGIN };
    const error = new ProtocolError(
      `${this.base.origin} has no 3CX web-client login (404 on the V20 and V18 login paths).`,
    );
    throw tagProblem(error, "not_3cx");
  }

  /**
   * A login request with an empty body: no user, no password, so no failed login to count [?].
   * 404: the path does not exist; 5xx: the PBX is failing; anything else: it exists.
   */
  private async loginPathExists(path: string): Promise<boolean> {
    const response = await this.http.request("POST", path, {
      headers: { "content-type": "application/json" },
      body: "",
    });
    if (response.status >= 500) {
      const error = new NetworkError(
        `The PBX answered HTTP ${response.status} to a request for ${path}: it is up but failing.`,
      );
      throw tagProblem(error, "pbx_failing");
    }
    return response.status !== 404;
  }

  /** The one login of the run (login.ts: never retried). */
  async logIn(request: LoginRequest): Promise<Credentials> {
    this.credentials = await logIn(this.http, request);
    return this.credentials;
  }

  /** A MyPhone session for the login. A refusal (401/403) is tagged session_refused. */
  async openSession(): Promise<void> {
    const credentials = required(this.credentials, "a login");
    try {
      this.session = await openMyPhoneSession(this.http, credentials);
    } catch (error) {
      if (!(error instanceof SessionRefusedError)) throw error;
      const refused = new ProtocolError(
        "The PBX refused a MyPhone session right after the login (HTTP 401/403).",
      );
      throw tagProblem(refused, "session_refused");
    }
  }

  /** Opens the event channel and waits for START. NOT AUTH is tagged channel_refused. */
  async openChannel(): Promise<void> {
    const session = required(this.session, "a MyPhone session");
    try {
      this.channel = await EventChannel.open({
        base: this.base,
        trust: this.trust,
        sessionKey: session.sessionKey,
        pass: session.pass,
        cookieHeader: this.http.cookieHeader() || undefined,
        startTimeoutMs: this.timeoutMs,
      });
    } catch (error) {
      if (!(error instanceof SessionExpiredOnOpen)) throw error;
      const refused = new ProtocolError(
        "The PBX refused the event channel (NOT AUTH) for the session it had just opened.",
      );
      throw tagProblem(refused, "channel_refused");
    }
  }

  /**
   * RequestMyInfo (102) and the registered devices from the full MyInfo, which arrives on the
   * channel (or, on some builds, as the answer). A channel that closes first is tagged
   * channel_closed.
   */
  async readDevices(): Promise<DriverDevice[]> {
    const session = required(this.session, "a MyPhone session");
    const channel = required(this.channel, "the event channel");
    if (!channel.isOpen) throw channelClosed();
    const waiting = waitForFullInfo(channel, this.timeoutMs);
    try {
      const request = encodeMessage(102, create(RequestMyInfoSchema));
      const answer = await postMyPhone(this.http, request, { sessionKey: session.sessionKey });
      const info = isMessage(answer, 201) ? answer.message : await waiting.arrived;
      return (info.activeDevices?.items ?? []).map(toDriverDevice);
    } finally {
      waiting.stop();
    }
  }

  /** This run's login and session, for a driver to resume instead of logging in again. */
  resumeSnapshot(): WebClientSnapshot {
    const credentials = required(this.credentials, "a login");
    const session = required(this.session, "a MyPhone session");
    return {
      pbxVersion: credentials.pbxVersion,
      sessionKey: session.sessionKey,
      pass: session.pass,
      accessToken: credentials.accessToken,
      accessTokenExpiresAt: credentials.accessTokenExpiresAt,
      cookies: Object.fromEntries(this.http.cookies),
      devices: [],
    };
  }

  async close(): Promise<void> {
    this.channel?.close();
    await this.http.close();
  }
}

function channelClosed(): NetworkError {
  const error = new NetworkError("The event channel closed before the device list arrived.");
  return tagProblem(error, "channel_closed");
}

/** The next full MyInfo (201, FULL_UPDATE) on the channel; `stop` drops the timer and listeners. */
function waitForFullInfo(
  channel: EventChannel,
  timeoutMs: number,
): { arrived: Promise<MyExtensionInfo>; stop: () => void } {
  let stop = () => {};
  const arrived = new Promise<MyExtensionInfo>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new ProtocolError("The PBX sent no MyInfo after RequestMyInfo (102).")),
      timeoutMs,
    );
    const onMessage = (message: DecodedMessage) => {
      if (!isMessage(message, 201) || message.message.action !== ActionType.FULL_UPDATE) return;
      resolve(message.message);
    };
    const onClose = () => reject(channelClosed());
    channel.on("message", onMessage);
    channel.once("close", onClose);
    stop = () => {
      clearTimeout(timer);
      channel.off("message", onMessage);
      channel.off("close", onClose);
    };
  });
  // Read only when the answer is not the MyInfo itself, or never when the request fails first.
  arrived.catch(() => undefined);
  return { arrived, stop };
}

/** A step's prerequisite; missing means the caller skipped a step, a bug rather than a PBX fault. */
function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`Diagnosis step called before ${what} existed.`);
  return value;
}
