import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  clearSessionCache,
  loadSessionCache,
  MAX_SESSIONS,
  type SessionCache,
  saveSessionCache,
} from "./state-cache.js";

const NOW = 1_750_000_000_000;
const PBX = "https://pbx.example.com";
const expected = { pbx: PBX, extension: "100", now: NOW };

function sampleCache(overrides: Partial<SessionCache> = {}): SessionCache {
  return {
    version: 1,
    pbx: PBX,
    extension: "100",
    pbxVersion: 20,
    sessionKey: "5f0c-session",
    pass: "B1D4-pass",
    accessToken: "eyJ.access",
    accessTokenExpiresAt: NOW + 60_000,
    cookies: { ".AspNetCore.Session": "abc" },
    devices: [
      {
        id: "1",
        contact: "sip:100@10.0.0.5:5060",
        userAgent: "Yealink T46S",
        expiresAt: NOW + 3_600_000,
      },
      { id: "2", contact: "sip:100@10.0.0.9", sourceAddress: "10.0.0.9:5062" },
    ],
    savedAt: NOW - 1_000,
    ...overrides,
  };
}

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dial3cx-state-"));
  file = path.join(dir, "state", "dial3cx", "session.json");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

describe("session cache", () => {
  it("round-trips, in a 0600 file inside a 0700 directory", async () => {
    await saveSessionCache(file, sampleCache());
    expect(await loadSessionCache(file, expected)).toEqual(sampleCache());
    if (process.platform !== "win32") {
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    }
  });

  it("is absent when there is no file", async () => {
    expect(await loadSessionCache(file, expected)).toBeUndefined();
  });

  it("never writes a password, a refresh token or the refresh-token cookie", async () => {
    const withSecrets = {
      ...sampleCache({ cookies: { RefreshTokenCookie: "eyJ.refresh", other: "kept" } }),
      password: "hunter2",
      refreshToken: "eyJ.refresh",
    };
    await saveSessionCache(file, withSecrets);
    const text = await readFile(file, "utf8");
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("eyJ.refresh");
    expect((await loadSessionCache(file, expected))?.cookies).toEqual({ other: "kept" });

    await saveSessionCache(file, sampleCache({ cookies: { refreshtokencookie: "eyJ.refresh" } }));
    expect(await readFile(file, "utf8")).not.toContain("eyJ.refresh");
    expect((await loadSessionCache(file, expected))?.cookies).toBeUndefined();
  });

  it("is absent for another PBX or extension, and the file is kept", async () => {
    await saveSessionCache(file, sampleCache());
    expect(
      await loadSessionCache(file, { ...expected, pbx: "https://other.example.com" }),
    ).toBeUndefined();
    expect(await loadSessionCache(file, { ...expected, extension: "101" })).toBeUndefined();
    expect(await exists(file)).toBe(true);
    expect(await loadSessionCache(file, { ...expected, pbx: `${PBX}/` })).toBeDefined();
  });

  it.each([
    ["not JSON", "{not json"],
    ["another version", JSON.stringify({ ...sampleCache(), version: 2 })],
    ["a missing field", JSON.stringify({ ...sampleCache(), sessionKey: undefined })],
    ["a wrong type", JSON.stringify({ ...sampleCache(), devices: [{ id: 1, contact: "x" }] })],
    ["an unknown PBX version", JSON.stringify({ ...sampleCache(), pbxVersion: 19 })],
    ["an empty session key", JSON.stringify({ ...sampleCache(), sessionKey: "" })],
    ["a negative time", JSON.stringify({ ...sampleCache(), savedAt: -1 })],
    ["a cookie that is not text", JSON.stringify({ ...sampleCache(), cookies: { a: 1 } })],
    ["cookies in a list", JSON.stringify({ ...sampleCache(), cookies: ["a"] })],
    ["a device that is not an object", JSON.stringify({ ...sampleCache(), devices: ["sip:x"] })],
    ["a list at the top", JSON.stringify([sampleCache()])],
  ])("treats a file with %s as absent and deletes it", async (_name, text) => {
    await saveSessionCache(file, sampleCache());
    await writeFile(file, text);
    expect(await loadSessionCache(file, expected)).toBeUndefined();
    expect(await exists(file)).toBe(false);
  });

  it("loads only the fields it knows, in the devices too", async () => {
    const cache = sampleCache();
    const extra = { ...cache, note: "x", devices: [{ ...cache.devices[0], port: 5060 }] };
    await saveSessionCache(file, cache); // makes the directory
    await writeFile(file, JSON.stringify(extra));
    const loaded = await loadSessionCache(file, expected);
    expect(loaded).toEqual({ ...cache, devices: [cache.devices[0]] });
    expect(loaded).not.toHaveProperty("note");
    expect(loaded?.devices[0]).not.toHaveProperty("port");
  });

  it("leaves out expired devices and an expired access token", async () => {
    await saveSessionCache(
      file,
      sampleCache({
        accessTokenExpiresAt: NOW,
        devices: [
          { id: "1", contact: "sip:a", expiresAt: NOW - 1 },
          { id: "2", contact: "sip:b", expiresAt: NOW + 1 },
          { id: "3", contact: "sip:c" },
        ],
      }),
    );
    const loaded = await loadSessionCache(file, expected);
    expect(loaded?.devices.map((device) => device.id)).toEqual(["2", "3"]);
    expect(loaded).not.toHaveProperty("accessToken");
    expect(loaded).not.toHaveProperty("accessTokenExpiresAt");
    expect(loaded?.sessionKey).toBe("5f0c-session");
  });

  it("refuses to save an invalid cache and writes nothing", async () => {
    await expect(saveSessionCache(file, sampleCache({ sessionKey: "" }))).rejects.toThrow(
      /sessionKey/,
    );
    expect(await exists(file)).toBe(false);
  });

  it("clears, saying whether there was anything", async () => {
    expect(await clearSessionCache(file)).toBe(false);
    await saveSessionCache(file, sampleCache());
    expect(await clearSessionCache(file)).toBe(true);
    expect(await exists(file)).toBe(false);
  });

  it("keeps sessions of several PBXs and extensions side by side", async () => {
    const other = "https://other.example.com";
    await saveSessionCache(file, sampleCache());
    // A one-off --pbx, then a one-off --extension: the saved session stays.
    await saveSessionCache(file, sampleCache({ pbx: other, sessionKey: "other-key" }));
    await saveSessionCache(file, sampleCache({ extension: "101", sessionKey: "ext-101" }));
    expect((await loadSessionCache(file, expected))?.sessionKey).toBe("5f0c-session");
    expect((await loadSessionCache(file, { ...expected, pbx: other }))?.sessionKey).toBe(
      "other-key",
    );
    expect((await loadSessionCache(file, { ...expected, extension: "101" }))?.sessionKey).toBe(
      "ext-101",
    );
    // Saving one account's session again replaces only that one.
    await saveSessionCache(file, sampleCache({ sessionKey: "renewed" }));
    expect((await loadSessionCache(file, expected))?.sessionKey).toBe("renewed");
    expect((await loadSessionCache(file, { ...expected, pbx: other }))?.sessionKey).toBe(
      "other-key",
    );
  });

  it("keeps at most MAX_SESSIONS, dropping the least recently changed", async () => {
    for (let i = 0; i <= MAX_SESSIONS; i++) {
      await saveSessionCache(file, sampleCache({ extension: String(200 + i) }));
    }
    expect(await loadSessionCache(file, { ...expected, extension: "200" })).toBeUndefined();
    expect(await loadSessionCache(file, { ...expected, extension: "201" })).toBeDefined();
    const newest = { ...expected, extension: String(200 + MAX_SESSIONS) };
    expect(await loadSessionCache(file, newest)).toBeDefined();
  });

  it("does not write what did not change (savedAt aside)", async () => {
    expect(await saveSessionCache(file, sampleCache())).toBe(true);
    const before = await stat(file);
    const text = await readFile(file, "utf8");
    expect(await saveSessionCache(file, sampleCache({ savedAt: NOW + 5_000 }))).toBe(false);
    const after = await stat(file);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(await readFile(file, "utf8")).toBe(text);
    // Same content in another key order is the same content.
    const { devices, ...rest } = sampleCache();
    expect(await saveSessionCache(file, { devices, ...rest })).toBe(false);
    // A changed cookie is a change.
    expect(
      await saveSessionCache(file, sampleCache({ cookies: { ".AspNetCore.Session": "x" } })),
    ).toBe(true);
  });

  it("reads a file of the first format (one session at the top)", async () => {
    await saveSessionCache(file, sampleCache()); // makes the directory
    await writeFile(file, JSON.stringify(sampleCache()));
    expect(await loadSessionCache(file, expected)).toEqual(sampleCache());
    await saveSessionCache(file, sampleCache({ extension: "101" }));
    expect(await loadSessionCache(file, expected)).toEqual(sampleCache());
  });
});
