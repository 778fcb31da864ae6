// Tolerant reader of the PBX's call history answer, CallHistory (204) to RequestCallHistory (106).
// Every field number here is [R] (reference §8.9: a reconstruction nobody verified on a live PBX),
// so this reads the raw protobuf by hand instead of through the schema: a field with another wire
// type than expected, an unknown field, or a record without the expected parts is skipped, never
// fatal. Choices where §8.9 is silent (all [?], pinned by call-history.test.ts):
// - One entry per record, from the first party that has a number or a kind; records without one
//   are dropped. Field 5 is the number, field 8 its fallback.
// - Field 3 present in any wire type means "answered"; when it is a DateTime it is the answer time.
// - DateTime (§8.12) is read as UTC (EasyIsland's assumption; the time zone is not stated).
// - Kind (field 14): 1 missed, 2 received, 3 outgoing; other values read as "unknown".
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

export type HistoryKind = "missed" | "received" | "outgoing" | "unknown";

export interface HistoryRecord {
  kind: HistoryKind;
  /** The other party's number as the PBX shows it (may be `anonymous`, empty or a SIP URI). */
  number: string;
  name?: string;
  startedAt?: Date;
  answered: boolean;
  answeredAt?: Date;
}

/** CallType of RequestCallHistory (106) [R]: 0 all calls, 1 missed calls only. */
export const HISTORY_CALL_TYPE = { all: 0, missed: 1 } as const;

const KINDS: Record<number, HistoryKind> = { 1: "missed", 2: "received", 3: "outgoing" };

interface RawField {
  no: number;
  wireType: WireType;
  /** Varint value, or the bytes of a length-delimited field. */
  value: bigint | Uint8Array | undefined;
}

/** The records of a 204 payload (the bytes inside the GenericMessage's field 204). */
export function readCallHistory(payload: Uint8Array): HistoryRecord[] {
  const records: HistoryRecord[] = [];
  for (const field of fields(payload)) {
    if (field.no !== 1 || !(field.value instanceof Uint8Array)) continue;
    const record = readRecord(field.value);
    if (record) records.push(record);
  }
  return records;
}

function readRecord(bytes: Uint8Array): HistoryRecord | undefined {
  for (const field of fields(bytes)) {
    if (field.no !== 3 || !(field.value instanceof Uint8Array)) continue;
    for (const item of fields(field.value)) {
      if (item.no !== 1 || !(item.value instanceof Uint8Array)) continue;
      const party = readParty(item.value);
      if (party) return party;
    }
  }
  return undefined;
}

function readParty(bytes: Uint8Array): HistoryRecord | undefined {
  let number: string | undefined;
  let altNumber: string | undefined;
  let name: string | undefined;
  let kindValue: number | undefined;
  let startedAt: Date | undefined;
  let answered = false;
  let answeredAt: Date | undefined;
  for (const field of fields(bytes)) {
    const { no, value } = field;
    if (no === 2 && value instanceof Uint8Array) startedAt = readDateTime(value);
    else if (no === 3) {
      answered = true;
      if (value instanceof Uint8Array) answeredAt = readDateTime(value);
    } else if (no === 5 && value instanceof Uint8Array) number = text(value);
    else if (no === 8 && value instanceof Uint8Array) altNumber = text(value);
    else if (no === 7 && value instanceof Uint8Array) name = text(value);
    else if (no === 14 && typeof value === "bigint") kindValue = Number(BigInt.asIntN(32, value));
  }
  if (number === undefined && altNumber === undefined && kindValue === undefined) return undefined;
  const record: HistoryRecord = {
    kind: (kindValue !== undefined && KINDS[kindValue]) || "unknown",
    number: number || altNumber || "",
    answered,
  };
  if (name) record.name = name;
  if (startedAt) record.startedAt = startedAt;
  if (answeredAt) record.answeredAt = answeredAt;
  return record;
}

/** DateTime (§8.12): 1 year … 6 second, varints. Undefined unless it makes a valid date. */
function readDateTime(bytes: Uint8Array): Date | undefined {
  const parts: number[] = [0, 0, 0, 0, 0, 0, 0];
  for (const field of fields(bytes)) {
    if (field.no >= 1 && field.no <= 6 && typeof field.value === "bigint") {
      parts[field.no] = Number(BigInt.asIntN(32, field.value));
    }
  }
  const [, year, month, day, hour, minute, second] = parts as [number, ...number[]];
  if (!year || !month || !day) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(ms);
  return Number.isNaN(ms) || date.getUTCMonth() !== month - 1 ? undefined : date;
}

function text(bytes: Uint8Array): string {
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes);
}

/** The top-level fields of a message; stops quietly at the first unreadable byte. */
function fields(bytes: Uint8Array): RawField[] {
  const reader = new BinaryReader(bytes);
  const out: RawField[] = [];
  try {
    while (reader.pos < reader.len) {
      const [no, wireType] = reader.tag();
      if (wireType === WireType.Varint) out.push({ no, wireType, value: BigInt(reader.uint64()) });
      else if (wireType === WireType.LengthDelimited)
        out.push({ no, wireType, value: reader.bytes() });
      else {
        reader.skip(wireType, no);
        out.push({ no, wireType, value: undefined });
      }
    }
  } catch {
    // A truncated or garbled tail: keep what was read before it.
  }
  return out;
}
