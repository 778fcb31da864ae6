// Requests to /MyPhone/MPWebService.asmx (reference §6): one GenericMessage per POST, one back.
// Tells an expired session (which may be re-created and the request re-sent: the PBX refused it)
// apart from a refusal of the request itself (RejectedError) and from failures to answer.

import { RejectedError } from "../../errors.js";
import { type DecodedMessage, decodeMessage, isMessage } from "../../protocol/codec.js";
import type { ResponseAcknowledge } from "../../protocol/gen/myphone_pb.js";
import { ErrorCodes } from "../../protocol/gen/myphone_pb.js";
import type { PbxHttp } from "../http.js";
import {
  assertMyPhoneStatus,
  isSessionExpired,
  MYPHONE_PATH,
  myPhoneHeaders,
} from "./myphone-wire.js";

export { MYPHONE_PATH } from "./myphone-wire.js";

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
  return decodeMessage(await postMyPhoneBytes(http, body, options));
}

/** As postMyPhone, but the answer's bytes, undecoded (for tolerant readers). */
export async function postMyPhoneBytes(
  http: PbxHttp,
  body: Uint8Array,
  options: PostOptions,
): Promise<Uint8Array> {
  const headers = myPhoneHeaders(options.sessionKey, options.bearer);
  const response = await http.request("POST", MYPHONE_PATH, { headers, body });
  if (isSessionExpired(response.status, response.body)) throw new SessionExpiredError();
  assertMyPhoneStatus(response.status);
  return response.body;
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
