import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { isLoopback, normaliseFingerprint, resolveTlsTrust } from "./tls.js";

describe("resolveTlsTrust", () => {
  it("refuses plain http to another machine: the password would travel in clear", async () => {
    const error = await resolveTlsTrust(new URL("http://192.0.2.2:5000")).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/plain http.*https:\/\/.*--insecure/);
  });

  it("allows plain http on loopback, and elsewhere only with insecure", async () => {
    for (const url of ["http://127.0.0.1:5001", "http://localhost:5001", "http://[::1]:5001"]) {
      await expect(resolveTlsTrust(new URL(url))).resolves.toMatchObject({
        rejectUnauthorized: true,
      });
    }
    const trust = await resolveTlsTrust(new URL("http://192.0.2.2:5000"), { insecure: true });
    expect(trust.rejectUnauthorized).toBe(false);
  });

  it("verifies https with the system CAs by default", async () => {
    expect(await resolveTlsTrust(new URL("https://pbx.example.com"))).toMatchObject({
      rejectUnauthorized: true,
      description: "system CAs",
    });
  });
});

describe("resolveTlsTrust with a CA file", () => {
  const pbx = new URL("https://pbx.example.com");
  const caError = (ca: string) => resolveTlsTrust(pbx, { ca }).catch((error: unknown) => error);

  it("says in words why the file cannot be read", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "dial3cx-tls-"));
    try {
      const missing = path.join(dir, "nonexist.pem");
      const error = await caError(missing);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toBe(
        `Cannot read the CA file ${missing}: it does not exist.`,
      );
      expect(((await caError(dir)) as Error).message).toBe(
        `Cannot read the CA file ${dir}: it is a directory, not a file.`,
      );
      const locked = path.join(dir, "locked.pem");
      await writeFile(locked, "-----BEGIN CERTIFICATE-----\n");
      await chmod(locked, 0o000);
      // root reads the file regardless of its mode: nothing to check then.
      if (process.getuid?.() !== 0) {
        expect(((await caError(locked)) as Error).message).toBe(
          `Cannot read the CA file ${locked}: permission denied.`,
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("helpers", () => {
  it("recognises loopback hosts", () => {
    expect(["localhost", "127.0.0.1", "127.8.9.10", "[::1]", "::1"].map(isLoopback)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(["10.0.0.1", "pbx.example.com", "127.0.0.1.nip.io"].map(isLoopback)).toEqual([
      false,
      false,
      false,
    ]);
  });

  it("normalises fingerprints and refuses anything else", () => {
    const hex = "ab".repeat(32);
    expect(normaliseFingerprint(hex)).toBe(Array(32).fill("AB").join(":"));
    expect(normaliseFingerprint(`sha256:${hex}`)).toBe(Array(32).fill("AB").join(":"));
    expect(() => normaliseFingerprint("abc")).toThrow(ConfigError);
  });
});
