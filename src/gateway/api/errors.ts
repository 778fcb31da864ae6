// The gateway API's error mapping: the CLI's error codes to HTTP statuses, the refusals the
// gateway decides itself (ApiProblem), and the one place an error becomes a JSON error answer.
//
// Status choices: bad_number and usage 400; device_not_found 422 (the request names a device
// that is not there, or several); rejected 422 (the PBX refused this call: retrying the same
// request will not help); no_device 409 (nothing registered right now); auth, blocked, auth_failed,
// two_factor_required, not_logged_in 502 (the gateway's own PBX login failed, not the API
// client's token); tls and protocol 502; pbx_unreachable 503 (nothing was carried out);
// outcome_unknown 504 (the call may have been placed: never a status that invites a retry);
// config 500. An aborted request (the client went away) is logged at debug level only.
import { HTTPException } from "hono/http-exception";
import type { Logger } from "pino";
import { Dial3cxError, type ErrorCode } from "../../errors.js";
import { errorResponse } from "../security.js";

export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  usage: 400,
  bad_number: 400,
  config: 500,
  not_logged_in: 502,
  auth: 502,
  two_factor_required: 502,
  blocked: 502,
  auth_failed: 502,
  rejected: 422,
  device_not_found: 422,
  no_device: 409,
  pbx_unreachable: 503,
  tls: 502,
  protocol: 502,
  outcome_unknown: 504,
};

/** A refusal decided by the gateway itself (not the PBX). */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function errorFor(error: Error, logger: Logger): Response {
  // The client went away mid-request: nothing to answer, nothing wrong with the gateway.
  if (isAbort(error)) {
    logger.debug({ reason: error.message }, "request aborted");
    return errorResponse(400, "usage", "The request was aborted.");
  }
  if (error instanceof ApiProblem) {
    return errorResponse(error.status, error.code, error.message, error.headers);
  }
  if (error instanceof Dial3cxError) {
    return errorResponse(STATUS_BY_CODE[error.code], error.code, error.message);
  }
  if (error instanceof HTTPException && error.status < 500) {
    return errorResponse(
      error.status,
      error.status === 413 ? "payload_too_large" : "usage",
      error.message,
    );
  }
  logger.error({ err: error }, "internal error");
  return errorResponse(500, "internal", "Internal error: the gateway's log has the details.");
}

function isAbort(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return (
    error.name === "AbortError" ||
    error.message === "aborted" ||
    code === "ECONNRESET" ||
    code === "ERR_STREAM_PREMATURE_CLOSE"
  );
}
