import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { DateTimeSchema, RegistrationSchema } from "../../protocol/gen/myphone_pb.js";
import { dateTimeToDate, toDriverDevice } from "./registrations.js";

describe("toDriverDevice", () => {
  it("converts every field, reading DateTime as UTC", () => {
    const reg = create(RegistrationSchema, {
      id: 7,
      contact: "sip:100@192.168.178.20:5062;rinstance=a1",
      sourceAddress: "192.168.178.20:5062",
      userAgent: "Yealink SIP-T46S 66.86.0.15",
      expiresAt: create(DateTimeSchema, {
        year: 2024,
        month: 5,
        day: 17,
        hour: 14,
        minute: 32,
        second: 9,
      }),
    });
    expect(toDriverDevice(reg)).toEqual({
      id: "7",
      contact: "sip:100@192.168.178.20:5062;rinstance=a1",
      sourceAddress: "192.168.178.20:5062",
      userAgent: "Yealink SIP-T46S 66.86.0.15",
      expiresAt: new Date("2024-05-17T14:32:09Z"),
    });
  });

  it("leaves unset and empty optional fields out", () => {
    const device = toDriverDevice(
      create(RegistrationSchema, { id: 1, contact: "sip:100@h", sourceAddress: "" }),
    );
    expect(device).toEqual({
      id: "1",
      contact: "sip:100@h",
    });
    expect("sourceAddress" in device).toBe(false);
    expect("userAgent" in device).toBe(false);
    expect("expiresAt" in device).toBe(false);
  });

  it("drops an impossible or empty expiry", () => {
    const reg = create(RegistrationSchema, {
      id: 1,
      expiresAt: create(DateTimeSchema, { year: 2024, month: 2, day: 31 }),
    });
    expect(toDriverDevice(reg).expiresAt).toBeUndefined();
    expect(dateTimeToDate(create(DateTimeSchema, {}))).toBeUndefined();
    expect(dateTimeToDate(create(DateTimeSchema, { year: 99, month: 1, day: 1 }))).toBeUndefined();
    expect(dateTimeToDate(undefined)).toBeUndefined();
  });

  it("accepts a leap day", () => {
    expect(dateTimeToDate(create(DateTimeSchema, { year: 2024, month: 2, day: 29 }))).toEqual(
      new Date("2024-02-29T00:00:00Z"),
    );
  });
});
