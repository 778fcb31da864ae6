// Synthetic vCard trees for the contact tests and the load benchmark: `n` contacts in the layout
// vdirsyncer writes (<dir>/<address book>/<uid>.vcf), mostly vCard 3.0 with some 2.1 and 4.0 cards,
// each with a work and a mobile number and an e-mail, like a synced company address book.

import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

export const FIXTURE_ADDRESS_BOOKS = ["work", "private"] as const;

/** What contact `i` of a fixture holds, so tests can check what was loaded. */
export function fixtureContact(i: number): { uid: string; name: string; work: string } {
  const serial = String(i).padStart(6, "0");
  return { uid: `fixture-${serial}`, name: `Person ${serial}`, work: `+49 30 ${100_000 + i}` };
}

function fixtureCard(i: number): string {
  const { uid, name, work } = fixtureContact(i);
  const mobile = `+49 171 ${2_000_000 + i}`;
  const [given, family] = name.split(" ");
  if (i % 10 === 0) {
    return [
      "BEGIN:VCARD",
      "VERSION:2.1",
      `N:${family};${given};;;`,
      `FN:${name}`,
      `TEL;WORK;VOICE:${work}`,
      `TEL;CELL:${mobile}`,
      `EMAIL;INTERNET:${uid}@example.org`,
      `UID:${uid}`,
      "END:VCARD",
    ].join("\r\n");
  }
  if (i % 10 === 1) {
    return [
      "BEGIN:VCARD",
      "VERSION:4.0",
      `UID:${uid}`,
      `FN:${name}`,
      `N:${family};${given};;;`,
      "ORG:Example GmbH",
      `TEL;VALUE=uri;TYPE="work,voice":tel:${work.replaceAll(" ", "-")}`,
      `TEL;VALUE=uri;TYPE=cell:tel:${mobile.replaceAll(" ", "-")}`,
      `EMAIL;TYPE=work:${uid}@example.org`,
      "END:VCARD",
    ].join("\r\n");
  }
  return [
    "BEGIN:VCARD",
    "VERSION:3.0",
    "PRODID:-//dial3cx//fixture//EN",
    `UID:${uid}`,
    `FN:${name}`,
    `N:${family};${given};;;`,
    "ORG:Example GmbH;Sales",
    "TITLE:Account manager",
    `item1.TEL;TYPE=WORK,VOICE:${work}`,
    "item1.X-ABLabel:_$!<Work>!$_",
    `TEL;TYPE=CELL:${mobile}`,
    `EMAIL;TYPE=INTERNET;TYPE=WORK:${uid}@example.org`,
    "ADR;TYPE=WORK:;;Unter den Linden 1;Berlin;;10117;Germany",
    "NOTE:Met at the trade fair\\, interested in the\\n new desk phones.",
    "REV:2024-01-01T00:00:00Z",
    "END:VCARD",
  ].join("\r\n");
}

/** Writes `n` one-contact .vcf files under `dir`, spread over two address books. */
export async function writeVCardFixtures(dir: string, n: number): Promise<void> {
  for (const book of FIXTURE_ADDRESS_BOOKS) await mkdir(path.join(dir, book), { recursive: true });
  const batch = 256;
  for (let start = 0; start < n; start += batch) {
    const writes: Promise<void>[] = [];
    for (let i = start; i < Math.min(n, start + batch); i++) {
      const book = FIXTURE_ADDRESS_BOOKS[i % FIXTURE_ADDRESS_BOOKS.length] as string;
      const file = path.join(dir, book, `${fixtureContact(i).uid}.vcf`);
      writes.push(writeFile(file, `${fixtureCard(i)}\r\n`));
    }
    await Promise.all(writes);
  }
}
