import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { NotLoggedInError } from "../../errors.js";
import { DEFAULT_DEMO_PASSWORD, type Simulator, startSimulator } from "../../sim/index.js";
import { resolveSettings } from "../settings/config.js";
import { appPaths } from "../settings/paths.js";
import { memoryStore, type SecretStore } from "../settings/secrets.js";
import {
  type AccountOptions,
  apiKeyAccount,
  callControlCredentials,
  openAccount,
  rememberSession,
} from "./account.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A memory store that counts writes, standing in for the OS keyring. */
function countingStore(): SecretStore & { writes: string[] } {
  const inner = memoryStore();
  const writes: string[] = [];
  return {
    ...inner,
    writes,
    set: (account, secret) => {
      writes.push(account);
      return inner.set(account, secret);
    },
  };
}

async function setup(): Promise<{
  sim: Simulator;
  options: AccountOptions;
  store: ReturnType<typeof countingStore>;
}> {
  const sim = await startSimulator({ port: 0 });
  const home = await mkdtemp(join(tmpdir(), "dial3cx-account-"));
  cleanups.push(
    () => sim.stop(),
    () => rm(home, { recursive: true, force: true }),
  );
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: join(home, "config"),
    XDG_STATE_HOME: join(home, "state"),
    DIAL3CX_PASSWORD: DEFAULT_DEMO_PASSWORD,
  };
  const store = countingStore();
  const settings = resolveSettings({
    env: { ...env, DIAL3CX_PBX: sim.url, DIAL3CX_EXTENSION: "100" },
  });
  return { sim, store, options: { settings, paths: appPaths(env), env, events: false, store } };
}

describe("the warm session and the keyring", () => {
  it("stores the refresh token after a login, and not again when it resumed with the same", async () => {
    const { options, store } = await setup();
    const cold = await openAccount(options);
    await rememberSession(cold, options);
    await cold.close();
    expect(store.writes).toEqual([`refresh-token:100@${options.settings.pbx}`]);

    const warm = await openAccount(options);
    await warm.makeCall("123");
    await rememberSession(warm, options);
    await warm.close();
    expect(store.writes).toHaveLength(1);
  });
});

// Where the Call Control API client comes from: client id from the settings, API key from
// DIAL3CX_API_KEY or the keyring, and what each driver choice does without one.
const PBX = "https://pbx.example.com";

function settingsWith(driver?: string, clientId?: string) {
  return resolveSettings({ env: {}, flags: { pbx: PBX, extension: "100", driver, clientId } });
}

describe("callControlCredentials", () => {
  it("takes the key from DIAL3CX_API_KEY first, then the keyring", async () => {
    const settings = settingsWith("auto", "900");
    const store = memoryStore();
    await store.set(apiKeyAccount(settings), "from-keyring");
    expect(apiKeyAccount(settings)).toBe(`api-key:900@${PBX}`);
    expect(
      await callControlCredentials({ settings, env: { DIAL3CX_API_KEY: "from-env" } }, store),
    ).toEqual({ clientId: "900", apiKey: "from-env" });
    expect(await callControlCredentials({ settings, env: {} }, store)).toEqual({
      clientId: "900",
      apiKey: "from-keyring",
    });
  });

  it("gives none for the web-client driver, without a client id, or with auto and no key", async () => {
    const env = { DIAL3CX_API_KEY: "key" };
    const store = memoryStore();
    expect(
      await callControlCredentials({ settings: settingsWith("webclient", "900"), env }, store),
    ).toBeUndefined();
    expect(
      await callControlCredentials({ settings: settingsWith("auto"), env }, store),
    ).toBeUndefined();
    expect(
      await callControlCredentials({ settings: settingsWith("auto", "900"), env: {} }, store),
    ).toBeUndefined();
  });

  it("insists on a key when the driver is callcontrol", async () => {
    const attempt = callControlCredentials(
      { settings: settingsWith("callcontrol", "900"), env: {} },
      memoryStore(),
    );
    await expect(attempt).rejects.toThrow(NotLoggedInError);
    await expect(attempt).rejects.toThrow(`account "api-key:900@${PBX}"`);
  });

  it("treats an unavailable keyring like an empty one", async () => {
    const broken = {
      ...memoryStore(),
      get: async () => {
        throw new Error("no Secret Service");
      },
    };
    expect(
      await callControlCredentials({ settings: settingsWith("auto", "900"), env: {} }, broken),
    ).toBeUndefined();
  });
});
