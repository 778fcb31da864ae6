import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NetworkError } from "../../errors.js";
import { loadAllContacts, type PbxContactEntry, type PhoneBookLookup } from "./index.js";

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "dial3cx-contacts-"));
  await mkdir(path.join(root, "work"));
  await writeFile(
    path.join(root, "work", "ada.vcf"),
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ada\r\nFN:Ada Lovelace\r\nTEL;TYPE=WORK:+49 30 123456\r\nEND:VCARD\r\n",
  );
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const colleague: PbxContactEntry = {
  firstName: "Max",
  lastName: "Mustermann",
  numbers: [{ type: "extension", value: "101" }],
  isColleague: true,
};

function phoneBook(answer: () => Promise<PbxContactEntry[]>) {
  const calls: [string, number][] = [];
  const lookup: PhoneBookLookup = {
    lookupContacts(query, limit) {
      calls.push([query, limit]);
      return answer();
    },
  };
  return { lookup, calls };
}

describe("loadAllContacts", () => {
  it("puts vCards first, then the PBX phone book", async () => {
    const pbx = phoneBook(async () => [colleague]);
    const { contacts, warnings } = await loadAllContacts({
      vcardDirs: [root],
      pbx: pbx.lookup,
      query: "a",
      pbxLimit: 50,
    });
    expect(warnings).toEqual([]);
    expect(contacts.map((c) => [c.name, c.source.split(":")[0]])).toEqual([
      ["Ada Lovelace", "vcard"],
      ["Max Mustermann", "pbx"],
    ]);
    expect(pbx.calls).toEqual([["a", 50]]);
  });

  it("asks the PBX for everything by default", async () => {
    const pbx = phoneBook(async () => []);
    await loadAllContacts({ vcardDirs: [], pbx: pbx.lookup });
    expect(pbx.calls).toEqual([["", 500]]);
  });

  it("turns a failing PBX into a warning and keeps the vCards", async () => {
    const pbx = phoneBook(async () => {
      throw new NetworkError("PBX pbx.example.com is unreachable");
    });
    const { contacts, warnings } = await loadAllContacts({ vcardDirs: [root], pbx: pbx.lookup });
    expect(contacts.map((c) => c.name)).toEqual(["Ada Lovelace"]);
    expect(warnings).toEqual(["PBX phone book unavailable: PBX pbx.example.com is unreachable"]);
  });

  it("works without a PBX and collects vCard warnings", async () => {
    const missing = path.join(root, "missing");
    const { contacts, warnings } = await loadAllContacts({ vcardDirs: [root, missing] });
    expect(contacts.map((c) => c.name)).toEqual(["Ada Lovelace"]);
    expect(warnings).toEqual([`${missing}: contacts directory not found`]);
  });
});
