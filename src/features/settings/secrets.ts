// Where the PBX password comes from: --password-stdin, DIAL3CX_PASSWORD, the config's
// password_command, or the OS keyring (Secret Service on Linux), in that order — behind one SecretStore interface so tests
// use an in-memory store. The password is never put on argv and never written to our own files,
// and withoutSecrets() keeps the secrets dial3cx reads from the environment out of child processes.
import { spawn } from "node:child_process";
import { BadInputError, ConfigError } from "../../errors.js";

export interface SecretStore {
  get(account: string): Promise<string | undefined>;
  set(account: string, secret: string): Promise<void>;
  delete(account: string): Promise<boolean>;
  readonly name: string;
}

/** The keyring cannot be reached (no Secret Service, no D-Bus, locked, timed out). */
export class KeyringUnavailableError extends ConfigError {
  constructor(reason: string) {
    super(
      `No keyring available (${reason}): set password_command in config.toml or DIAL3CX_PASSWORD instead.`,
    );
  }
}

/** The part of @napi-rs/keyring's AsyncEntry this module uses; replaceable in tests. */
export interface KeyringEntry {
  getPassword(signal?: AbortSignal): Promise<string | null>;
  setPassword(password: string, signal?: AbortSignal): Promise<void>;
  deleteCredential(signal?: AbortSignal): Promise<boolean>;
}

export interface KeyringOptions {
  /** A call that takes longer fails with KeyringUnavailableError. Leaves room for an unlock prompt. */
  timeoutMs?: number;
  openEntry?: (service: string, account: string) => KeyringEntry | Promise<KeyringEntry>;
}

export const DEFAULT_KEYRING_TIMEOUT_MS = 30_000;

/**
 * The OS keyring. On Linux it is pinned to the Secret Service (the same entries as `secret-tool`):
 * the library's fallback, the kernel keyring, forgets everything at logout. Without a Secret
 * Service every call fails fast with KeyringUnavailableError.
 */
export function keyringStore(service = "dial3cx", options: KeyringOptions = {}): SecretStore {
  const timeoutMs = options.timeoutMs ?? DEFAULT_KEYRING_TIMEOUT_MS;
  const openEntry = options.openEntry ?? openNapiEntry;
  const call = <T>(
    account: string,
    action: (entry: KeyringEntry, signal: AbortSignal) => Promise<T>,
  ) => withTimeout(timeoutMs, async (signal) => action(await openEntry(service, account), signal));
  return {
    name: "keyring",
    get: async (account) =>
      (await call(account, (entry, signal) => entry.getPassword(signal))) ?? undefined,
    set: (account, secret) => call(account, (entry, signal) => entry.setPassword(secret, signal)),
    delete: (account) => call(account, (entry, signal) => entry.deleteCredential(signal)),
  };
}

async function openNapiEntry(service: string, account: string): Promise<KeyringEntry> {
  // Loaded on first use: the native module costs ~30 ms that most commands do not need.
  const { AsyncEntry } = await import("@napi-rs/keyring");
  return new AsyncEntry(service, account, { linux: { store: "secret-service" } });
}

/** Runs `action`, turning any failure or a timeout into KeyringUnavailableError. */
async function withTimeout<T>(
  timeoutMs: number,
  action: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new KeyringUnavailableError(`no answer within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([action(controller.signal), timedOut]);
  } catch (error) {
    if (error instanceof KeyringUnavailableError) throw error;
    throw new KeyringUnavailableError(describeKeyringFailure(error));
  } finally {
    clearTimeout(timer);
  }
}

function describeKeyringFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = (message.split("\n", 1)[0] ?? "").trim();
  return firstLine.length > 160 ? `${firstLine.slice(0, 160)}…` : firstLine || "unknown error";
}

export function memoryStore(): SecretStore {
  const secrets = new Map<string, string>();
  return {
    name: "memory",
    get: async (account) => secrets.get(account),
    set: async (account, secret) => {
      secrets.set(account, secret);
    },
    delete: async (account) => secrets.delete(account),
  };
}

export type PasswordSource = "stdin" | "keyring" | "password_command" | "env";

export interface ResolvePasswordOptions {
  /** Keyring account, e.g. "100@https://pbx.example.com". */
  account: string;
  store?: SecretStore;
  passwordCommand?: string;
  env: NodeJS.ProcessEnv;
  /** Given only with --password-stdin: reads all of stdin. */
  stdin?: () => Promise<string>;
  /** Told when the keyring could not be used, before the chain moves on (for debug logs). */
  onKeyringUnavailable?: (error: KeyringUnavailableError) => void;
  /** More variables password_command must not see (the gateway's other accounts' password_env). */
  hiddenFromCommand?: readonly string[];
}

/**
 * The first password found, in this order: --password-stdin > DIAL3CX_PASSWORD >
 * password_command > keyring, as the README says (the environment before the config, and either
 * one can override a stale keyring entry). An unavailable keyring is skipped; a failing
 * password_command throws.
 */
export async function resolvePassword(
  options: ResolvePasswordOptions,
): Promise<{ password: string; source: PasswordSource } | undefined> {
  if (options.stdin)
    return { password: await readPasswordFromStdin(options.stdin), source: "stdin" };
  const fromEnv = options.env.DIAL3CX_PASSWORD;
  if (fromEnv) return { password: fromEnv, source: "env" };
  if (options.passwordCommand) {
    return {
      password: await runPasswordCommand(
        options.passwordCommand,
        options.env,
        options.hiddenFromCommand,
      ),
      source: "password_command",
    };
  }
  const fromKeyring = await getFromStore(options);
  if (fromKeyring) return { password: fromKeyring, source: "keyring" };
  return undefined;
}

async function readPasswordFromStdin(read: () => Promise<string>): Promise<string> {
  // Like `docker login --password-stdin`: drop the newline `echo` adds, keep everything else.
  const password = (await read()).replace(/\r?\n$/, "");
  if (password === "") throw new BadInputError("--password-stdin: stdin was empty.", "usage");
  return password;
}

async function getFromStore(options: ResolvePasswordOptions): Promise<string | undefined> {
  if (!options.store) return undefined;
  try {
    return await options.store.get(options.account);
  } catch (error) {
    if (!(error instanceof KeyringUnavailableError)) throw error;
    options.onKeyringUnavailable?.(error);
    return undefined;
  }
}

/**
 * Runs `command` through /bin/sh -c and returns its trimmed stdout. stderr goes to ours, so the
 * user sees why e.g. `pass` failed; errors name the exit code, never the command or its output.
 * It gets the user's environment without dial3cx's secrets and `hiddenNames`.
 */
export function runPasswordCommand(
  command: string,
  env: NodeJS.ProcessEnv,
  hiddenNames: readonly string[] = [],
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", command], {
      env: withoutSecrets(env, hiddenNames),
      stdio: ["ignore", "pipe", "inherit"],
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.on("error", (error: NodeJS.ErrnoException) => {
      reject(passwordCommandError(`could not be started (${error.code ?? "spawn error"})`));
    });
    child.on("close", (code, signal) => {
      if (signal) return reject(passwordCommandError(`was killed by ${signal}`));
      if (code !== 0) return reject(passwordCommandError(`failed with exit code ${code}`));
      const password = Buffer.concat(chunks).toString("utf8").trim();
      if (password === "") return reject(passwordCommandError("printed nothing"));
      resolve(password);
    });
  });
}

/** The secrets dial3cx reads from the environment. */
const SECRET_ENV_NAMES = ["DIAL3CX_PASSWORD", "DIAL3CX_API_KEY"];

/**
 * A copy of `env` without DIAL3CX_PASSWORD, DIAL3CX_API_KEY and `extraNames`: the environment for
 * a child process (notify-send, zenity, a picker, a password_command) that has no use for them.
 */
export function withoutSecrets(
  env: NodeJS.ProcessEnv,
  extraNames: readonly string[] = [],
): NodeJS.ProcessEnv {
  const dropped = new Set([...SECRET_ENV_NAMES, ...extraNames]);
  return Object.fromEntries(Object.entries(env).filter(([name]) => !dropped.has(name)));
}

function passwordCommandError(what: string): ConfigError {
  return new ConfigError(`password_command in config.toml ${what}: run it in a shell to see why.`);
}
