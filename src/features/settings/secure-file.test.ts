import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readIfExists, writeSecureFile } from "./secure-file.js";

const modeOf = async (p: string) => (await stat(p)).mode & 0o777;

describe.skipIf(process.platform === "win32")("writeSecureFile", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dial3cx-secure-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates missing parent directories 0700 and the file 0600", async () => {
    const file = path.join(dir, "a", "b", "secret.json");
    await writeSecureFile(file, "hello");
    expect(await readFile(file, "utf8")).toBe("hello");
    expect(await modeOf(file)).toBe(0o600);
    expect(await modeOf(path.join(dir, "a"))).toBe(0o700);
    expect(await modeOf(path.join(dir, "a", "b"))).toBe(0o700);
  });

  it("narrows an existing file with a wider mode to 0600", async () => {
    const file = path.join(dir, "secret.json");
    await writeFile(file, "old");
    await chmod(file, 0o644);
    await writeSecureFile(file, "new");
    expect(await readFile(file, "utf8")).toBe("new");
    expect(await modeOf(file)).toBe(0o600);
  });

  it("leaves an existing parent directory's mode alone", async () => {
    const parent = path.join(dir, "shared");
    await mkdir(parent, { mode: 0o755 });
    await chmod(parent, 0o755);
    await writeSecureFile(path.join(parent, "f"), "x");
    expect(await modeOf(parent)).toBe(0o755);
  });

  it("is 0600 whatever the umask", async () => {
    const previous = process.umask(0o277);
    try {
      await writeSecureFile(path.join(dir, "f"), "x");
    } finally {
      process.umask(previous);
    }
    expect(await modeOf(path.join(dir, "f"))).toBe(0o600);
  });

  it("leaves no temporary file behind, on success or failure", async () => {
    await writeSecureFile(path.join(dir, "f"), new Uint8Array([1, 2, 3]));
    expect(await readdir(dir)).toEqual(["f"]);
    // Renaming a file over a directory fails after the temporary file was written.
    await mkdir(path.join(dir, "taken"));
    await expect(writeSecureFile(path.join(dir, "taken"), "x")).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(["f", "taken"]);
  });

  it("survives concurrent writers: the file holds one complete version", async () => {
    const file = path.join(dir, "f");
    const versions = Array.from({ length: 20 }, (_, i) => `version ${i} `.repeat(1000));
    await Promise.all(versions.map((text) => writeSecureFile(file, text)));
    expect(versions).toContain(await readFile(file, "utf8"));
    expect(await readdir(dir)).toEqual(["f"]);
  });
});

describe("readIfExists", () => {
  it("returns undefined for a missing file and the text otherwise", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "dial3cx-read-"));
    try {
      expect(await readIfExists(path.join(dir, "missing"))).toBeUndefined();
      await writeFile(path.join(dir, "there"), "text");
      expect(await readIfExists(path.join(dir, "there"))).toBe("text");
      await expect(readIfExists(dir)).rejects.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
