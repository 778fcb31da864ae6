// The tolerant reader of CallHistory (204): what the simulator sends, and the shapes a real PBX
// might send instead (fields [R], reference §8.9), each pinned: wrong wire types, unknown fields,
// extra parties, a truncated tail, an impossible date.
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import { callHistory } from "../sim/replies.js";
import { readCallHistory } from "./call-history.js";
import { decodeEnvelope } from "./codec.js";

function payloadOf(bytes: Uint8Array): Uint8Array {
  const { id, payload } = decodeEnvelope(bytes);
  expect(id).toBe(204);
  return payload;
}

/** A 204 payload with one record holding the given party bytes. */
function oneRecord(...parties: Uint8Array[]): Uint8Array {
  const list = new BinaryWriter();
  for (const party of parties) list.tag(1, WireType.LengthDelimited).bytes(party);
  const record = new BinaryWriter().tag(3, WireType.LengthDelimited).bytes(list.finish()).finish();
  return new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(record).finish();
}

function dateTime(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): Uint8Array {
  const w = new BinaryWriter();
  for (const [i, value] of [y, mo, d, h, mi, s].entries()) {
    w.tag(i + 1, WireType.Varint).int32(value);
  }
  return w.finish();
}

describe("readCallHistory", () => {
  it("reads what the simulator sends: kind, number, name, start and answer time", () => {
    const start = Date.UTC(2026, 11, 5, 9, 30, 0);
    const bytes = callHistory([
      {
        kind: "missed",
        number: "anonymous",
        otherPartyName: undefined,
        createdAt: start,
        connectedAt: null,
        endedAt: start + 20_000,
      },
      {
        kind: "received",
        number: "+44 20 7946 0958",
        otherPartyName: "Charles Babbage",
        createdAt: start - 60_000,
        connectedAt: start - 55_000,
        endedAt: start,
      },
    ]);
    expect(readCallHistory(payloadOf(bytes))).toEqual([
      { kind: "missed", number: "anonymous", answered: false, startedAt: new Date(start) },
      {
        kind: "received",
        number: "+44 20 7946 0958",
        name: "Charles Babbage",
        answered: true,
        startedAt: new Date(start - 60_000),
        answeredAt: new Date(start - 55_000),
      },
    ]);
  });

  it("skips fields with another wire type and unknown fields instead of failing", () => {
    const party = new BinaryWriter()
      .tag(2, WireType.Varint)
      .int32(1_700_000_000) // a timestamp as a number: not a DateTime, ignored
      .tag(3, WireType.Varint)
      .bool(true) // answered as a flag: still "answered"
      .tag(5, WireType.Varint)
      .int32(5) // number as a varint: ignored, field 8 used instead
      .tag(8, WireType.LengthDelimited)
      .string("0301234567")
      .tag(14, WireType.LengthDelimited)
      .string("2") // kind as text: ignored
      .tag(99, WireType.Bit32)
      .fixed32(7)
      .finish();
    expect(readCallHistory(oneRecord(party))).toEqual([
      { kind: "unknown", number: "0301234567", answered: true },
    ]);
  });

  it("takes the first party with a number or kind; drops records without one", () => {
    const empty = new BinaryWriter().tag(7, WireType.LengthDelimited).string("Nobody").finish();
    const first = new BinaryWriter()
      .tag(5, WireType.LengthDelimited)
      .string("101")
      .tag(14, WireType.Varint)
      .int32(3)
      .finish();
    const second = new BinaryWriter().tag(5, WireType.LengthDelimited).string("102").finish();
    const payload = Buffer.concat([oneRecord(empty), oneRecord(empty, first, second)]);
    expect(readCallHistory(payload)).toEqual([
      { kind: "outgoing", number: "101", answered: false },
    ]);
  });

  it("keeps the records before a truncated tail and ignores an impossible date", () => {
    const party = new BinaryWriter()
      .tag(2, WireType.LengthDelimited)
      .bytes(dateTime(2026, 2, 30, 10))
      .tag(5, WireType.LengthDelimited)
      .string("+49 30 123456")
      .tag(14, WireType.Varint)
      .int32(1)
      .finish();
    const whole = oneRecord(party);
    const payload = Buffer.concat([whole, whole.subarray(0, whole.length - 3)]);
    expect(readCallHistory(payload)).toEqual([
      { kind: "missed", number: "+49 30 123456", answered: false },
    ]);
  });

  it("reads DateTime as UTC", () => {
    const party = new BinaryWriter()
      .tag(2, WireType.LengthDelimited)
      .bytes(dateTime(2026, 12, 5, 23, 59, 58))
      .tag(14, WireType.Varint)
      .int32(2)
      .finish();
    expect(readCallHistory(oneRecord(party))[0]?.startedAt?.toISOString()).toBe(
      "2026-12-05T23:59:58.000Z",
    );
  });
});
