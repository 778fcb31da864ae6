// Pure reading of Call Control JSON: event frames in 3CX's wrapped and the bare form, unknown
// shapes, and `finalstatus` as 3CX's enum or as a string (reference §10).
import { describe, expect, it } from "vitest";
import { jwtLifetimeSeconds } from "./api.js";
import { readEventFrame, readFinalStatus } from "./model.js";

describe("readEventFrame", () => {
  const entity = "/callcontrol/100/participants/5";

  it("reads 3CX's wrapped frame and the bare struct, in any key casing", () => {
    expect(
      readEventFrame(
        JSON.stringify({ sequence: 3, event: { event_type: 0, entity, attached_data: null } }),
      ),
    ).toEqual({
      kind: "event",
      event: { sequence: 3, type: 0, entity, shape: "wrapped" },
    });
    expect(
      readEventFrame(JSON.stringify({ EventType: 1, Entity: entity, AttachedData: null })),
    ).toEqual({
      kind: "event",
      event: { sequence: undefined, type: 1, entity, shape: "unwrapped" },
    });
    expect(
      readEventFrame(JSON.stringify({ Sequence: 1, Event: { EventType: "0", Entity: entity } })),
    ).toMatchObject({ kind: "event", event: { type: 0, sequence: 1 } });
  });

  it("knows types 2 to 4 (DTMF, prompt finished, response) without an entity", () => {
    for (const type of [2, 3, 4]) {
      expect(readEventFrame(JSON.stringify({ event: { event_type: type } }))).toMatchObject({
        kind: "event",
        event: { type, entity: "" },
      });
    }
  });

  it("describes anything else by its shape, never its values", () => {
    expect(readEventFrame("not json")).toEqual({ kind: "unknown", shape: "not JSON" });
    expect(readEventFrame('{"secret":"x","b":1}')).toEqual({
      kind: "unknown",
      shape: "{b,secret}",
    });
    expect(readEventFrame(JSON.stringify({ event: { event_type: 9, entity } }))).toEqual({
      kind: "unknown",
      shape: "{event} event{entity,event_type} event_type 9",
    });
  });
});

describe("readFinalStatus", () => {
  it("reads 3CX's enum (Failed -1, Rejected 0, Success 1) and the names", () => {
    expect([1, 0, -1, "1", "-1"].map(readFinalStatus)).toEqual([
      "success",
      "rejected",
      "failed",
      "success",
      "failed",
    ]);
    expect(["Success", "Rejected", "Failed", "Failure"].map(readFinalStatus)).toEqual([
      "success",
      "rejected",
      "failed",
      "failed",
    ]);
    expect([undefined, null, "Pending", 7].map(readFinalStatus)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe("jwtLifetimeSeconds", () => {
  const jwt = (claims: object) =>
    `e30.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.sig`;
  it("is exp − iat, or undefined without them", () => {
    expect(jwtLifetimeSeconds(jwt({ iat: 1000, exp: 4600 }))).toBe(3600);
    expect(jwtLifetimeSeconds(jwt({ exp: 4600 }))).toBeUndefined();
    expect(jwtLifetimeSeconds("opaque-token")).toBeUndefined();
  });
});
