import { describe, expect, it } from "vitest";
import { mergeDuplicateNumbers, numberId } from "./merge.js";
import type { Contact } from "./model.js";

function contact(id: string, name: string, numbers: Array<[string, string]>): Contact {
  return {
    id,
    name,
    numbers: numbers.map(([type, value]) => ({ type: type as "work", value })),
    emails: [],
    source: id.startsWith("pbx:") ? "pbx" : "vcard:/x.vcf",
  };
}

describe("mergeDuplicateNumbers", () => {
  it("keeps one entry per (name, number), the longest form, however it is written", () => {
    const merged = mergeDuplicateNumbers([
      contact("ada", "Ada Lovelace", [["work", "030 123456"]]),
      contact("pbx:1", "ada lovelace", [
        ["work", "+49 30 123456"],
        ["mobile", "+49 171 555"],
      ]),
      contact("pbx:2", "Ada Lovelace", [["work", "0049 (0)30 123456"]]),
    ]);
    expect(merged.map((c) => [c.id, c.numbers.map((n) => n.value)])).toEqual([
      ["pbx:1", ["+49 30 123456", "+49 171 555"]],
    ]);
    // Written alike: the first source's.
    const same = mergeDuplicateNumbers([
      contact("ada", "Ada Lovelace", [["work", "+49 30 123456"]]),
      contact("pbx:1", "Ada Lovelace", [["work", "+49-30-123456"]]),
    ]);
    expect(same.map((c) => c.id)).toEqual(["ada"]);
  });

  it("keeps the same number under another name, and a contact without numbers", () => {
    const input = [
      contact("a", "Ada", [["work", "+49 30 123456"]]),
      contact("b", "Reception", [["work", "+49 30 123456"]]),
      contact("c", "No Number", []),
    ];
    expect(mergeDuplicateNumbers(input)).toEqual(input);
  });
});

describe("numberId", () => {
  it("is stable, distinct per number, and shows no path", () => {
    const card = contact("/home/u/contacts/ada.vcf#0", "Ada", [
      ["work", "+49 30 123456"],
      ["mobile", "+49 171 555"],
    ]);
    const [work, mobile] = card.numbers as [Contact["numbers"][0], Contact["numbers"][0]];
    expect(numberId(card, work)).toBe(numberId({ ...card }, { ...work }));
    expect(numberId(card, work)).not.toBe(numberId(card, mobile));
    expect(numberId(card, work)).toMatch(/^n_[0-9a-f]{20}$/);
  });
});
