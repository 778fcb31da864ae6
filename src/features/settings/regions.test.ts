import { getCountries } from "libphonenumber-js/max";
import { describe, expect, it } from "vitest";
import { isKnownRegion, knownRegions } from "./regions.js";

describe("known regions", () => {
  it("are exactly the regions the installed libphonenumber supports", () => {
    expect(knownRegions()).toEqual([...getCountries()].sort());
  });

  it("know DE and US, not XX or lower case", () => {
    expect(["DE", "US", "XX", "de"].map(isKnownRegion)).toEqual([true, true, false, false]);
  });
});
