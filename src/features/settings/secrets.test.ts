import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { BadInputError, ConfigError } from "../../errors.js";
import {
  type KeyringEntry,
  KeyringUnavailableError,
  keyringStore,
  memoryStore,
  resolvePassword,
  runPasswordCommand,
  type SecretStore,
  withoutSecrets,
} from "./secrets.js";

const ACCOUNT = "100@https://pbx.example.com";
const onUnix = process.platform !== "win32";

describe("memoryStore", () => {
  it("gets, sets and deletes per account", async () => {
    const store = memoryStore();
    expect(await store.get(ACCOUNT)).toBeUndefined();
    await store.set(ACCOUNT, "s3cret");
    expect(await store.get(ACCOUNT)).toBe("s3cret");
    expect(await store.get("101@https://pbx.example.com")).toBeUndefined();
    expect(await store.delete(ACCOUNT)).toBe(true);
    expect(await store.delete(ACCOUNT)).toBe(false);
    expect(await store.get(ACCOUNT)).toBeUndefined();
  });
});

function fakeEntry(overrides: Partial<KeyringEntry> = {}): KeyringEntry {
  return {
    getPassword: async () => null,
    setPassword: async () => {},
    deleteCredential: async () => false,
    ...overrides,
  };
}

describe("keyringStore", () => {
  it("passes service and account to the entry and maps null to undefined", async () => {
    const opened: string[] = [];
    const saved = new Map<string, string>();
    const store = keyringStore("svc", {
      openEntry: (service, account) => {
        opened.push(`${service}/${account}`);
        return fakeEntry({
          getPassword: async () => saved.get(account) ?? null,
          setPassword: async (password) => {
            saved.set(account, password);
          },
          deleteCredential: async () => saved.delete(account),
        });
      },
    });
    expect(store.name).toBe("keyring");
    expect(await store.get(ACCOUNT)).toBeUndefined();
    await store.set(ACCOUNT, "pw");
    expect(await store.get(ACCOUNT)).toBe("pw");
    expect(await store.delete(ACCOUNT)).toBe(true);
    expect(opened).toEqual(Array(4).fill(`svc/${ACCOUNT}`));
  });

  it("turns a library failure into KeyringUnavailableError", async () => {
    const store = keyringStore("svc", {
      openEntry: () =>
        fakeEntry({
          getPassword: async () => {
            throw new Error("Platform failure: DBus error: no secrets\nsecond line");
          },
        }),
    });
    const error = await store.get(ACCOUNT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyringUnavailableError);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      "No keyring available (Platform failure: DBus error: no secrets): set password_command in config.toml or DIAL3CX_PASSWORD instead.",
    );
  });

  it("gives up on a keyring that never answers, and aborts the call", async () => {
    let signalSeen: AbortSignal | undefined;
    const store = keyringStore("svc", {
      timeoutMs: 50,
      openEntry: () =>
        fakeEntry({
          getPassword: (signal) => {
            signalSeen = signal;
            return new Promise(() => {});
          },
        }),
    });
    const started = Date.now();
    await expect(store.get(ACCOUNT)).rejects.toThrow(KeyringUnavailableError);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(signalSeen?.aborted).toBe(true);
  });

  describe.runIf(process.platform === "linux")("the real Secret Service, unreachable", () => {
    const savedBus = process.env.DBUS_SESSION_BUS_ADDRESS;
    beforeAll(() => {
      // Make the machine's keyring (if any) unreachable, so this is the same everywhere.
      process.env.DBUS_SESSION_BUS_ADDRESS = "unix:path=/nonexistent/dial3cx-test-bus";
    });
    afterAll(() => {
      if (savedBus === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
      else process.env.DBUS_SESSION_BUS_ADDRESS = savedBus;
    });

    it("fails fast with KeyringUnavailableError on get, set and delete", async () => {
      const store = keyringStore("dial3cx-test", { timeoutMs: 5_000 });
      const started = Date.now();
      await expect(store.get(ACCOUNT)).rejects.toThrow(KeyringUnavailableError);
      await expect(store.set(ACCOUNT, "pw")).rejects.toThrow(/^No keyring available/);
      await expect(store.delete(ACCOUNT)).rejects.toThrow(KeyringUnavailableError);
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it("lets resolvePassword report no password, and say why", async () => {
      const onKeyringUnavailable = vi.fn();
      const result = await resolvePassword({
        account: ACCOUNT,
        store: keyringStore("dial3cx-test", { timeoutMs: 5_000 }),
        env: {},
        onKeyringUnavailable,
      });
      expect(result).toBeUndefined();
      expect(onKeyringUnavailable).toHaveBeenCalledWith(expect.any(KeyringUnavailableError));
    });
  });
});

describe("resolvePassword", () => {
  async function storeWith(secret?: string): Promise<SecretStore> {
    const store = memoryStore();
    if (secret !== undefined) await store.set(ACCOUNT, secret);
    return store;
  }
  const stdin = (text: string) => async () => text;

  type Sources = { stdin?: boolean; keyring?: boolean; command?: boolean; env?: boolean };
  it.runIf(onUnix).each<[string, Sources, string, string]>([
    [
      "stdin first",
      { stdin: true, keyring: true, command: true, env: true },
      "stdin",
      "from-stdin",
    ],
    ["then DIAL3CX_PASSWORD", { keyring: true, command: true, env: true }, "env", "from-env"],
    ["then password_command", { keyring: true, command: true }, "password_command", "from-command"],
    ["then the keyring", { keyring: true }, "keyring", "from-keyring"],
  ])("%s", async (_name, sources, source, password) => {
    const result = await resolvePassword({
      account: ACCOUNT,
      store: await storeWith(sources.keyring ? "from-keyring" : undefined),
      passwordCommand: sources.command ? "printf from-command" : undefined,
      env: sources.env ? { DIAL3CX_PASSWORD: "from-env" } : {},
      stdin: sources.stdin ? stdin("from-stdin\n") : undefined,
    });
    expect(result).toEqual({ password, source });
  });

  it("returns undefined when there is no password anywhere", async () => {
    expect(
      await resolvePassword({ account: ACCOUNT, store: await storeWith(), env: {} }),
    ).toBeUndefined();
    expect(
      await resolvePassword({ account: ACCOUNT, env: { DIAL3CX_PASSWORD: "" } }),
    ).toBeUndefined();
  });

  it("keeps stdin as typed except for one trailing newline, and refuses empty stdin", async () => {
    const read = async (text: string) =>
      (await resolvePassword({ account: ACCOUNT, env: {}, stdin: stdin(text) }))?.password;
    expect(await read(" pass word \r\n")).toBe(" pass word ");
    expect(await read("pw")).toBe("pw");
    await expect(read("\n")).rejects.toThrow(BadInputError);
  });

  it("lets a store's own (non-keyring) errors through", async () => {
    const broken: SecretStore = {
      ...memoryStore(),
      get: async () => {
        throw new TypeError("bug");
      },
    };
    await expect(resolvePassword({ account: ACCOUNT, store: broken, env: {} })).rejects.toThrow(
      TypeError,
    );
  });

  it("skips a keyring that never answers", async () => {
    const store = keyringStore("svc", {
      timeoutMs: 50,
      openEntry: () => fakeEntry({ getPassword: () => new Promise(() => {}) }),
    });
    const result = await resolvePassword({
      account: ACCOUNT,
      store,
      env: { DIAL3CX_PASSWORD: "from-env" },
    });
    expect(result).toEqual({ password: "from-env", source: "env" });
  });
});

describe.runIf(onUnix)("runPasswordCommand", () => {
  it("returns trimmed stdout", async () => {
    expect(await runPasswordCommand("printf secret", {})).toBe("secret");
    expect(await runPasswordCommand("printf '  secret \\n\\n'", {})).toBe("secret");
  });

  it("passes the environment it is given", async () => {
    expect(await runPasswordCommand('printf "$PW_FOR_TEST"', { PW_FOR_TEST: "x y" })).toBe("x y");
  });

  it("hides dial3cx's secrets and the names it is told from the command", async () => {
    const env = { DIAL3CX_PASSWORD: "pw", DIAL3CX_API_KEY: "key", PW_101: "other", KEPT: "k" };
    const seen = 'printf \'[%s]\' "$DIAL3CX_PASSWORD" "$DIAL3CX_API_KEY" "$PW_101" "$KEPT"';
    expect(await runPasswordCommand(seen, env, ["PW_101"])).toBe("[][][][k]");
  });

  it("names the exit code, never the command or its output", async () => {
    const error = await runPasswordCommand("echo leaked-secret; exit 3", {}).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain("exit code 3");
    expect(message).not.toContain("leaked-secret");
    expect(message).not.toContain("echo");
  });

  it("fails through resolvePassword rather than falling back to the keyring", async () => {
    const store = memoryStore();
    await store.set(ACCOUNT, "from-keyring");
    await expect(
      resolvePassword({ account: ACCOUNT, passwordCommand: "exit 3", env: {}, store }),
    ).rejects.toThrow(/password_command in config.toml failed with exit code 3/);
    // DIAL3CX_PASSWORD comes first: the command is not even run.
    expect(
      await resolvePassword({
        account: ACCOUNT,
        passwordCommand: "exit 3",
        env: { DIAL3CX_PASSWORD: "env" },
      }),
    ).toEqual({ password: "env", source: "env" });
  });

  it("refuses empty output and reports a signal", async () => {
    await expect(runPasswordCommand("printf '\\n'", {})).rejects.toThrow("printed nothing");
    await expect(runPasswordCommand("kill -TERM $$", {})).rejects.toThrow("killed by SIGTERM");
  });
});

describe("withoutSecrets", () => {
  it("drops DIAL3CX_PASSWORD, DIAL3CX_API_KEY and the extra names, keeps the rest", () => {
    const env = { DIAL3CX_PASSWORD: "pw", DIAL3CX_API_KEY: "key", PW_101: "x", PATH: "/bin" };
    expect(withoutSecrets(env)).toEqual({ PW_101: "x", PATH: "/bin" });
    expect(withoutSecrets(env, ["PW_101"])).toEqual({ PATH: "/bin" });
    // A copy: the caller's environment is left alone.
    expect(env.DIAL3CX_PASSWORD).toBe("pw");
  });
});
