// The warm call without the driver reports an answer it cannot read, a server failure after the
// request and a lost connection as "may have been placed", exactly as WebClientDriver.makeCall
// does: such a MakeCall is never sent again (a real HTTP server on 127.0.0.1).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { OutcomeUnknownError, RejectedError } from "../../errors.js";
import { encodeMessage, encodeRaw } from "../../protocol/codec.js";
import { ErrorCodes, ResponseAcknowledgeSchema } from "../../protocol/gen/myphone_pb.js";
import { PbxHttp } from "../http.js";
import { postMakeCall } from "./warm-call.js";

let server: Server | undefined;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

/** A PBX whose every MyPhone answer is `answer`; counts the requests it got. */
async function pbx(answer: (res: import("node:http").ServerResponse) => void) {
  const seen = { requests: 0 };
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      seen.requests++;
      answer(res);
    });
  });
  await new Promise<void>((done) => server!.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  const http = new PbxHttp(
    new URL(`http://127.0.0.1:${port}`),
    { rejectUnauthorized: true, description: "test" },
    {
      timeoutMs: 2_000,
    },
  );
  return { http, seen };
}

describe("postMakeCall outcomes", () => {
  it("an unreadable answer: may have been placed, sent once", async () => {
    const { http, seen } = await pbx((res) => res.end(Buffer.from([0xff, 0xff, 0x07, 0x01])));
    const error = await postMakeCall(http, "key", "101", undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect((error as Error).message).toContain("may have been placed");
    expect(seen.requests).toBe(1);
  });

  it("an answer of another message type: may have been placed", async () => {
    const { http } = await pbx((res) => res.end(Buffer.from(encodeRaw(201, new Uint8Array()))));
    const error = await postMakeCall(http, "key", "101", undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
  });

  it("HTTP 500 after the request: may have been placed; 503: a plain failure", async () => {
    const failing = await pbx((res) => {
      res.statusCode = 500;
      res.end();
    });
    const error = await postMakeCall(failing.http, "key", "101", undefined).catch((e) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    await new Promise<void>((done) => server!.close(() => done()));
    server = undefined;
    const busy = await pbx((res) => {
      res.statusCode = 503;
      res.end();
    });
    const plain = await postMakeCall(busy.http, "key", "101", undefined).catch((e) => e);
    expect(plain).not.toBeInstanceOf(OutcomeUnknownError);
  });

  it("a connection lost after sending: may have been placed", async () => {
    const { http, seen } = await pbx((res) => res.socket?.destroy());
    const error = await postMakeCall(http, "key", "101", undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(seen.requests).toBe(1);
  });

  it("a refusal stays a refusal", async () => {
    const ack = create(ResponseAcknowledgeSchema, {
      success: false,
      errorType: ErrorCodes.INVALID_VALUE,
      message: "Invalid number",
    });
    const { http } = await pbx((res) => res.end(Buffer.from(encodeMessage(207, ack))));
    const error = await postMakeCall(http, "key", "101", undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RejectedError);
  });
});
