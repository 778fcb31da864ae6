// Typed errors shared by every layer. Each carries a stable machine code (used by `--json` and the
// gateway), the CLI exit code, and a one-line user-facing message that names the fix.

export type ErrorCode =
  | "usage"
  | "bad_number"
  | "config"
  | "not_logged_in"
  | "auth"
  | "two_factor_required"
  | "blocked"
  | "auth_failed"
  | "rejected"
  | "device_not_found"
  | "no_device"
  | "pbx_unreachable"
  | "tls"
  | "protocol"
  | "outcome_unknown";

/** CLI exit codes (issue #4): 2 input, 3 auth, 4 PBX refused, 5 network/TLS, 6 no device. */
export const EXIT_CODES: Record<ErrorCode, number> = {
  usage: 2,
  bad_number: 2,
  config: 2,
  not_logged_in: 3,
  auth: 3,
  two_factor_required: 3,
  blocked: 3,
  auth_failed: 3,
  rejected: 4,
  device_not_found: 4,
  no_device: 6,
  pbx_unreachable: 5,
  tls: 5,
  protocol: 5,
  outcome_unknown: 5,
};

export class Dial3cxError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
  toJSON(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** Malformed input from the user: a number, a URI, a flag. Nothing was sent. */
export class BadInputError extends Dial3cxError {
  constructor(message: string, code: "usage" | "bad_number" = "bad_number") {
    super(code, message);
  }
}

/** A config file or scenario that does not validate. */
export class ConfigError extends Dial3cxError {
  constructor(message: string) {
    super("config", message);
  }
}

export class NotLoggedInError extends Dial3cxError {
  constructor(message = "Not logged in: run `dial3cx login`.") {
    super("not_logged_in", message);
  }
}

/** The PBX rejected the credentials. Never retried: 3CX blocks addresses after failed logins. */
export class AuthError extends Dial3cxError {
  constructor(message: string, code: "auth" | "blocked" = "auth") {
    super(code, message);
  }
}

export class TwoFactorRequiredError extends Dial3cxError {
  constructor(
    message = "This extension needs a 2FA code: pass --code or run `dial3cx login` to be asked.",
  ) {
    super("two_factor_required", message);
  }
}

/** The PBX answered the request with a refusal (Ack with Success=false, or an HTTP refusal). */
export class RejectedError extends Dial3cxError {
  readonly pbxErrorCode: number | undefined;
  readonly pbxMessage: string | undefined;
  constructor(message: string, pbxErrorCode?: number, pbxMessage?: string) {
    super("rejected", message);
    this.pbxErrorCode = pbxErrorCode;
    this.pbxMessage = pbxMessage;
  }
}

export class DeviceNotFoundError extends Dial3cxError {
  constructor(message: string) {
    super("device_not_found", message);
  }
}

export class NoDeviceError extends Dial3cxError {
  constructor(
    message = "No device is registered on this extension: start your desk phone or 3CX app, then try again.",
  ) {
    super("no_device", message);
  }
}

export class NetworkError extends Dial3cxError {
  /**
   * The request had been written when the failure came (a time-out, a connection lost before
   * the answer): the PBX may have carried it out. False when nothing reached the PBX.
   */
  requestSent = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super("pbx_unreachable", message, options);
  }
}

export class TlsError extends Dial3cxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("tls", message, options);
  }
}

/** The PBX answered something this client cannot read. */
export class ProtocolError extends Dial3cxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("protocol", message, options);
  }
}

/**
 * An earlier login with these credentials was refused, so none is attempted now (3CX blocks the
 * whole address after repeated failures). Cleared when the password source yields a different
 * secret, or by an explicit retry (`dial3cx login`, a gateway reload, POST /v1/accounts/{ext}/retry).
 */
export class LoginRefusedError extends Dial3cxError {
  /** The refusal that put the account in this state. */
  readonly refusal: Error;
  readonly since: Date;
  constructor(message: string, refusal: Error, since: Date) {
    super("auth_failed", message, { cause: refusal });
    this.refusal = refusal;
    this.since = since;
  }
}

/** What to say when a request that places a call may or may not have been carried out. */
export const MAY_HAVE_BEEN_PLACED =
  "the call may have been placed; check your phone before trying again";

/**
 * The request was sent but its outcome is unknown (no answer in time, the connection was lost
 * after sending, or an answer that cannot be read). It must never be sent again automatically.
 */
export class OutcomeUnknownError extends Dial3cxError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super("outcome_unknown", `${reason}: ${MAY_HAVE_BEEN_PLACED}.`, options);
  }
}

/** A 5xx answer other than 503 (service unavailable) may come after the request was executed. */
export function serverFailureMaySucceed(status: number): boolean {
  return status >= 500 && status !== 503;
}
