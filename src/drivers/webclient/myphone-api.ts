// Requests to /MyPhone/MPWebService.asmx (reference §6): one GenericMessage per POST, one back.
// Tells an expired session (which may be re-created and the request re-sent: the PBX refused it)
// apart from a refusal of the request itself (RejectedError) and from failures to answer.

import { NetworkError, ProtocolError, RejectedError } from "../../errors.js";
import { type DecodedMessage, decodeMessage, isMessage } from "../../protocol/codec.js";
import type { ResponseAcknowledge } from "../../protocol/gen/myphone_pb.js";
import { ErrorCodes } from "../../protocol/gen/myphone_pb.js";
import type { PbxHttp } from "../http.js";
import { serverFailureMaySucceed } from "../outcome.js";

export const MYPHONE_PATH = "/MyPhone/MPWebService.asmx";

/** The PBX no longer knows the session: nothing was done, so the request may be sent again. */
export class SessionExpiredError extends Error {
  constructor() {
    super("The MyPhone session expired.");
  }
}

export interface PostOptions {
  sessionKey: string;
  /** Also send the bearer token (the seed script does; reference §12.7 says it is unknown whether V20 needs it). */
  bearer?: string;
}

export async function postMyPhone(
  http: PbxHttp,
  body: Uint8Array,
  options: PostOptions,
): Promise<DecodedMessage> {
  const headers: Record<string, string> = {
    "content-type": "application/octet-stream",
    accept: "application/octet-stream",
    myphonesession: options.sessionKey,
    pragma: "no-cache",
    "cache-control": "no-store",
  };
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  const response = await http.request("POST", MYPHONE_PATH, { headers, body });
  if (isSessionExpired(response.status, response.body)) throw new SessionExpiredError();
  if (response.status !== 200) {
    if (response.status >= 500) {
      const failed = new NetworkError(
        `The PBX failed to answer (HTTP ${response.status}). Try again later.`,
      );
      // Only 503 says the request was not taken on; another failure may come after its effect.
      failed.requestSent = serverFailureMaySucceed(response.status);
      throw failed;
    }
    throw new ProtocolError(`The PBX answered the request with HTTP ${response.status}.`);
  }
  return decodeMessage(response.body);
}

/** 401/403, or the text `Login is required` in any answer (reference §2, §12.5). */
function isSessionExpired(status: number, body: Buffer): boolean {
  if (status === 401 || status === 403) return true;
  return body.length < 4096 && body.includes("Login is required");
}

/** Throws RejectedError when the answer is an Ack with Success=false. */
export function assertAcknowledged(answer: DecodedMessage, what: string): void {
  if (!isMessage(answer, 207) || answer.message.success) return;
  throw rejection(answer.message, what);
}

export function rejection(ack: ResponseAcknowledge, what: string): RejectedError {
  const code = ack.errorType !== ErrorCodes.SUCCESS ? ack.errorType : ack.errorCode;
  const name = ErrorCodes[code] ?? String(code);
  const detail = ack.message || ack.exceptionMessage || "no reason given";
  return new RejectedError(`The PBX refused ${what}: ${detail} (${name}).`, code, ack.message);
}
