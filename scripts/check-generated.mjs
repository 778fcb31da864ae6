// CI guard: regenerating the protobuf code from proto/ must reproduce the committed files exactly.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const committed = "src/protocol/gen";
const out = mkdtempSync(join(tmpdir(), "dial3cx-gen-"));
try {
  execFileSync("npx", ["--no-install", "buf", "generate", "--output", out], { stdio: "inherit" });
  const fresh = join(out, committed);
  const names = new Set([...readdirSync(committed), ...readdirSync(fresh)]);
  const stale = [...names].filter((name) => {
    try {
      return !readFileSync(join(committed, name)).equals(readFileSync(join(fresh, name)));
    } catch {
      return true;
    }
  });
  if (stale.length > 0) {
    console.error(
      `Generated code is stale: ${stale.join(", ")}. Run \`npm run generate\` and commit.`,
    );
    process.exit(1);
  }
  console.log("Generated protobuf code is up to date.");
} finally {
  rmSync(out, { recursive: true, force: true });
}
