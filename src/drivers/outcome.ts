// Requests that may have been carried out: a call request whose answer never came (time-out,
// connection lost after sending), came as a server failure, or cannot be read. Such a request is
// never sent again, and its failure is reported as an unknown outcome ("may have been placed"),
// not as a network error that invites a retry. Shared by both drivers.
import { Dial3cxError, NetworkError, OutcomeUnknownError, ProtocolError } from "../errors.js";
import { CodecError } from "../protocol/codec.js";

/** Marks a failure as coming from an answer that cannot be read (the request got through). */
export class UnreadableAnswer extends ProtocolError {}

/**
 * The error to report for a failed request that places a call: an OutcomeUnknownError when the
 * PBX may have carried it out, else the error itself (nothing reached the PBX, or it refused).
 */
export function callOutcome(error: unknown, what: string): unknown {
  if (!(error instanceof Dial3cxError)) return error;
  if (error instanceof NetworkError && error.requestSent) {
    return new OutcomeUnknownError(`No answer from the PBX to ${what} (${firstSentence(error)})`, {
      cause: error,
    });
  }
  if (error instanceof CodecError || error instanceof UnreadableAnswer) {
    return new OutcomeUnknownError(`Cannot read the PBX's answer to ${what}`, { cause: error });
  }
  return error;
}

function firstSentence(error: Error): string {
  const text = error.message.replace(/\.\s.*$/s, "").replace(/\.$/, "");
  return text.charAt(0).toLowerCase() + text.slice(1);
}

export { serverFailureMaySucceed } from "../errors.js";
