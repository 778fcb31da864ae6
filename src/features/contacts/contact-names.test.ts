import { describe, expect, it } from "vitest";
import { describeCallee, isNameQuery } from "../calls/callee.js";
import { parseDialString } from "../calls/dialstring.js";
import { foldingPhoneBook, nameForNumber, numbersForName } from "./contact-names.js";
import type { Contact, PbxContactEntry } from "./index.js";

function contact(
  name: string,
  numbers: Array<[Contact["numbers"][number]["type"], string]>,
  source = "pbx",
): Contact {
  return {
    id: `${source}:${name}`,
    name,
    numbers: numbers.map(([type, value]) => ({ type, value })),
    emails: [],
    source,
  };
}

const ada = contact("Ada Lovelace", [["work", "+49 30 123456"]]);
const adaCard = contact("Ada Lovelace", [["work", "030 123456"]], "vcard:/c/ada.vcf");
const jurgen = contact("Jürgen Müller", [
  ["work", "089 1234567"],
  ["mobile", "0171 2345678"],
  ["fax", "089 1234568"],
]);
const adam = contact("Adam Smith", [["home", "+44 20 7946 0000"]]);
const people = [ada, jurgen, adam];

describe("isNameQuery", () => {
  it.for([
    ["Ada Lovelace", true],
    ["müller", true],
    ["1-800-FLOWERS", true],
    ["tel:+1-800-FLOWERS", false],
    ["sip:alice@example.com", false],
    ["+49 30 123456", false],
    ["*55", false],
    ["", false],
  ] as const)("%s → %s", ([text, expected]) => {
    expect(isNameQuery(text)).toBe(expected);
  });
});

describe("numbersForName", () => {
  it("takes a number type after the name: mobile, cell, work, home", () => {
    const values = (text: string) => numbersForName(people, text).map((m) => m.number.value);
    expect(values("Jürgen Müller mobile")).toEqual(["0171 2345678"]);
    expect(values("jurgen cell")).toEqual(["0171 2345678"]);
    expect(values("muller work")).toEqual(["089 1234567"]);
    expect(values("muller home")).toEqual([]);
    expect(values("mobile")).toEqual([]);
  });

  it("a whole name, folded, matches exactly that contact", () => {
    expect(numbersForName(people, "ada lovelace")).toEqual([
      { contact: ada, number: ada.numbers[0] },
    ]);
    expect(numbersForName(people, "JURGEN MULLER").map((m) => m.number.value)).toEqual([
      "089 1234567",
      "0171 2345678",
    ]);
  });

  it("else every typed word must start a word of the name", () => {
    expect(numbersForName(people, "ada").map((m) => m.contact.name)).toEqual([
      "Ada Lovelace",
      "Adam Smith",
    ]);
    expect(numbersForName(people, "ada love").map((m) => m.contact.name)).toEqual(["Ada Lovelace"]);
    expect(numbersForName(people, "lovelace a").map((m) => m.contact.name)).toEqual([
      "Ada Lovelace",
    ]);
    // Fuzzy subsequences never dial on their own.
    expect(numbersForName(people, "alc")).toEqual([]);
  });

  it("an exact name wins over prefixes of longer names", () => {
    const ada2 = contact("Ada", [["mobile", "0172 1"]]);
    expect(numbersForName([...people, ada2], "Ada").map((m) => m.contact)).toEqual([ada2]);
  });

  it("the same number from a vCard and the phone book counts once; faxes never", () => {
    // 030 123456 and +49 30 123456, +49 (0)30 123456: one number.
    expect(numbersForName([ada, adaCard], "Ada Lovelace")).toEqual([
      { contact: ada, number: ada.numbers[0] },
    ]);
    expect(numbersForName([adaCard, ada], "Ada Lovelace")).toEqual([
      { contact: ada, number: ada.numbers[0] },
    ]);
    const same = contact("Ada Lovelace", [["work", "+49 (0)30 123456"]], "vcard:/c/x.vcf");
    expect(numbersForName([ada, same], "Ada Lovelace")).toHaveLength(1);
    // Short extensions must match digit for digit.
    const short = contact("Ada Lovelace", [["extension", "456"]], "pbx");
    expect(numbersForName([ada, short], "Ada Lovelace")).toHaveLength(2);
    expect(numbersForName([jurgen], "Jürgen Müller").map((m) => m.number.type)).not.toContain(
      "fax",
    );
  });
});

describe("nameForNumber", () => {
  it("names the dialled number, in any of its forms", () => {
    expect(nameForNumber(people, parseDialString("tel:+49-30-123456"))).toBe("Ada Lovelace");
    expect(nameForNumber(people, parseDialString("0049 30 123456"))).toBe("Ada Lovelace");
    expect(nameForNumber(people, "0171 2345678")).toBe("Jürgen Müller");
    expect(nameForNumber(people, parseDialString("+1 212 555 0147"))).toBeUndefined();
    expect(nameForNumber([], "0171 2345678")).toBeUndefined();
  });
});

describe("describeCallee", () => {
  it("puts the number in brackets after a known name", () => {
    expect(describeCallee("+49 30 123456", "Ada Lovelace")).toBe("Ada Lovelace (+49 30 123456)");
    expect(describeCallee("+49 30 123456", undefined)).toBe("+49 30 123456");
  });
});

describe("foldingPhoneBook", () => {
  it("asks for the typed text and the whole book at once, each entry once", async () => {
    const muller: PbxContactEntry = {
      firstName: "Jürgen",
      lastName: "Müller",
      numbers: [{ type: "work", value: "089 1234567" }],
      isColleague: false,
    };
    const other: PbxContactEntry = { firstName: "Zoë", numbers: [], isColleague: false };
    const asked: Array<[string, number]> = [];
    const book = foldingPhoneBook({
      lookupContacts: async (query, limit) => {
        asked.push([query, limit]);
        return query === "" ? [muller, other] : query === "müller" ? [muller] : [];
      },
    });
    expect(await book.lookupContacts("müller", 50)).toEqual([muller, other]);
    expect(asked).toEqual([
      ["", 50],
      ["müller", 50],
    ]);
    asked.length = 0;
    expect(await book.lookupContacts("", 50)).toEqual([muller, other]);
    expect(asked).toEqual([["", 50]]);
  });
});
