// Golden byte-for-byte tests from reference §6, §8.10 and §9, plus property tests.
import { create, equals } from "@bufbuild/protobuf";
import { fc, test as fcTest } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  CodecError,
  decodeMessage,
  encodeDecoded,
  encodeMessage,
  encodeRaw,
  isMessage,
  isRaw,
} from "./codec.js";
import {
  ActionType,
  ErrorCodes,
  MyExtensionInfoSchema,
  RegistrationSchema,
  RequestDropCallSchema,
  RequestMakeCallSchema,
} from "./gen/myphone_pb.js";
import { payloadSchemas } from "./messages.js";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const fromHex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ""), "hex"));
const ascii = (text: string) => Buffer.from(text, "latin1").toString("hex");

describe("seed start-up requests (§9.1)", () => {
  const startup: Array<[string, number, string]> = [
    ["08 7a d2 07 00", 122, "empty"],
    ["08 66 b2 06 00", 102, "empty"],
    ["08 83 01 9a 08 00", 131, "empty"],
    ["08 f4 03 a2 1f 00", 500, "raw empty"],
    ["08 68 c2 06 0e 10 00 18 01 20 00 40 00 48 00 50 00 58 20", 104, "lookup"],
    ["08 80 01 82 08 02 08 04", 128, "raw {1:4}"],
    ["08 a5 01 aa 0a 00", 165, "raw empty"],
  ];

  it.each(startup)("%s decodes to id %i and re-encodes to the same bytes", (bytes, id) => {
    const decoded = decodeMessage(fromHex(bytes));
    expect(decoded.id).toBe(id);
    expect(hex(encodeDecoded(decoded))).toBe(hex(fromHex(bytes)));
  });

  it("keeps unmodelled ids as raw payloads", () => {
    const d500 = decodeMessage(fromHex("08 f4 03 a2 1f 00"));
    const d128 = decodeMessage(fromHex("08 80 01 82 08 02 08 04"));
    expect(isRaw(d500) && d500.raw.length).toBe(0);
    expect(isRaw(d128) && hex(d128.raw)).toBe("0804");
  });

  it("decodes the 104 lookup payload {2:0, 3:1, 4:0, 8:0, 9:0, 10:0, 11:32}", () => {
    const d = decodeMessage(fromHex("08 68 c2 06 0e 10 00 18 01 20 00 40 00 48 00 50 00 58 20"));
    if (!isMessage(d, 104)) throw new Error("not a lookup");
    expect(d.message).toMatchObject({
      offset: 0,
      count: 1,
      extIncluded: false,
      unknown8: 0,
      searchCompany: false,
      searchPersonal: false,
      unknown11: 32,
    });
  });

  it("decodes the empty 102 RequestMyInfo, 122 and 131 as typed messages", () => {
    for (const bytes of ["08 66 b2 06 00", "08 7a d2 07 00", "08 83 01 9a 08 00"]) {
      expect(isRaw(decodeMessage(fromHex(bytes)))).toBe(false);
    }
  });
});

describe("MakeCall (§9.3)", () => {
  const contact = "sip:101@192.168.178.20:5062;rinstance=a1";
  const golden = `08 77 ba 07 38 0a 0c ${ascii("004930123456")} 1a 28 ${ascii(contact)}`;

  it("encodes the worked example to exactly 61 bytes", () => {
    const bytes = encodeMessage(
      119,
      create(RequestMakeCallSchema, { destination: "004930123456", deviceId: contact }),
    );
    expect(bytes.length).toBe(61);
    expect(hex(bytes)).toBe(hex(fromHex(golden)));
  });

  it("encodes the EnableCallControl variant to 63 bytes", () => {
    const bytes = encodeMessage(
      119,
      create(RequestMakeCallSchema, {
        destination: "004930123456",
        deviceId: contact,
        enableCallControl: true,
      }),
    );
    const expected = `08 77 ba 07 3a 0a 0c ${ascii("004930123456")} 1a 28 ${ascii(contact)} 20 01`;
    expect(bytes.length).toBe(63);
    expect(hex(bytes)).toBe(hex(fromHex(expected)));
  });
});

describe("MyInfo push, Ack and DropCall", () => {
  it("decodes the seed-compatible MyInfo push of §9.3", () => {
    const contact = "sip:101@192.168.178.20:5062;rinstance=a1";
    const push = fromHex(
      `08 c9 01 ca 0c 64 08 01 10 05 1a 03 ${ascii("101")} 4a 59 08 01 12 55
       08 02 10 07 1a 28 ${ascii(contact)} 22 13 ${ascii("192.168.178.20:5062")}
       2a 10 ${ascii("Yealink SIP-T46S")}`,
    );
    const d = decodeMessage(push);
    if (!isMessage(d, 201)) throw new Error("not MyInfo");
    expect(d.message.action).toBe(ActionType.FULL_UPDATE);
    expect(d.message.id).toBe(5);
    expect(d.message.number).toBe("101");
    expect(d.message.activeDevices?.action).toBe(ActionType.FULL_UPDATE);
    const [device] = d.message.activeDevices?.items ?? [];
    expect(device).toMatchObject({
      action: ActionType.INSERTED,
      id: 7,
      contact,
      sourceAddress: "192.168.178.20:5062",
      userAgent: "Yealink SIP-T46S",
    });
    expect(hex(encodeDecoded(d))).toBe(hex(push));
  });

  it("decodes the live Ack of §8.10", () => {
    const message = "Request has been successfully processed";
    const ack = fromHex(`08 cf 01 fa 0c 2d 08 01 1a 27 ${ascii(message)} 30 00`);
    const d = decodeMessage(ack);
    if (!isMessage(d, 207)) throw new Error("not an Ack");
    expect(d.message.success).toBe(true);
    expect(d.message.message).toBe(message);
    expect(d.message.errorType).toBe(ErrorCodes.SUCCESS);
    expect(hex(encodeDecoded(d))).toBe(hex(ack));
  });

  it("encodes DropCall of connection 50 with IsLocal", () => {
    const bytes = encodeMessage(
      115,
      create(RequestDropCallSchema, { localConnectionId: 50, isLocal: true }),
    );
    expect(hex(bytes)).toBe("08739a0704083210 01".replace(/ /g, ""));
  });
});

describe("required fields and unknown fields", () => {
  it("always writes required proto2 fields, zero included", () => {
    const ack = encodeMessage(207, create(payloadSchemas.get(207)!) as never);
    expect(hex(ack)).toBe("08cf01fa0c020800");
    const info = create(MyExtensionInfoSchema, {
      activeDevices: { items: [create(RegistrationSchema, { contact: "sip:x" })] },
    } as never);
    const d = decodeMessage(encodeMessage(201, info));
    if (!isMessage(d, 201)) throw new Error("not MyInfo");
    expect(hex(encodeDecoded(d))).toContain("08001000"); // Registration action 0, id 0
  });

  it("does not mutate the message it encodes", () => {
    const info = create(MyExtensionInfoSchema, { number: "100" } as never);
    encodeMessage(201, info);
    expect(Object.hasOwn(info, "action")).toBe(false);
  });

  it("preserves unknown payload fields and envelope extras", () => {
    // MyInfo with unknown field 4 (varint 9) and unknown field 21 (string "x"), envelope field 2.
    const payload = "08 01 10 05 20 09 aa 01 01 78";
    const len = fromHex(payload).length.toString(16).padStart(2, "0");
    const bytes = fromHex(`08 c9 01 ca 0c ${len} ${payload} 10 07`);
    const d = decodeMessage(bytes);
    expect(hex(encodeDecoded(d))).toBe(hex(bytes));
  });

  it("round-trips a MyInfo longer than 127 bytes (20 devices, long contacts)", () => {
    const items = Array.from({ length: 20 }, (_, i) =>
      create(RegistrationSchema, {
        action: ActionType.INSERTED,
        id: i + 1,
        contact: `sip:100@10.0.${i}.20:5062;rinstance=${"abcdef0123456789".repeat(3)}${i}`,
        sourceAddress: `10.0.${i}.20:5062`,
        userAgent: "Yealink SIP-T46S 66.86.0.15",
      }),
    );
    const info = create(MyExtensionInfoSchema, {
      action: ActionType.FULL_UPDATE,
      id: 5,
      number: "100",
      activeDevices: { action: ActionType.FULL_UPDATE, items },
    });
    const bytes = encodeMessage(201, info);
    expect(bytes.length).toBeGreaterThan(2000);
    const d = decodeMessage(bytes);
    if (!isMessage(d, 201)) throw new Error("not MyInfo");
    expect(equals(MyExtensionInfoSchema, d.message, info)).toBe(true);
    expect(d.message.activeDevices?.items[19]?.contact).toBe(items[19]?.contact);
  });
});

describe("typed errors", () => {
  const cases: Array<[string, string]> = [
    ["08 77 ba 07 38 0a", "truncated"],
    ["08", "truncated"],
    ["12 00", "missing_id"],
    ["0a 00", "bad_wire_type"],
    ["08 77", "missing_payload"],
    ["08 77 12 00", "missing_payload"],
    ["08 66 b0 06 00", "bad_wire_type"],
    ["0d 00 00 00 00 12 00", "bad_wire_type"],
    ["08 77 ba 07 01 0f", "bad_wire_type"],
    ["08 77 ba 07 02 0a 05", "truncated"],
  ];
  it.each(cases)("%s is a CodecError (%s)", (bytes, kind) => {
    let caught: unknown;
    try {
      decodeMessage(fromHex(bytes));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CodecError);
    expect((caught as CodecError).kind).toBe(kind);
    expect((caught as CodecError).code).toBe("protocol");
  });
});

describe("properties", () => {
  const registration = fc.record({
    action: fc.constantFrom(0, 1, 2, 3, 4),
    id: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    contact: fc.string({ maxLength: 200 }),
    userAgent: fc.string(),
  });
  const myInfo = fc.record({
    action: fc.constantFrom(0, 1, 2, 3, 4),
    id: fc.integer({ min: 0, max: 100_000 }),
    number: fc.string({ maxLength: 10 }),
    firstName: fc.string(),
    dnd: fc.boolean(),
    missedCallsCount: fc.integer({ min: 0, max: 1000 }),
    devices: fc.array(registration, { maxLength: 25 }),
  });

  fcTest.prop([myInfo])("decode(encode(x)) equals x for MyInfo", (fields) => {
    const { devices, ...rest } = fields;
    const info = create(MyExtensionInfoSchema, {
      ...rest,
      activeDevices: { action: ActionType.FULL_UPDATE, items: devices },
    });
    const d = decodeMessage(encodeMessage(201, info));
    expect(isMessage(d, 201) && equals(MyExtensionInfoSchema, d.message, info)).toBe(true);
  });

  fcTest.prop([
    fc.record({ destination: fc.string(), deviceId: fc.string(), enableCallControl: fc.boolean() }),
  ])("decode(encode(x)) equals x for MakeCall", (fields) => {
    const call = create(RequestMakeCallSchema, fields);
    const d = decodeMessage(encodeMessage(119, call));
    expect(isMessage(d, 119) && equals(RequestMakeCallSchema, d.message, call)).toBe(true);
  });

  fcTest.prop([fc.integer({ min: 2, max: 100_000 }), fc.uint8Array({ maxLength: 300 })])(
    "raw payloads of any id round-trip",
    (id, payload) => {
      const bytes = encodeRaw(id, payload);
      const d = decodeMessage(bytes);
      expect(d.id).toBe(id);
      expect(hex(encodeDecoded(d))).toBe(hex(bytes));
    },
  );

  const anyBytes = fc.oneof(
    fc.uint8Array({ maxLength: 256 }),
    // Valid envelopes of known ids with random payloads reach the schema decoder.
    fc
      .tuple(fc.constantFrom(...payloadSchemas.keys()), fc.uint8Array({ maxLength: 120 }))
      .map(([id, payload]) => encodeRaw(id, payload)),
  );
  fcTest.prop([anyBytes], { numRuns: 12_000 })(
    "arbitrary bytes decode or throw CodecError, nothing else",
    (bytes) => {
      try {
        decodeMessage(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(CodecError);
      }
    },
  );
});
