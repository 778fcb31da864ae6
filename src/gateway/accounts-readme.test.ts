// The accounts file example in README.md is a file the gateway reads as the README says.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { resolveSettings } from "../features/settings/config.js";
import { readAccountsFile } from "./accounts.js";

it("README's --accounts example reads: two accounts, passwords from a command and a variable", async () => {
  const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
  const example = /```toml\n(# office\.toml[\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  const dir = await mkdtemp(path.join(tmpdir(), "dial3cx-accounts-"));
  try {
    const file = path.join(dir, "office.toml");
    await writeFile(file, example!);
    const base = resolveSettings({ env: {}, flags: { pbx: "https://pbx.example.com:5001" } });
    const specs = await readAccountsFile(file, base);
    expect(specs.map((s) => [s.settings.extension, s.passwordSources, s.passwordEnv])).toEqual([
      ["100", "explicit", undefined],
      ["101", "explicit", "PBX_PASSWORD_101"],
    ]);
    expect(specs[1]?.settings.device).toBe("Yealink T46S");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
