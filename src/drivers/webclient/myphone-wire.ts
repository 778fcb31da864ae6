// The MyPhone request for a warm call, without the schema registry: RequestMakeCall (119) written
// with protobuf-es's BinaryWriter, and the plain success Ack (207) read with its BinaryReader.
// Building the generated MyPhone schema costs a one-shot CLI call ~23 ms; these few fields cost
// nothing. The generated codec stays the one source of truth: myphone-wire.test.ts checks every
// byte against it for many destinations and devices (property test), and any answer that is not
// the plain success Ack is left to the generated codec (readAckSuccess gives undefined).
//
// Also the parts of a MyPhone POST that need no codec (path, headers, how an expired session and a
// failed answer look), shared with myphone-api.ts so both send and judge alike.
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { NetworkError, ProtocolError, serverFailureMaySucceed } from "../../errors.js";

export const MYPHONE_PATH = "/MyPhone/MPWebService.asmx";

const MAKE_CALL_ID = 119;
const ACK_ID = 207;

/** The headers of every MyPhone POST (reference §6). */
export function myPhoneHeaders(sessionKey: string, bearer?: string): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": "application/octet-stream",
    accept: "application/octet-stream",
    myphonesession: sessionKey,
    pragma: "no-cache",
    "cache-control": "no-store",
  };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  return headers;
}

/** 401/403, or the text `Login is required` in any answer (reference §2, §12.5). */
export function isSessionExpired(status: number, body: Uint8Array): boolean {
  if (status === 401 || status === 403) return true;
  return body.length < 4096 && Buffer.from(body).includes("Login is required");
}

/** Throws for an answer other than 200 (an expired session is told apart before this). */
export function assertMyPhoneStatus(status: number): void {
  if (status === 200) return;
  if (status >= 500) {
    const failed = new NetworkError(`The PBX failed to answer (HTTP ${status}). Try again later.`);
    // Only 503 says the request was not taken on; another failure may come after its effect.
    failed.requestSent = serverFailureMaySucceed(status);
    throw failed;
  }
  throw new ProtocolError(`The PBX answered the request with HTTP ${status}.`);
}

/**
 * GenericMessage{MessageId: 119, RequestMakeCall{destination, device_id}}: the bytes
 * `encodeMessage(119, create(RequestMakeCallSchema, { destination, deviceId }))` gives.
 */
export function encodeMakeCall(destination: string, deviceId?: string): Uint8Array {
  const payload = new BinaryWriter().tag(1, WireType.LengthDelimited).string(destination);
  if (deviceId !== undefined) payload.tag(3, WireType.LengthDelimited).string(deviceId);
  return new BinaryWriter()
    .tag(1, WireType.Varint)
    .int32(MAKE_CALL_ID)
    .tag(MAKE_CALL_ID, WireType.LengthDelimited)
    .bytes(payload.finish())
    .finish();
}

/** ResponseAcknowledge's fields (reference §8.10) and their wire types. */
const ACK_FIELDS = new Map<number, WireType>([
  [1, WireType.Varint], // Success
  [2, WireType.Varint], // ErrorCode
  [3, WireType.LengthDelimited], // Message
  [4, WireType.LengthDelimited], // ExceptionType
  [5, WireType.LengthDelimited], // ExceptionMessage
  [6, WireType.Varint], // ErrorType
  [7, WireType.LengthDelimited], // Parameter
]);

/**
 * True when the answer is plainly a ResponseAcknowledge saying success: an envelope of MessageId
 * 207 and its payload only, each of the Ack's fields at most once with its own wire type, texts
 * valid UTF-8, Success = 1 (3CX's own: Success, Message, ErrorType 0). Undefined for anything
 * else, well-formed or not: the generated codec then decides, as for any request.
 */
export function readAckSuccess(bytes: Uint8Array): true | undefined {
  try {
    const envelope = new BinaryReader(bytes);
    let id: number | undefined;
    let payload: Uint8Array | undefined;
    while (envelope.pos < envelope.len) {
      const [no, wireType] = envelope.tag();
      if (no === 1 && wireType === WireType.Varint && id === undefined) id = envelope.int32();
      else if (no === ACK_ID && wireType === WireType.LengthDelimited && payload === undefined)
        payload = envelope.bytes();
      else return undefined;
    }
    if (id !== ACK_ID || payload === undefined) return undefined;
    const ack = new BinaryReader(payload);
    let success: bigint | undefined;
    const seen = new Set<number>();
    while (ack.pos < ack.len) {
      const [no, wireType] = ack.tag();
      if (ACK_FIELDS.get(no) !== wireType || seen.has(no)) return undefined;
      seen.add(no);
      if (no === 1) success = BigInt(ack.uint64());
      else if (wireType === WireType.Varint) ack.uint64();
      else ack.string(true); // throws on invalid UTF-8
    }
    return success === 1n ? true : undefined;
  } catch {
    return undefined;
  }
}
