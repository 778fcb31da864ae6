import { describe, expect, it } from "vitest";
import { callbackTarget, isCallbackable } from "./callback.js";

describe("callbackTarget", () => {
  it.each([
    ["+44 20 7946 0001", "00442079460001"],
    ["004930123456", "004930123456"],
    ["030 123456", "030123456"],
    ["101", "101"],
    [" +49 (0)30 123456 ", "004930123456"],
  ])("calls back %j as %j", (callerId, dial) => {
    expect(callbackTarget(callerId)?.dial).toBe(dial);
  });

  it.each([
    "anonymous",
    "Anonymous",
    "",
    "   ",
    "sip:bob@example.com",
    "sip:+4930123456@pbx.example.com",
    "tel:+4930123456",
    "*21*0301234#",
    "#31#",
    "unknown",
    "+",
    "+49 30 123456 ext 5x",
    undefined,
  ])("never calls back %j", (callerId) => {
    expect(callbackTarget(callerId)).toBeUndefined();
    expect(isCallbackable(callerId)).toBe(false);
  });
});
