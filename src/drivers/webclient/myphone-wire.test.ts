// The hand-written MakeCall and Ack against the generated codec, byte for byte (property tests):
// the warm path's wire format can never drift from the one source of truth.
import { create } from "@bufbuild/protobuf";
import { fc, test as fcTest } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { decodeMessage, encodeMessage, encodeRaw, isMessage } from "../../protocol/codec.js";
import {
  ErrorCodes,
  RequestMakeCallSchema,
  ResponseAcknowledgeSchema,
} from "../../protocol/gen/myphone_pb.js";
import { encodeMakeCall, isSessionExpired, readAckSuccess } from "./myphone-wire.js";

/** What users dial: digits, *, #, a leading + (and, for robustness, any text at all). */
const destination = fc.oneof(
  fc.stringMatching(/^\+?[0-9*#]{1,32}$/),
  fc.string({ maxLength: 64 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
);
/** SIP contacts as 3CX lists them, and any text. */
const deviceId = fc.option(
  fc.oneof(
    fc
      .tuple(fc.integer({ min: 10, max: 999_999 }), fc.ipV4(), fc.integer({ min: 1, max: 65535 }))
      .map(([ext, ip, port]) => `sip:${ext}@${ip}:${port};rinstance=${ext.toString(16)}`),
    fc.string({ unit: "grapheme", maxLength: 300 }),
  ),
  { nil: undefined },
);

describe("encodeMakeCall", () => {
  fcTest.prop([destination, deviceId], { numRuns: 500 })(
    "writes exactly what the generated codec writes",
    (to, device) => {
      const generated = encodeMessage(
        119,
        create(RequestMakeCallSchema, {
          destination: to,
          ...(device === undefined ? {} : { deviceId: device }),
        }),
      );
      expect(Buffer.from(encodeMakeCall(to, device))).toEqual(Buffer.from(generated));
    },
  );

  it("is the golden bytes for a simple call", () => {
    // 08 77 | ba 07 len | 0a 03 "101" | 1a 08 "sip:x@y"
    expect(Buffer.from(encodeMakeCall("101", "sip:x@y")).toString("hex")).toBe(
      "0877ba070e0a033130311a077369703a784079",
    );
  });
});

describe("readAckSuccess", () => {
  const ack = fc.record(
    {
      success: fc.boolean(),
      errorCode: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      message: fc.string({ maxLength: 40 }),
      exceptionType: fc.string({ maxLength: 20 }),
      exceptionMessage: fc.string({ unit: "grapheme", maxLength: 20 }),
      errorType: fc.constantFrom(
        ...Object.values(ErrorCodes).filter((v): v is number => typeof v === "number"),
      ),
      parameter: fc.string({ maxLength: 20 }),
    },
    { requiredKeys: ["success"] },
  );

  fcTest.prop([ack], { numRuns: 500 })(
    "says success only where the generated codec reads a successful Ack",
    (fields) => {
      const bytes = encodeMessage(207, create(ResponseAcknowledgeSchema, fields));
      const decoded = decodeMessage(bytes);
      const generatedSuccess = isMessage(decoded, 207) && decoded.message.success;
      const fast = readAckSuccess(bytes);
      if (fast === true) expect(generatedSuccess).toBe(true);
      // A success Ack (3CX's: Success, Message, ErrorType 0) is always read without the codec.
      if (fields.success) expect(fast).toBe(true);
      if (!fields.success) expect(fast).toBeUndefined();
    },
  );

  fcTest.prop([fc.uint8Array({ maxLength: 64 })], { numRuns: 1000 })(
    "never says success for bytes the codec does not read as a successful Ack",
    (bytes) => {
      if (readAckSuccess(bytes) !== true) return;
      const decoded = decodeMessage(bytes);
      expect(isMessage(decoded, 207) && decoded.message.success).toBe(true);
    },
  );

  it("reads 3CX's live success Ack (reference §8.10) without the codec", () => {
    const live = Buffer.concat([
      Buffer.from("08cf01fa0c2d08011a27", "hex"),
      Buffer.from("Request has been successfully processed"),
      Buffer.from("3000", "hex"),
    ]);
    expect(readAckSuccess(live)).toBe(true);
    // Invalid UTF-8 in a text: the codec decides.
    const bad = Buffer.from(live);
    bad[12] = 0xff;
    expect(readAckSuccess(bad)).toBeUndefined();
  });

  it("leaves other messages and extra envelope fields to the codec", () => {
    const success = create(ResponseAcknowledgeSchema, { success: true });
    const plain = encodeMessage(207, success);
    expect(readAckSuccess(plain)).toBe(true);
    const payload = plain.subarray(4);
    const withExtra = encodeRaw(207, payload, new Uint8Array([0x10, 0x01]));
    expect(readAckSuccess(withExtra)).toBeUndefined();
    expect(readAckSuccess(encodeRaw(201, payload))).toBeUndefined();
    expect(readAckSuccess(new Uint8Array())).toBeUndefined();
  });
});

describe("isSessionExpired", () => {
  it("is 401, 403 or `Login is required` in a short answer", () => {
    expect(isSessionExpired(401, new Uint8Array())).toBe(true);
    expect(isSessionExpired(200, Buffer.from("<p>Login is required</p>"))).toBe(true);
    expect(isSessionExpired(200, Buffer.from([0x08, 0x01]))).toBe(false);
  });
});
