import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../errors.js";
import { findPackageRoot, resolveDial3cxExe } from "./exe-path.js";

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

describe("resolveDial3cxExe", () => {
  it("finds bin/dial3cx.js of this package from the source tree", async () => {
    const exe = await resolveDial3cxExe({});
    expect(path.basename(exe)).toBe("dial3cx.js");
    expect(path.basename(path.dirname(exe))).toBe("bin");
    expect(path.isAbsolute(exe)).toBe(true);
  });

  it("walks up from a bundled chunk, past other packages", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "dial3cx-root-"));
    roots.push(root);
    await writeFile(path.join(root, "package.json"), JSON.stringify({ name: "dial3cx" }));
    const chunks = path.join(root, "dist", "cli", "chunks");
    await mkdir(chunks, { recursive: true });
    // A package.json that is not ours (or not even JSON) on the way up is skipped.
    await writeFile(path.join(root, "dist", "package.json"), '{"type": "module"}');
    await writeFile(path.join(root, "dist", "cli", "package.json"), "not json");
    const chunkUrl = pathToFileURL(path.join(chunks, "handler-ABC123.js")).href;
    expect(await resolveDial3cxExe({}, chunkUrl)).toBe(path.join(root, "bin", "dial3cx.js"));
  });

  it("prefers DIAL3CX_EXE, which must be absolute", async () => {
    expect(await resolveDial3cxExe({ DIAL3CX_EXE: "/x/dial3cx" })).toBe("/x/dial3cx");
    await expect(resolveDial3cxExe({ DIAL3CX_EXE: "dial3cx" })).rejects.toBeInstanceOf(ConfigError);
  });

  it("says what to set when there is no package above", async () => {
    await expect(findPackageRoot("/")).rejects.toThrow(/DIAL3CX_EXE/);
  });
});
