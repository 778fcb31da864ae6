// The --accounts file: TOML and JSON, defaults from the settings, password sources, and one-line
// errors that name the file and never show a value.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, NotLoggedInError } from "../errors.js";
import { apiKeyAccount } from "../features/calls/account.js";
import { resolveSettings } from "../features/settings/config.js";
import { memoryStore } from "../features/settings/secrets.js";
import { DEFAULT_DEMO_PASSWORD, defaultScenario, startSimulator } from "../sim/index.js";
import { AccountPool, accountFromSettings, readAccountsFile } from "./accounts.js";
import { tempHome } from "./testing.js";

const homes: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const remove of homes.splice(0)) await remove();
});

const base = resolveSettings({
  env: {},
  flags: { pbx: "https://pbx.example.com", extension: "100", device: "yealink" },
});

async function accountsFile(name: string, text: string): Promise<string> {
  const home = await tempHome();
  homes.push(home.remove);
  const file = path.join(home.root, name);
  await writeFile(file, text);
  return file;
}

describe("readAccountsFile", () => {
  it("reads [[account]] tables; missing keys come from the settings", async () => {
    const file = await accountsFile(
      "accounts.toml",
      [
        "[[account]]",
        'extension = "101"',
        'password_command = "pass show 3cx/101"',
        "",
        "[[account]]",
        "extension = 102",
        'pbx = "https://other.example.com/"',
        'password_env = "PW_102"',
        'device = "snom"',
        'ca = "certs/ca.pem"',
        "",
        "[[account]]",
        "extension = 103",
      ].join("\n"),
    );
    const specs = await readAccountsFile(file, base);
    expect(specs.map((s) => [s.settings.extension, s.settings.pbx, s.settings.device])).toEqual([
      ["101", "https://pbx.example.com", "yealink"],
      ["102", "https://other.example.com", "snom"],
      ["103", "https://pbx.example.com", "yealink"],
    ]);
    expect(specs[0]).toMatchObject({ passwordSources: "explicit" });
    expect(specs[0]!.settings.passwordCommand).toBe("pass show 3cx/101");
    expect(specs[1]).toMatchObject({ passwordSources: "explicit", passwordEnv: "PW_102" });
    expect(specs[1]!.settings.ca).toBe(path.join(path.dirname(file), "certs", "ca.pem"));
    expect(specs[2]).toMatchObject({ passwordSources: "keyring" });
    expect(specs[2]!.settings.passwordCommand).toBeUndefined();
  });

  it("reads JSON when the name ends in .json", async () => {
    const file = await accountsFile(
      "accounts.json",
      JSON.stringify({ account: [{ extension: "101", password_env: "PW" }] }),
    );
    expect((await readAccountsFile(file, base))[0]!.settings.extension).toBe("101");
  });

  it.each([
    [
      "a.toml",
      '[[account]]\nextension = "101"\npassword = "hunter2-secret"\n',
      /account\[0\]\.password: passwords never go in the accounts file/,
    ],
    [
      "b.json",
      '{"account": [{"extension": "101", "password": "hunter2-secret"}]}',
      /passwords never go/,
    ],
    ["c.toml", 'extension = "101"\n', /unknown|account/],
    ["d.toml", '[[account]]\npbx = "https://x.example"\n', /account\[0\]\.extension/],
    ["e.toml", '[[account]]\nextension = "1o1"\n', /account\[0\]\.extension must be digits/],
    [
      "f.toml",
      '[[account]]\nextension = "101"\npassword_env = "PW"\npassword_command = "x"\n',
      /not both/,
    ],
    [
      "g.toml",
      '[[account]]\nextension = "101"\n[[account]]\nextension = 101\n',
      /extension 101 is listed twice/,
    ],
    ["h.toml", '[[account]]\nextension = "101"\ntoken = "hunter2-secret"\n', /account\[0\]/],
    ["i.toml", 'account = [ { extension = "hunter2-secret', /invalid TOML \(line 1\)/],
    ["j.json", '{"account": [', /is not valid JSON/],
    ["k.toml", "account = []\n", /at least one/],
  ])("refuses %s in one line naming the file", async (name, text, problem) => {
    const file = await accountsFile(name, text);
    const error = await readAccountsFile(file, base).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message.startsWith(`${file}: `)).toBe(true);
    expect(message).toMatch(problem);
    expect(message).not.toContain("\n");
    expect(message).not.toContain("hunter2");
  });

  it("needs a pbx from the file or the settings", async () => {
    const file = await accountsFile("a.toml", '[[account]]\nextension = "101"\n');
    const noPbx = resolveSettings({ env: {} });
    await expect(readAccountsFile(file, noPbx)).rejects.toThrow(/extension 101 has no pbx/);
  });

  it("names a file it cannot read", async () => {
    await expect(readAccountsFile("/nonexistent/accounts.toml", base)).rejects.toThrow(
      /^\/nonexistent\/accounts\.toml: cannot be read \(ENOENT\)$/,
    );
  });
});

describe("accountFromSettings", () => {
  it("serves the configured extension with the CLI's password chain", () => {
    expect(accountFromSettings(base)).toMatchObject({ passwordSources: "settings" });
    expect(() => accountFromSettings(resolveSettings({ env: {} }))).toThrow(NotLoggedInError);
  });
});

describe("drivers", () => {
  it("reads driver and client_id per account, inheriting them from the settings", async () => {
    const file = await accountsFile(
      "accounts.toml",
      [
        "[[account]]",
        'extension = "101"',
        'driver = "webclient"',
        "[[account]]",
        'extension = "102"',
        "client_id = 901",
      ].join("\n"),
    );
    const withApi = resolveSettings({ env: {}, flags: { driver: "callcontrol", clientId: "900" } });
    const specs = await readAccountsFile(file, { ...base, ...withApi, pbx: base.pbx });
    expect(specs.map((s) => [s.settings.driver, s.settings.clientId])).toEqual([
      ["webclient", "900"],
      ["callcontrol", "901"],
    ]);
    const bad = await accountsFile("bad.toml", '[[account]]\nextension = "101"\ndriver = "sip"\n');
    await expect(readAccountsFile(bad, base)).rejects.toThrow(/account\[0\]\.driver must be/);
  });

  it('reads auth = "api-client" per account, which takes no password source', async () => {
    const file = await accountsFile(
      "accounts.toml",
      '[[account]]\nextension = "101"\nauth = "api-client"\nclient_id = 900\n[[account]]\nextension = "102"\n',
    );
    const specs = await readAccountsFile(file, base);
    expect(specs.map((s) => [s.settings.auth, s.settings.clientId])).toEqual([
      ["api-client", "900"],
      ["password", base.clientId],
    ]);
    const both = await accountsFile(
      "both.toml",
      '[[account]]\nextension = "101"\nauth = "api-client"\npassword_env = "PW"\n',
    );
    await expect(readAccountsFile(both, base)).rejects.toThrow(/needs no password/);
  });

  it("serves extensions through Call Control with one API client, the key from env or keyring", async () => {
    const sim = await startSimulator({
      scenario: {
        ...defaultScenario,
        apiClients: [{ clientId: "900", apiKey: "gateway-key", monitor: ["100", "101"] }],
      },
    });
    const home = await tempHome({ DIAL3CX_API_KEY: "gateway-key" });
    homes.push(async () => {
      await sim.stop();
      await home.remove();
    });
    const settings = resolveSettings({
      env: home.env,
      flags: { pbx: sim.url, extension: "100", driver: "callcontrol", clientId: "900" },
    });
    const file = path.join(home.root, "accounts.toml");
    await writeFile(
      file,
      '[[account]]\nextension = "100"\n[[account]]\nextension = "101"\npassword_env = "PW_101"\n',
    );
    const specs = await readAccountsFile(file, settings);
    const store = memoryStore();
    // 101 has an explicit password source; its API key still comes from the keyring.
    await store.set(apiKeyAccount(settings), "gateway-key");
    const { DIAL3CX_API_KEY: _key, ...envWithoutKey } = home.env;
    const pool = await AccountPool.open(specs, {
      paths: home.paths,
      env: { ...envWithoutKey, PW_101: "unused" },
      store,
    });
    homes.push(() => pool.close());
    expect(pool.list().map((a) => [a.extension, a.client.driver.kind])).toEqual([
      ["100", "callcontrol"],
      ["101", "callcontrol"],
    ]);
    expect(pool.get("101")!.client.devices()).toHaveLength(1);
  });

  it("a password_command sees neither the other accounts' password_env nor dial3cx's secrets", async () => {
    const sim = await startSimulator();
    const home = await tempHome({ DIAL3CX_API_KEY: "api-key-secret" });
    homes.push(async () => {
      await sim.stop();
      await home.remove();
    });
    const seen = path.join(home.root, "seen-env");
    const file = path.join(home.root, "accounts.toml");
    await writeFile(
      file,
      [
        '[[account]]\nextension = "100"\npassword_env = "PW_100"',
        `[[account]]\nextension = "101"\npassword_command = "env > '${seen}'; echo dial3cx-101"`,
      ].join("\n"),
    );
    const specs = await readAccountsFile(
      file,
      resolveSettings({ env: {}, flags: { pbx: sim.url } }),
    );
    const pool = await AccountPool.open(specs, {
      paths: home.paths,
      env: { ...home.env, PW_100: DEFAULT_DEMO_PASSWORD, USER_SETTING: "kept" },
      store: memoryStore(),
    });
    homes.push(() => pool.close());
    expect(pool.extensions()).toEqual(["100", "101"]);
    const env = await readFile(seen, "utf8");
    expect(env).toContain("USER_SETTING=kept\n");
    expect(env).not.toContain(DEFAULT_DEMO_PASSWORD);
    expect(env).not.toMatch(/^(PW_100|DIAL3CX_PASSWORD|DIAL3CX_API_KEY)=/m);
  });
});
