// API tokens and the webhook secret: generated once (0600), kept across starts, one per
// extension, refused when others could read them, and checked by digest in constant time.
import { chmod, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../errors.js";
import { tempHome } from "../../gateway/testing.js";
import {
  ensureTokens,
  ensureWebhookSecret,
  generateToken,
  readTokens,
  TokenRegistry,
  tokensFile,
  webhookSecretFile,
} from "./gateway-tokens.js";

const homes: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const remove of homes.splice(0)) await remove();
});

async function configDir() {
  const home = await tempHome();
  homes.push(home.remove);
  return home.paths;
}

describe("tokens file", () => {
  it("is created on first start under $XDG_CONFIG_HOME/dial3cx, mode 0600, one token per extension", async () => {
    const paths = await configDir();
    const file = tokensFile(paths);
    expect(file).toBe(path.join(paths.configDir, "gateway-tokens"));
    const tokens = await ensureTokens(file, ["100", "101"]);
    expect([...tokens.keys()]).toEqual(["100", "101"]);
    for (const token of tokens.values()) expect(token).toMatch(/^d3x_[A-Za-z0-9_-]{43}$/);
    expect(tokens.get("100")).not.toBe(tokens.get("101"));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(paths.configDir)).mode & 0o777).toBe(0o700);
    const text = await readFile(file, "utf8");
    expect(text).toContain(`100=${tokens.get("100")}\n`);
  });

  it("keeps existing tokens, adds missing ones, and leaves other extensions' alone", async () => {
    const file = tokensFile(await configDir());
    const first = await ensureTokens(file, ["100", "102"]);
    const second = await ensureTokens(file, ["100", "101"]);
    expect(second.get("100")).toBe(first.get("100"));
    expect([...second.keys()]).toEqual(["100", "101"]);
    expect((await readTokens(file)).get("102")).toBe(first.get("102"));
  });

  it("accepts hand-written tokens and comments", async () => {
    const file = tokensFile(await configDir());
    await ensureTokens(file, ["999"]);
    await writeFile(file, "# mine\n\n100 = my-own-long-token-value-1234\n", { mode: 0o600 });
    expect((await ensureTokens(file, ["100"])).get("100")).toBe("my-own-long-token-value-1234");
  });

  it("refuses a file others can read, and a malformed line, without echoing secrets", async () => {
    const file = tokensFile(await configDir());
    await ensureTokens(file, ["100"]);
    await chmod(file, 0o644);
    await expect(readTokens(file)).rejects.toThrow(
      /readable by other users \(mode 0644\): run chmod 600/,
    );
    await writeFile(file, "100=short\n", { mode: 0o600 });
    await chmod(file, 0o600);
    const error = await readTokens(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/line 1 is not "extension=token"/);
    expect((error as Error).message).not.toContain("short");
  });
});

describe("TokenRegistry", () => {
  it("maps a token to its one extension and nothing else", () => {
    const a = generateToken();
    const b = generateToken();
    const registry = new TokenRegistry(
      new Map([
        ["100", a],
        ["101", b],
      ]),
    );
    expect(registry.authenticate(a)).toBe("100");
    expect(registry.authenticate(b)).toBe("101");
    for (const wrong of ["", a.slice(0, -1), `${a}x`, a.toUpperCase(), "d3x_"]) {
      expect(registry.authenticate(wrong), wrong).toBeUndefined();
    }
  });
});

describe("webhook secret", () => {
  it("is generated once, 0600, next to the tokens", async () => {
    const paths = await configDir();
    const file = webhookSecretFile(paths);
    expect(path.dirname(file)).toBe(path.dirname(tokensFile(paths)));
    const secret = await ensureWebhookSecret(file);
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(await ensureWebhookSecret(file)).toBe(secret);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});
