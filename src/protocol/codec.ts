// GenericMessage codec: bytes <-> {id, message}. The envelope is field 1 (MessageId) plus one
// length-delimited payload in the field numbered like the id (reference §6). Payloads of known ids
// are decoded with the schema; unknown ids stay raw bytes; unknown fields survive a round trip.
import { clone, type DescMessage, fromBinary, type Message, toBinary } from "@bufbuild/protobuf";
import { type ReflectMessage, reflect } from "@bufbuild/protobuf/reflect";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { FeatureSet_FieldPresence } from "@bufbuild/protobuf/wkt";
import { ProtocolError } from "../errors.js";
import { type KnownMessageId, type MessageTypes, payloadSchemas } from "./messages.js";

export type CodecErrorKind =
  | "truncated"
  | "bad_wire_type"
  | "missing_id"
  | "missing_payload"
  | "invalid_payload";

/** Bytes that are not a well-formed GenericMessage. */
export class CodecError extends ProtocolError {
  readonly kind: CodecErrorKind;
  constructor(kind: CodecErrorKind, detail: string, options?: { cause?: unknown }) {
    super(`The PBX sent a message this client cannot read (${kind}: ${detail}).`, options);
    this.kind = kind;
  }
}

export type KnownMessage = {
  [K in KnownMessageId]: { id: K; message: MessageTypes[K] };
}[KnownMessageId];

/** A message whose id has no modelled payload: kept as the payload's raw bytes. */
export interface RawMessage {
  id: number;
  raw: Uint8Array;
}

/** Envelope fields other than the id and the payload, kept verbatim (tag and value) to write back. */
export type DecodedMessage = (KnownMessage | RawMessage) & { envelopeExtras?: Uint8Array };

export function isRaw(decoded: DecodedMessage): decoded is RawMessage {
  return "raw" in decoded;
}

/** Narrows a decoded message to one id, e.g. `isMessage(d, 207)`. */
export function isMessage<K extends KnownMessageId>(
  decoded: DecodedMessage,
  id: K,
): decoded is Extract<KnownMessage, { id: K }> & { envelopeExtras?: Uint8Array } {
  return decoded.id === id && !isRaw(decoded);
}

/** Encodes a known payload. Required proto2 fields are always written, zero if unset, as 3CX does. */
export function encodeMessage<K extends KnownMessageId>(
  id: K,
  message: MessageTypes[K],
): Uint8Array {
  const schema = payloadSchemas.get(id)!;
  if (message.$typeName !== schema.typeName) {
    throw new TypeError(`message id ${id} carries ${schema.typeName}, not ${message.$typeName}`);
  }
  return encodeRaw(id, toBinary(schema, withRequiredFields(schema, message)));
}

/** Encodes an already-serialised payload under an id (used for ids without a modelled type). */
export function encodeRaw(
  id: number,
  payload: Uint8Array,
  envelopeExtras?: Uint8Array,
): Uint8Array {
  // Field 1 is the id itself, so no payload can travel under id 1 or below.
  if (!Number.isInteger(id) || id < 2 || id > 536_870_911)
    throw new RangeError(`bad message id ${id}`);
  const writer = new BinaryWriter();
  writer.tag(1, WireType.Varint).int32(id);
  writer.tag(id, WireType.LengthDelimited).bytes(payload);
  if (envelopeExtras) writer.raw(envelopeExtras);
  return writer.finish();
}

/** Writes a decoded message back; decode(encodeDecoded(d)) equals d. */
export function encodeDecoded(decoded: DecodedMessage): Uint8Array {
  if (isRaw(decoded)) return encodeRaw(decoded.id, decoded.raw, decoded.envelopeExtras);
  const schema = payloadSchemas.get(decoded.id)!;
  const payload = toBinary(schema, withRequiredFields(schema, decoded.message));
  return encodeRaw(decoded.id, payload, decoded.envelopeExtras);
}

export function decodeMessage(bytes: Uint8Array): DecodedMessage {
  const { id, payload, extras } = readEnvelope(bytes);
  const schema = payloadSchemas.get(id);
  const envelope = extras.length > 0 ? { envelopeExtras: concat(extras) } : {};
  if (!schema) return { id, raw: payload, ...envelope };
  try {
    return { id, message: fromBinary(schema, payload), ...envelope } as DecodedMessage;
  } catch (error) {
    throw toCodecError(error, `payload of message ${id}`);
  }
}

/**
 * The id and the raw payload bytes, without decoding the payload: for answers whose fields are
 * too uncertain for the schema (call history 204, read by call-history.ts).
 */
export function decodeEnvelope(bytes: Uint8Array): { id: number; payload: Uint8Array } {
  const { id, payload } = readEnvelope(bytes);
  return { id, payload };
}

interface Envelope {
  id: number;
  payload: Uint8Array;
  extras: Uint8Array[];
}

function readEnvelope(bytes: Uint8Array): Envelope {
  const fields = readTopLevelFields(bytes);
  const idField = fields.find((f) => f.no === 1);
  if (!idField) throw new CodecError("missing_id", "no MessageId (field 1)");
  if (idField.wireType !== WireType.Varint) {
    throw new CodecError("bad_wire_type", `MessageId has wire type ${idField.wireType}`);
  }
  const id = new BinaryReader(idField.value).int32();
  const payloadField = fields.find((f) => f.no === id);
  if (!payloadField) throw new CodecError("missing_payload", `no payload field ${id}`);
  if (payloadField.wireType !== WireType.LengthDelimited) {
    throw new CodecError(
      "bad_wire_type",
      `payload field ${id} has wire type ${payloadField.wireType}`,
    );
  }
  const extras = fields.filter((f) => f !== idField && f !== payloadField).map((f) => f.encoded);
  return { id, payload: new BinaryReader(payloadField.value).bytes(), extras };
}

interface TopLevelField {
  no: number;
  wireType: WireType;
  /** The field's value bytes (for length-delimited: with the length prefix). */
  value: Uint8Array;
  /** Tag and value, exactly as received. */
  encoded: Uint8Array;
}

function readTopLevelFields(bytes: Uint8Array): TopLevelField[] {
  const reader = new BinaryReader(bytes);
  const fields: TopLevelField[] = [];
  try {
    while (reader.pos < reader.len) {
      const start = reader.pos;
      const [no, wireType] = reader.tag();
      if (no < 1) throw new CodecError("bad_wire_type", `field number ${no}`);
      const valueStart = reader.pos;
      reader.skip(wireType, no);
      fields.push({
        no,
        wireType,
        value: bytes.subarray(valueStart, reader.pos),
        encoded: bytes.subarray(start, reader.pos),
      });
    }
  } catch (error) {
    throw toCodecError(error, "envelope");
  }
  return fields;
}

function toCodecError(error: unknown, where: string): CodecError {
  if (error instanceof CodecError) return error;
  const text = error instanceof Error ? error.message : String(error);
  if (/premature EOF|out of range|invalid varint|too long/i.test(text)) {
    return new CodecError("truncated", `${where}: ${text}`, { cause: error });
  }
  if (/wire ?type/i.test(text)) {
    return new CodecError("bad_wire_type", `${where}: ${text}`, { cause: error });
  }
  return new CodecError("invalid_payload", `${where}: ${text}`, { cause: error });
}

/** A copy of `message` with every unset required field set to its zero value, recursively. */
export function withRequiredFields<T extends Message>(schema: DescMessage, message: T): T {
  const copy = clone(schema, message) as T;
  fillRequired(reflect(schema, copy));
  return copy;
}

function fillRequired(message: ReflectMessage): void {
  for (const field of message.fields) {
    if (field.fieldKind === "scalar" || field.fieldKind === "enum") {
      // proto2 defaults of our required fields are all zero; get() returns that default.
      if (field.presence === REQUIRED && !message.isSet(field))
        message.set(field, message.get(field));
    } else if (field.fieldKind === "message") {
      if (message.isSet(field)) fillRequired(message.get(field));
    } else if (field.fieldKind === "list" && field.listKind === "message") {
      for (const item of message.get(field)) fillRequired(item as ReflectMessage);
    }
  }
}

const REQUIRED = FeatureSet_FieldPresence.LEGACY_REQUIRED;

function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}
