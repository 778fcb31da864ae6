import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Contact } from "./model.js";
import {
  FIXTURE_ADDRESS_BOOKS,
  fixtureContact,
  writeVCardFixtures,
} from "./vcard.bench-fixture.js";
import { loadVCardDirs, parseVCardText } from "./vcard.js";

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "dial3cx-vcard-"));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes `<root>/<relative>` with CRLF line ends, as vdirsyncer stores what servers send. */
async function writeCard(relative: string, lines: string[]): Promise<string> {
  const file = path.join(root, relative);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${lines.join("\r\n")}\r\n`);
  return file;
}

function byName(contacts: Contact[], name: string): Contact {
  const found = contacts.find((c) => c.name === name);
  if (!found)
    throw new Error(`no contact named ${name}: ${contacts.map((c) => c.name).join(", ")}`);
  return found;
}

const VCARD_30 = [
  "BEGIN:VCARD",
  "VERSION:3.0",
  "PRODID:-//Apple Inc.//iPhone OS 17.0//EN",
  "UID:ada-3",
  "N:Lovelace;Ada;;;",
  "FN:Ada",
  "  Lovelace",
  "ORG:Analytical Engines Ltd;Research",
  "item1.TEL;TYPE=WORK,VOICE:+49 30 123456",
  "item1.X-ABLabel:_$!<Work>!$_",
  "TEL;TYPE=work;TYPE=voice:+49 30 999000",
  "TEL;TYPE=CELL:+49 171 5550000",
  "TEL;TYPE=HOME:030 7654321",
  "TEL;TYPE=WORK,FAX:+49 30 123499",
  "item2.TEL:+44 20 7946 0000",
  "item2.X-ABLabel:_$!<Mobile>!$_",
  "TEL;TYPE=PAGER:555",
  "EMAIL;TYPE=INTERNET;TYPE=WORK:ada@example.org",
  "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDA",
  " QIDBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fICEiIyQlJicoKSorLC0uLzAxMjM0NTY3",
  "END:VCARD",
];

const VCARD_40 = [
  "BEGIN:VCARD",
  "VERSION:4.0",
  "UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1",
  "FN:Grace Hopper",
  "N:Hopper;Grace;Brewster;Rear Admiral;",
  'TEL;VALUE=uri;TYPE="work,voice";PREF=1:tel:+49-30-123456',
  "TEL;VALUE=uri;TYPE=cell:tel:+1-555-555-0100",
  "TEL;VALUE=uri;TYPE=work:tel:+49-30-555;ext=12",
  "EMAIL;TYPE=work:grace@example.org",
  "END:VCARD",
];

const VCARD_21 = [
  "BEGIN:VCARD",
  "VERSION:2.1",
  "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=B6rg;;;",
  "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=B6rg M=C3=BCller",
  "TEL;CELL;VOICE:+49 171 1234567",
  "TEL;WORK;VOICE:+49 89 7654321",
  "TEL;HOME:089 111222",
  "TEL;FAX:089 111223",
  "EMAIL;INTERNET:joerg@example.de",
  "NOTE;ENCODING=QUOTED-PRINTABLE:Erste Zeile=0D=0A=",
  "zweite Zeile",
  "END:VCARD",
];

describe("loadVCardDirs on a vdirsyncer tree", () => {
  it("reads vCard 3.0: folded lines, groups, repeated and comma-joined TYPEs", async () => {
    const file = await writeCard("work/ada-3.vcf", VCARD_30);
    const { contacts, warnings } = await loadVCardDirs([root]);
    expect(warnings).toEqual([]);
    expect(contacts).toEqual([
      {
        id: "ada-3",
        name: "Ada Lovelace",
        organization: "Analytical Engines Ltd, Research",
        numbers: [
          { type: "work", value: "+49 30 123456" },
          { type: "work", value: "+49 30 999000" },
          { type: "mobile", value: "+49 171 5550000" },
          { type: "home", value: "030 7654321" },
          { type: "fax", value: "+49 30 123499" },
          { type: "mobile", value: "+44 20 7946 0000" },
          { type: "other", value: "555" },
        ],
        emails: ["ada@example.org"],
        source: `vcard:${file}`,
      },
    ]);
  });

  it("reads vCard 4.0: tel: URIs, quoted TYPE lists, ext= parameters", async () => {
    await writeCard("work/grace.vcf", VCARD_40);
    const { contacts, warnings } = await loadVCardDirs([root]);
    expect(warnings).toEqual([]);
    const grace = byName(contacts, "Grace Hopper");
    expect(grace.id).toBe("urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1");
    expect(grace.numbers).toEqual([
      { type: "work", value: "+49-30-123456" },
      { type: "mobile", value: "+1-555-555-0100" },
      { type: "work", value: "+49-30-555 ext. 12" },
    ]);
    expect(grace.emails).toEqual(["grace@example.org"]);
  });

  it("reads vCard 2.1: bare parameters and quoted-printable UTF-8 names", async () => {
    await writeCard("private/joerg.vcf", VCARD_21);
    const { contacts, warnings } = await loadVCardDirs([root]);
    expect(warnings).toEqual([]);
    const joerg = byName(contacts, "Jörg Müller");
    expect(joerg.numbers).toEqual([
      { type: "mobile", value: "+49 171 1234567" },
      { type: "work", value: "+49 89 7654321" },
      { type: "home", value: "089 111222" },
      { type: "fax", value: "089 111223" },
    ]);
    expect(joerg.emails).toEqual(["joerg@example.de"]);
  });

  it("loads every address book of the tree, in a stable order", async () => {
    await writeCard("work/ada-3.vcf", VCARD_30);
    await writeCard("work/grace.vcf", VCARD_40);
    await writeCard("private/joerg.vcf", VCARD_21);
    await writeCard("private/displayname", ["Private"]);
    await writeCard("private/.vdirsyncer-status.vcf", ["not a card"]);
    const first = await loadVCardDirs([root]);
    const second = await loadVCardDirs([root]);
    expect(first.warnings).toEqual([]);
    expect(first.contacts.map((c) => c.name)).toEqual([
      "Jörg Müller",
      "Ada Lovelace",
      "Grace Hopper",
    ]);
    expect(second.contacts).toEqual(first.contacts);
  });

  it("accepts a folder of .vcf files and a single .vcf with several cards", async () => {
    const flat = path.join(root, "flat");
    await writeCard("flat/grace.vcf", VCARD_40);
    const multi = await writeCard("export.vcf", [...VCARD_30, ...VCARD_21]);
    const { contacts, warnings } = await loadVCardDirs([flat, multi]);
    expect(warnings).toEqual([]);
    expect(contacts.map((c) => c.name)).toEqual(["Grace Hopper", "Ada Lovelace", "Jörg Müller"]);
    // The 2.1 card has no UID: its id is the file and the card's place in it.
    expect(byName(contacts, "Jörg Müller").id).toBe(`${multi}#2`);
  });

  it("follows symlinked address books and loads a path given twice once", async () => {
    await writeCard("real/grace.vcf", VCARD_40);
    const tree = path.join(root, "tree");
    await mkdir(tree);
    await symlink(path.join(root, "real"), path.join(tree, "linked"));
    const { contacts } = await loadVCardDirs([tree, tree]);
    expect(contacts.map((c) => c.name)).toEqual(["Grace Hopper"]);
  });

  it("expands ~ to the home directory", async () => {
    await writeCard("contacts/work/grace.vcf", VCARD_40);
    const { contacts, warnings } = await loadVCardDirs(["~/contacts"], { home: root });
    expect(warnings).toEqual([]);
    expect(contacts.map((c) => c.name)).toEqual(["Grace Hopper"]);
  });

  it("warns about a missing directory and still loads the others", async () => {
    await writeCard("work/grace.vcf", VCARD_40);
    const missing = path.join(root, "nope");
    const { contacts, warnings } = await loadVCardDirs([missing, root]);
    expect(contacts.map((c) => c.name)).toEqual(["Grace Hopper"]);
    expect(warnings).toEqual([`${missing}: contacts directory not found`]);
  });

  it("skips a malformed vCard with a warning naming its file and line; the rest load", async () => {
    await writeCard("work/ada-3.vcf", VCARD_30);
    const broken = await writeCard("work/broken.vcf", [
      "BEGIN:VCARD",
      "VERSION:3.0",
      "FN:Broken Card",
      'TEL;TYPE="work:+49 30 1',
      "END:VCARD",
    ]);
    const noColon = await writeCard("work/no-colon.vcf", [
      "BEGIN:VCARD",
      "VERSION:3.0",
      "FN:Also Broken",
      "TEL;TYPE=CELL:+49 171 1",
      "this line is not a property",
      "END:VCARD",
    ]);
    const truncated = await writeCard("private/truncated.vcf", [
      "BEGIN:VCARD",
      "VERSION:3.0",
      "FN:Cut Short",
    ]);
    await writeCard("private/joerg.vcf", VCARD_21);
    const { contacts, warnings } = await loadVCardDirs([root]);
    expect(contacts.map((c) => c.name).sort()).toEqual(["Ada Lovelace", "Jörg Müller"]);
    expect(warnings).toHaveLength(3);
    expect(warnings).toContainEqual(expect.stringMatching(`^${escapeRegExp(broken)}:4: `));
    expect(warnings).toContainEqual(expect.stringMatching(`^${escapeRegExp(noColon)}:5: `));
    expect(warnings).toContainEqual(`${truncated}:1: skipped malformed vCard: no END:VCARD`);
  });

  it("keeps the good cards of a multi-card file around a bad one", async () => {
    const file = await writeCard("export.vcf", [
      ...VCARD_40,
      "BEGIN:VCARD",
      "VERSION:2.1",
      'TEL;CELL;X-BAD="unterminated:0171',
      "END:VCARD",
      ...VCARD_30,
    ]);
    const { contacts, warnings } = await loadVCardDirs([file]);
    expect(contacts.map((c) => c.name)).toEqual(["Grace Hopper", "Ada Lovelace"]);
    expect(warnings).toEqual([
      expect.stringMatching(`^${escapeRegExp(file)}:13: skipped malformed`),
    ]);
  });

  it("loads 10,000 vCards of the benchmark fixture correctly", async () => {
    const count = 10_000;
    await writeVCardFixtures(root, count);
    const { contacts, warnings } = await loadVCardDirs([root]);
    expect(warnings).toEqual([]);
    expect(contacts).toHaveLength(count);
    const ids = new Set(contacts.map((c) => c.id));
    expect(ids.size).toBe(count);
    for (const i of [0, 1, 2, 4_321, count - 1]) {
      const expected = fixtureContact(i);
      const contact = contacts.find((c) => c.id === expected.uid);
      expect(contact?.name).toBe(expected.name);
      expect(contact?.numbers).toHaveLength(2);
      expect(contact?.numbers[0]?.type).toBe("work");
      expect(contact?.numbers[1]?.type).toBe("mobile");
      expect(contact?.source).toMatch(new RegExp(`/(${FIXTURE_ADDRESS_BOOKS.join("|")})/`));
    }
  }, 60_000);
});

describe("parseVCardText", () => {
  it("names a contact from N, then ORG, when FN is missing", () => {
    const text = [
      "BEGIN:VCARD",
      "VERSION:3.0",
      "N:Lovelace;Ada;King;Countess;",
      "TEL:1",
      "END:VCARD",
      "BEGIN:VCARD",
      "VERSION:3.0",
      "ORG:Babbage & Co",
      "TEL:2",
      "END:VCARD",
    ].join("\n");
    const { contacts } = parseVCardText(text, "/x.vcf");
    expect(contacts.map((c) => c.name)).toEqual(["Countess Ada King Lovelace", "Babbage & Co"]);
  });

  it("keeps names on one line and free of control characters", () => {
    const text = "BEGIN:VCARD\nVERSION:3.0\nFN:Eve\\nEvil\tTab\u001b[31m\nTEL:1\nEND:VCARD\n";
    const { contacts } = parseVCardText(text, "/x.vcf");
    expect(contacts[0]?.name).toBe("Eve Evil Tab [31m");
  });

  it("decodes quoted-printable soft line breaks and Latin-1 charsets", () => {
    const text = [
      "BEGIN:VCARD",
      "VERSION:2.1",
      "FN;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:Fran=E7ois Gr=",
      "=FCn",
      "TEL;PREF;WORK:+33 1 23 45 67 89",
      "END:VCARD",
    ].join("\r\n");
    const { contacts, warnings } = parseVCardText(text, "/x.vcf");
    expect(warnings).toEqual([]);
    expect(contacts[0]?.name).toBe("François Grün");
    expect(contacts[0]?.numbers).toEqual([{ type: "work", value: "+33 1 23 45 67 89" }]);
  });

  it("skips a card with no name, number or e-mail, with a warning", () => {
    const { contacts, warnings } = parseVCardText(
      "BEGIN:VCARD\nVERSION:3.0\nNOTE:nothing\nEND:VCARD\n",
      "/x.vcf",
    );
    expect(contacts).toEqual([]);
    expect(warnings).toEqual(["/x.vcf:1: skipped vCard without name, number or e-mail"]);
  });

  it("warns about a file without any card", () => {
    expect(parseVCardText("", "/empty.vcf").warnings).toEqual(["/empty.vcf: contains no vCard"]);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
