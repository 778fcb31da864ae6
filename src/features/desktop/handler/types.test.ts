import { describe, expect, it } from "vitest";
import { BadInputError } from "../../../errors.js";
import { handlerPlatform } from "./index.js";
import { parseSchemes } from "./types.js";

describe("parseSchemes", () => {
  it("defaults to every scheme and keeps the canonical order", () => {
    expect(parseSchemes(undefined)).toEqual(["tel", "callto", "sip"]);
    expect(parseSchemes(" SIP, tel ,tel")).toEqual(["tel", "sip"]);
  });

  it("rejects unknown or empty values as usage errors", () => {
    expect(() => parseSchemes("tel,mailto")).toThrow(/Unknown scheme "mailto"/);
    expect(() => parseSchemes(" , ")).toThrow(BadInputError);
    expect(() => parseSchemes("sips")).toThrow(
      expect.objectContaining({ code: "usage", exitCode: 2 }),
    );
  });
});

describe("handlerPlatform", () => {
  it("uses the XDG handler on every Unix but macOS", () => {
    expect(handlerPlatform("linux")).toBe("linux");
    expect(handlerPlatform("freebsd")).toBe("linux");
    expect(handlerPlatform("darwin")).toBe("darwin");
    expect(handlerPlatform("win32")).toBe("win32");
  });
});
