import { describe, expect, it } from "vitest";
import type { Contact, ContactNumber } from "./model.js";
import {
  foldText,
  formatDmenuLines,
  lookupByNumber,
  numberDigits,
  searchContacts,
} from "./search.js";

function contact(name: string, numbers: ContactNumber[], extra: Partial<Contact> = {}): Contact {
  return { id: name, name, numbers, emails: [], source: "vcard:/test.vcf", ...extra };
}

const ada = contact("Ada Lovelace", [
  { type: "work", value: "+49 30 123456" },
  { type: "mobile", value: "+49 171 5550000" },
]);
const joerg = contact("Jörg Müller", [{ type: "work", value: "+49 89 7654321" }]);
const mullerova = contact("Eva Mullerová", [{ type: "home", value: "+420 2 1234 5678" }]);
const adam = contact("Adam Lovelace-Smith", [{ type: "home", value: "030 555 0101" }], {
  organization: "Ada Industries",
});
const colleague = contact("Max Mustermann", [{ type: "extension", value: "101" }]);
const noNumbers = contact("Mail Only", [], { emails: ["m@example.org"] });
const all = [ada, joerg, mullerova, adam, colleague, noNumbers];

describe("searchContacts by name", () => {
  it("folds diacritics: muller finds Müller and Mullerová", () => {
    const names = searchContacts(all, "muller").map((m) => m.contact.name);
    expect(names).toContain("Jörg Müller");
    expect(names).toContain("Eva Mullerová");
  });

  it("folds diacritics in the query too, and ignores case", () => {
    expect(searchContacts(all, "MÜLLER").map((m) => m.contact.name)).toContain("Jörg Müller");
    expect(searchContacts(all, "jörg").map((m) => m.contact.name)).toEqual(["Jörg Müller"]);
  });

  it("returns one entry per number, with its type", () => {
    const matches = searchContacts([ada], "ada");
    expect(matches.map((m) => [m.number.type, m.number.value])).toEqual([
      ["work", "+49 30 123456"],
      ["mobile", "+49 171 5550000"],
    ]);
  });

  it("ranks an exact full name above fuzzy matches", () => {
    const longerFirst = [adam, ada];
    const matches = searchContacts(longerFirst, "ada lovelace");
    expect(matches[0]?.contact).toBe(ada);
    expect(matches[0]?.match).toBe("name");
    expect(matches.at(-1)?.contact).toBe(adam);
    expect(matches.at(-1)?.match).toBe("fuzzy");
  });

  it("matches terms in any order and searches the organization", () => {
    expect(searchContacts(all, "lovelace ada").map((m) => m.contact.name)).toContain(
      "Ada Lovelace",
    );
    expect(searchContacts(all, "industries").map((m) => m.contact.name)).toEqual([
      "Adam Lovelace-Smith",
    ]);
  });

  it("folds German transliterations both ways: mueller, muller and müller find Müller", () => {
    const mueller = contact("Hans Mueller", [{ type: "work", value: "+49 40 111111" }]);
    const list = [...all, mueller];
    for (const query of ["mueller", "muller", "müller", "MUELLER", "joerg mueller"]) {
      expect(
        searchContacts(list, query).map((m) => m.contact.name),
        query,
      ).toContain("Jörg Müller");
    }
    // A name written with "ue" is found by the umlaut too.
    expect(searchContacts(list, "müller").map((m) => m.contact.name)).toContain("Hans Mueller");
    expect(searchContacts(list, "joerg müller")[0]?.match).toBe("name");
  });

  it("does not contract ue, oe or ae: zoe finds no Zora", () => {
    const zora = contact("Zora Lind", [{ type: "work", value: "+49 40 222222" }]);
    expect(searchContacts([zora], "zoe")).toEqual([]);
  });

  it("finds nothing for letters scattered across a name (zzzz is no Pizzeria)", () => {
    const pizzeria = contact("Pizzeria Napoli", [{ type: "work", value: "+39 06 1234 5678" }], {
      organization: "Pizzeria Napoli",
    });
    const list = [...all, pizzeria];
    expect(searchContacts(list, "zzzz")).toEqual([]);
    expect(searchContacts(list, "ada zzzz")).toEqual([]);
  });

  it.each([
    ["ada", "Ada Lovelace"],
    ["lovel", "Ada Lovelace"],
    ["lovelac", "Ada Lovelace"],
    ["lovlace", "Ada Lovelace"], // a letter left out
    ["velace", "Ada Lovelace"], // inside a word
    ["jmul", "Jörg Müller"], // word starts
    ["mus", "Max Mustermann"],
  ])("still finds %s: %s", (query, name) => {
    expect(searchContacts(all, query).map((m) => m.contact.name)).toContain(name);
  });

  it("keeps fzf's extended syntax working next to the per-term check", () => {
    expect(searchContacts(all, "'lovelace !smith").map((m) => m.contact.name)).toEqual([
      "Ada Lovelace",
      "Ada Lovelace",
    ]);
    expect(searchContacts(all, "^max").map((m) => m.contact.name)).toEqual(["Max Mustermann"]);
    expect(new Set(searchContacts(all, "jörg | mustermann").map((m) => m.contact.name))).toEqual(
      new Set(["Jörg Müller", "Max Mustermann"]),
    );
  });

  it("leaves out contacts without a number, and honours the limit", () => {
    expect(searchContacts(all, "mail")).toEqual([]);
    expect(searchContacts(all, "a", { limit: 2 })).toHaveLength(2);
  });

  it("re-indexes a list that grew since the last search", () => {
    const list = [ada];
    expect(searchContacts(list, "muller")).toEqual([]);
    list.push(joerg);
    expect(searchContacts(list, "muller").map((m) => m.contact)).toEqual([joerg]);
  });

  it("lists everything by name for an empty query", () => {
    const names = searchContacts(all, "  ").map((m) => m.contact.name);
    expect(names).toEqual([
      "Ada Lovelace",
      "Ada Lovelace",
      "Adam Lovelace-Smith",
      "Eva Mullerová",
      "Jörg Müller",
      "Max Mustermann",
    ]);
  });
});

describe("searchContacts by number", () => {
  it("finds an exact number first, written any way", () => {
    for (const query of ["+49 30 123456", "004930123456", "030 123456", "(030) 12 34 56"]) {
      const [first] = searchContacts(all, query);
      expect(first?.contact, query).toBe(ada);
      expect(first?.number.value, query).toBe("+49 30 123456");
      expect(first?.match, query).toBe("number");
    }
  });

  it("ranks an exact number above partial number matches", () => {
    const other = contact("Zed", [{ type: "work", value: "+49 30 1234567" }]);
    const matches = searchContacts([other, ada], "030123456");
    expect(matches.map((m) => [m.contact.name, m.match])).toEqual([
      ["Ada Lovelace", "number"],
      ["Zed", "fuzzy"],
    ]);
  });

  it("matches extensions digit for digit only", () => {
    expect(searchContacts(all, "101").map((m) => [m.contact.name, m.match])).toEqual([
      ["Max Mustermann", "number"],
      ["Adam Lovelace-Smith", "fuzzy"],
    ]);
  });

  it("finds parts of numbers", () => {
    expect(searchContacts(all, "7654").map((m) => m.contact.name)).toEqual(["Jörg Müller"]);
  });
});

describe("lookupByNumber", () => {
  const berlin = contact("Berlin Office", [{ type: "work", value: "+49 30 123456" }]);

  it("matches international, 00 and national forms", () => {
    for (const number of ["+49 30 123456", "+4930123456", "004930123456", "030123456"]) {
      expect(lookupByNumber([colleague, berlin], number), number).toBe(berlin);
    }
  });

  it("matches the other way round: a national entry, an international caller", () => {
    const national = contact("National", [{ type: "home", value: "030 / 12 34 56" }]);
    expect(lookupByNumber([national], "+49 30 123456")).toBe(national);
  });

  it("matches extensions exactly and ignores a written extension suffix", () => {
    expect(lookupByNumber([colleague, berlin], "101")).toBe(colleague);
    expect(lookupByNumber([colleague, berlin], "1010")).toBeUndefined();
    const withExt = contact("With Ext", [{ type: "work", value: "+49 30 777888 ext. 12" }]);
    expect(lookupByNumber([withExt], "030777888")).toBe(withExt);
  });

  it("needs at least 7 digits for a suffix match", () => {
    expect(lookupByNumber([berlin], "123456")).toBeUndefined();
    expect(lookupByNumber([berlin], "0123456")).toBeUndefined();
    expect(lookupByNumber([berlin], "30123456")).toBe(berlin);
  });

  it("returns undefined when different people share the number", () => {
    const twin = contact("Someone Else", [{ type: "work", value: "0049 30 123456" }]);
    expect(lookupByNumber([berlin, twin], "+49 30 123456")).toBeUndefined();
    expect(lookupByNumber([berlin, twin], "030 123456")).toBeUndefined();
  });

  it("prefers a whole international number over a national form that only ends alike", () => {
    const national = contact("National", [{ type: "work", value: "030 123456" }]);
    expect(lookupByNumber([national, berlin], "+49 30 123456")).toBe(berlin);
    expect(lookupByNumber([national, berlin], "030 123456")).toBe(national);
  });

  it("treats the same name from two sources as one person", () => {
    const fromPbx = { ...berlin, id: "pbx:1", source: "pbx" };
    expect(lookupByNumber([berlin, fromPbx], "030123456")).toBe(berlin);
  });

  it("returns undefined for no match and for input without digits", () => {
    expect(lookupByNumber(all, "+1 212 5550100")).toBeUndefined();
    expect(lookupByNumber(all, "anonymous")).toBeUndefined();
  });
});

describe("formatDmenuLines", () => {
  it("prints Name<TAB>type<TAB>number per entry", () => {
    expect(formatDmenuLines(searchContacts([ada], "ada"))).toEqual([
      "Ada Lovelace\twork\t+49 30 123456",
      "Ada Lovelace\tmobile\t+49 171 5550000",
    ]);
  });

  it("replaces tabs and line breaks inside fields by spaces", () => {
    const odd = contact("Tab\tName\nTwo", [{ type: "other", value: "1\t2" }]);
    expect(formatDmenuLines(searchContacts([odd], ""))).toEqual(["Tab Name Two\tother\t1 2"]);
  });
});

describe("helpers", () => {
  it("foldText removes diacritics and folds special letters", () => {
    expect(foldText("  Zoë  Straße Øre Łódź ")).toBe("zoe strasse ore lodz");
  });

  it("numberDigits keeps the identifying digits", () => {
    expect(numberDigits("+49 (0)30 123-456")).toBe("4930123456");
    expect(numberDigits("+49 30 123456 x12")).toBe("4930123456");
    expect(numberDigits("+49-30-555;ext=12")).toBe("4930555");
  });
});
