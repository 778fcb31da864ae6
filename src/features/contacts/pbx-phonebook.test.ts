import { describe, expect, it } from "vitest";
import { type PbxContactEntry, pbxEntriesToContacts } from "./pbx-phonebook.js";

describe("pbxEntriesToContacts", () => {
  const ada: PbxContactEntry = {
    firstName: "Ada",
    lastName: "Lovelace",
    company: "Analytical Engines",
    numbers: [
      { type: "work", value: "+49 30 123456" },
      { type: "work", value: "+49 30 123456" },
      { type: "mobile", value: " " },
    ],
    email: "ada@example.org",
    isColleague: false,
  };

  it("builds contacts with source pbx, distinct numbers and the e-mail", () => {
    expect(pbxEntriesToContacts([ada])).toEqual([
      {
        id: "pbx:Ada Lovelace:+49 30 123456",
        name: "Ada Lovelace",
        organization: "Analytical Engines",
        numbers: [{ type: "work", value: "+49 30 123456" }],
        emails: ["ada@example.org"],
        source: "pbx",
      },
    ]);
  });

  it("names entries by company or number when they have no person name", () => {
    const contacts = pbxEntriesToContacts([
      { company: "Acme", numbers: [{ type: "work", value: "1" }], isColleague: false },
      { numbers: [{ type: "other", value: "+49 30 1" }], isColleague: false },
      { numbers: [], isColleague: false },
    ]);
    expect(contacts.map((c) => c.name)).toEqual(["Acme", "+49 30 1"]);
  });

  it("keeps ids unique when the PBX repeats an entry", () => {
    const ids = pbxEntriesToContacts([ada, ada]).map((c) => c.id);
    expect(new Set(ids).size).toBe(2);
  });

  it("keeps names on one line", () => {
    const [contact] = pbxEntriesToContacts([
      { firstName: "Eve\n", lastName: "\tEvil", numbers: [], email: "e@x", isColleague: false },
    ]);
    expect(contact?.name).toBe("Eve Evil");
  });
});
