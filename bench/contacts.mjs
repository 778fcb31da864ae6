// Contacts at scale: 10,000 vCards (vdirsyncer layout, a mix of 2.1, 3.0 and 4.0) loaded by a
// fresh process, as `dial3cx contacts search` or a click's reverse lookup would (issue 5's
// target: under a second), then a name search and a reverse number lookup over them.
// Usage: node bench/contacts.mjs [--json] [--runs N] [--cards N]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO, requireBuild, summarise, timeNode } from "./measure.mjs";

const TARGET_MS = 1000;
const { values } = parseArgs({
  options: {
    json: { type: "boolean" },
    runs: { type: "string", default: "5" },
    cards: { type: "string", default: "10000" },
  },
});
requireBuild(["dist/lib/features/contacts/index.js"]);
const contactsModule = join(REPO, "dist/lib/features/contacts/index.js");
const fixtureModule = join(REPO, "dist/lib/features/contacts/vcard.bench-fixture.js");
const cards = Number(values.cards);

// One child run: load every card, search a name, look a number up; report each step's time.
const probe = `
  const { loadVCardDirs, searchContacts, lookupByNumber } = await import(${JSON.stringify(contactsModule)});
  const t0 = performance.now();
  const { contacts, warnings } = await loadVCardDirs([process.argv[1]]);
  const t1 = performance.now();
  const found = searchContacts(contacts, "person 4711", { limit: 20 });
  const t2 = performance.now();
  const hit = lookupByNumber(contacts, contacts[contacts.length - 1].numbers[0].value);
  const t3 = performance.now();
  console.log(JSON.stringify({ loaded: contacts.length, warnings: warnings.length, found: found.length,
    hit: Boolean(hit), loadMs: t1 - t0, searchMs: t2 - t1, lookupMs: t3 - t2 }));
`;

const dir = await mkdtemp(join(tmpdir(), "dial3cx-bench-vcards-"));
try {
  const { writeVCardFixtures } = await import(fixtureModule);
  await writeVCardFixtures(dir, cards);
  const samples = [];
  for (let i = 0; i < Number(values.runs) + 1; i++) {
    const { stdout } = await timeNode(["--input-type=module", "-e", probe, dir], process.env);
    if (i > 0) samples.push(JSON.parse(stdout)); // the first run only warms the OS file cache
  }
  const pick = (key) => summarise(samples.map((s) => s[key]));
  const result = {
    cards,
    loaded: samples[0].loaded,
    warnings: samples[0].warnings,
    load: pick("loadMs"),
    nameSearch: pick("searchMs"),
    reverseLookup: pick("lookupMs"),
    targetMs: TARGET_MS,
  };
  result.met = result.load.medianMs < TARGET_MS && result.loaded === cards;
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    process.stdout.write(
      [
        `${cards} vCards, fresh process each run (${samples.length} runs):`,
        `  load            median ${result.load.medianMs} ms, p90 ${result.load.p90Ms} ms (target < ${TARGET_MS} ms: ${result.met ? "met" : "NOT met"}); ${result.loaded} loaded, ${result.warnings} warnings`,
        `  name search     median ${result.nameSearch.medianMs} ms`,
        `  reverse lookup  median ${result.reverseLookup.medianMs} ms`,
        "",
      ].join("\n"),
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
