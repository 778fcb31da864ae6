import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "./errors.js";
import { dial3cxBin, findPackageRootFrom, packageRoot } from "./package-root.js";

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

describe("packageRoot", () => {
  it("finds this checkout from the source tree", () => {
    const root = packageRoot();
    expect(path.isAbsolute(root)).toBe(true);
    expect(dial3cxBin()).toBe(path.join(root, "bin", "dial3cx.js"));
  });

  it("walks up from a bundled chunk past other and broken package.json files", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "dial3cx-root-"));
    roots.push(root);
    await writeFile(path.join(root, "package.json"), JSON.stringify({ name: "dial3cx" }));
    const chunks = path.join(root, "dist", "cli", "chunks");
    await mkdir(chunks, { recursive: true });
    await writeFile(path.join(root, "dist", "package.json"), '{"type": "module"}');
    await writeFile(path.join(root, "dist", "cli", "package.json"), "not json");
    expect(packageRoot(path.join(chunks, "serve-ABC.js"))).toBe(root);
    expect(findPackageRootFrom(chunks)).toBe(root);
  });

  it("answers undefined, or a ConfigError, when there is no package above", () => {
    expect(findPackageRootFrom("/")).toBeUndefined();
    expect(() => packageRoot("/nowhere.js")).toThrow(ConfigError);
  });
});
