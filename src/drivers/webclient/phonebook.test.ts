import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ContactInfoSchema } from "../../protocol/gen/myphone_pb.js";
import { toDriverContact } from "./phonebook.js";

describe("toDriverContact", () => {
  it("reads a phone-book contact: 4 business, 5 mobile, 8 home, 9 e-mail", () => {
    const info = create(ContactInfoSchema, {
      firstName: "Ada",
      lastName: "Lovelace",
      company: "Analytical Engines",
      contactType: 1,
      number4: "+49 30 123456",
      number5: "+49 171 5550000",
      extra8: "030 7654321",
      extra9: "ada@example.org",
      extra10: "+49 30 123499",
    });
    expect(toDriverContact(info)).toEqual({
      firstName: "Ada",
      lastName: "Lovelace",
      company: "Analytical Engines",
      isColleague: false,
      numbers: [
        { type: "work", value: "+49 30 123456" },
        { type: "mobile", value: "+49 171 5550000" },
        { type: "home", value: "030 7654321" },
        { type: "other", value: "+49 30 123499" },
      ],
      email: "ada@example.org",
    });
  });

  it("reads a colleague: field 5 is the extension", () => {
    const info = create(ContactInfoSchema, { firstName: "Max", contactType: 0, number5: "101" });
    expect(toDriverContact(info)).toEqual({
      firstName: "Max",
      isColleague: true,
      numbers: [{ type: "extension", value: "101" }],
    });
  });

  it("takes an e-mail wherever it sits and skips empty fields", () => {
    const info = create(ContactInfoSchema, {
      lastName: "Hopper",
      contactType: 1,
      extra8: "grace@example.org",
      extra12: "  ",
      extra17: "+1 555 0100",
    });
    expect(toDriverContact(info)).toEqual({
      lastName: "Hopper",
      isColleague: false,
      numbers: [{ type: "other", value: "+1 555 0100" }],
      email: "grace@example.org",
    });
  });
});
