// The extensions one gateway serves and their warm sessions: reads the `--accounts` file (TOML or
// JSON, validated with zod; passwords never inline) or takes the one configured extension, and
// keeps one Dial3cxClient per extension opened with events, so the session stays logged in and a
// call costs one PBX round trip. Keep-alive, reconnect and re-login are the client's job. The
// driver follows the settings (`driver`, `client_id`, DIAL3CX_API_KEY), per account if the file
// says so: one Call Control API client can serve every extension it monitors, and with
// `auth = "api-client"` it logs the web client in for each of them, with no password anywhere.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import { z } from "zod";
import { ConfigError, Dial3cxError, NotLoggedInError } from "../errors.js";
import { type AccountOptions, openAccount } from "../features/calls/account.js";
import type { ConnectionState, Dial3cxClient } from "../features/calls/client.js";
import {
  normalizeClientId,
  normalizeExtension,
  normalizeFingerprint,
  normalizePbxUrl,
  resolveUserPath,
  type Settings,
} from "../features/settings/config.js";
import type { AppPaths } from "../features/settings/paths.js";
import { keyringStore, memoryStore, type SecretStore } from "../features/settings/secrets.js";

/** One extension to serve: its effective settings and where its password comes from. */
export interface AccountSpec {
  /** With pbx and extension set. */
  settings: Settings;
  /** Name of an environment variable holding the password (accounts file `password_env`). */
  passwordEnv?: string;
  /**
   * "settings": the CLI's chain (--password-stdin, DIAL3CX_PASSWORD, password_command, keyring).
   * "explicit": only the account's password_command / password_env. "keyring": the keyring only.
   */
  passwordSources: "settings" | "explicit" | "keyring";
  stdinPassword?: () => Promise<string>;
  /** A 2FA code for the first login (--code); later logins use the PBX's refresh token. */
  securityCode?: string;
}

/** The one extension of the CLI settings (flags > environment > config file). */
export function accountFromSettings(
  settings: Settings,
  login: Pick<AccountSpec, "stdinPassword" | "securityCode"> = {},
): AccountSpec {
  if (!settings.pbx || !settings.extension) throw new NotLoggedInError();
  return { settings, passwordSources: "settings", ...login };
}

const digits = z
  .union([z.string(), z.int().nonnegative()], { error: 'must be digits, like "101"' })
  .transform(String)
  .transform((value, ctx) => {
    const checked = normalizeExtension(value);
    if ("value" in checked) return checked.value;
    ctx.addIssue({ code: "custom", message: checked.problem });
    return z.NEVER;
  });

const checkedString = (normalize: (value: string) => { value: string } | { problem: string }) =>
  z.string({ error: "must be a string in quotes" }).transform((value, ctx) => {
    const checked = normalize(value);
    if ("value" in checked) return checked.value;
    ctx.addIssue({ code: "custom", message: checked.problem });
    return z.NEVER;
  });

const nonEmpty = z
  .string({ error: "must be a string in quotes" })
  .trim()
  .min(1, "must not be empty");

const accountEntrySchema = z
  .strictObject({
    extension: digits,
    pbx: checkedString(normalizePbxUrl).optional(),
    password_command: nonEmpty.optional(),
    password_env: z
      .string({ error: "must be a string in quotes" })
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name, like PW_101")
      .optional(),
    device: nonEmpty.optional(),
    ca: nonEmpty.optional(),
    fingerprint: checkedString(normalizeFingerprint).optional(),
    driver: z
      .enum(["auto", "webclient", "callcontrol"], {
        error: 'must be "auto", "webclient" or "callcontrol"',
      })
      .optional(),
    // Often a route point's DN, so digits are accepted unquoted, like extension.
    client_id: z
      .union([z.string(), z.int().nonnegative()], { error: 'must be a client id, like "900"' })
      .transform(String)
      .transform((value, ctx) => {
        const checked = normalizeClientId(value);
        if ("value" in checked) return checked.value;
        ctx.addIssue({ code: "custom", message: checked.problem });
        return z.NEVER;
      })
      .optional(),
    // "api-client": the web client logs in as client_id for this extension, no password.
    auth: z
      .enum(["password", "api-client"], { error: 'must be "password" or "api-client"' })
      .optional(),
  })
  .refine((entry) => !(entry.password_command && entry.password_env), {
    message: "give password_command or password_env, not both",
  })
  .refine(
    (entry) => !(entry.auth === "api-client" && (entry.password_command || entry.password_env)),
    { message: 'auth = "api-client" needs no password: drop password_command / password_env' },
  );

const accountsFileSchema = z.strictObject({
  account: z
    .array(accountEntrySchema, { error: "must be a list of [[account]] tables" })
    .min(1, "needs at least one [[account]]"),
});

type AccountEntry = z.infer<typeof accountEntrySchema>;

/**
 * Reads `--accounts FILE`: `[[account]]` tables (TOML) or `{"account": [...]}` (JSON, when the
 * name ends in .json) with extension, pbx?, password_command? | password_env?, device?, ca?,
 * fingerprint?, driver?, client_id?, auth?. Anything missing comes from `base` (the CLI settings). Errors are one line naming
 * the file and never echo a value.
 */
export async function readAccountsFile(file: string, base: Settings): Promise<AccountSpec[]> {
  const document = parseDocument(file, await readText(file));
  const passwordKey = findInlinePassword(document);
  if (passwordKey) {
    throw accountsError(
      file,
      `${passwordKey}: passwords never go in the accounts file, use password_command or password_env`,
    );
  }
  const result = accountsFileSchema.safeParse(document);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw accountsError(file, `${issuePath(issue?.path ?? [])} ${issue?.message ?? "is invalid"}`);
  }
  const specs = result.data.account.map((entry) => toSpec(entry, base, path.dirname(file)));
  const seen = new Set<string>();
  for (const spec of specs) {
    const extension = spec.settings.extension!;
    if (seen.has(extension)) {
      throw accountsError(file, `extension ${extension} is listed twice (one gateway, one entry)`);
    }
    seen.add(extension);
    if (!spec.settings.pbx) {
      throw accountsError(file, `extension ${extension} has no pbx and none is configured`);
    }
  }
  return specs;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw accountsError(
      file,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
}

function parseDocument(file: string, text: string): unknown {
  if (file.toLowerCase().endsWith(".json")) {
    try {
      return JSON.parse(text);
    } catch {
      throw accountsError(file, "is not valid JSON");
    }
  }
  try {
    return parseToml(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    // smol-toml's message goes on with an excerpt of the file, which may show a secret.
    throw accountsError(file, `invalid TOML (line ${error.line})`);
  }
}

/** "account[1].password" when an entry carries a password inline. */
function findInlinePassword(document: unknown): string | undefined {
  const entries = (document as { account?: unknown })?.account;
  if (!Array.isArray(entries)) return undefined;
  const index = entries.findIndex(
    (entry) => typeof entry === "object" && entry !== null && "password" in entry,
  );
  return index === -1 ? undefined : `account[${index}].password`;
}

function toSpec(entry: AccountEntry, base: Settings, fileDir: string): AccountSpec {
  const settings: Settings = {
    ...base,
    extension: entry.extension,
    pbx: entry.pbx ?? base.pbx,
    device: entry.device ?? base.device,
    ca: entry.ca === undefined ? base.ca : resolveUserPath(entry.ca, fileDir),
    fingerprint: entry.fingerprint ?? base.fingerprint,
    driver: entry.driver ?? base.driver,
    clientId: entry.client_id ?? base.clientId,
    auth: entry.auth ?? base.auth,
    // The config's password_command is for the configured extension, not for these.
    passwordCommand: entry.password_command,
  };
  const explicit = entry.password_command !== undefined || entry.password_env !== undefined;
  return {
    settings,
    passwordEnv: entry.password_env,
    passwordSources: explicit ? "explicit" : "keyring",
  };
}

function accountsError(file: string, problem: string): ConfigError {
  return new ConfigError(`${file}: ${problem.replace(/\s+/g, " ").trim()}`);
}

function issuePath(parts: readonly PropertyKey[]): string {
  return parts
    .map((part, index) =>
      typeof part === "number" ? `[${part}]` : `${index ? "." : ""}${String(part)}`,
    )
    .join("");
}

// ---------------------------------------------------------------------------------------------
// Warm sessions

/** One extension being served. */
export interface ServedAccount {
  extension: string;
  pbx: string;
  settings: Settings;
  client: Dial3cxClient;
  /** The event channel's state, as the client last reported it. */
  connection: ConnectionState;
}

export interface OpenAccountsOptions {
  paths: AppPaths;
  env: NodeJS.ProcessEnv;
  /** Where keyring passwords come from; the OS keyring by default. */
  store?: SecretStore;
  /** Told about background trouble (a reconnect that failed for good). */
  onProblem?: (extension: string, error: Error) => void;
  onConnection?: (extension: string, state: ConnectionState) => void;
  /** Debug lines of an account's driver. */
  onDebug?: (extension: string, line: string) => void;
  timeoutMs?: number;
  /** Logins running at once when many extensions start (default 16). */
  concurrency?: number;
}

export class AccountPool {
  private constructor(private readonly accounts: Map<string, ServedAccount>) {}

  /**
   * Logs every account in (a few at a time). When one fails, the ones already open are closed and
   * the error names the extension: a gateway never starts half-configured, and a wrong password
   * is not retried (3CX blocks addresses after failed logins).
   */
  static async open(specs: AccountSpec[], options: OpenAccountsOptions): Promise<AccountPool> {
    const opened = new Map<string, ServedAccount>();
    const queue = [...specs];
    const passwordEnvNames = specs.flatMap((spec) => (spec.passwordEnv ? [spec.passwordEnv] : []));
    const worker = async () => {
      for (let spec = queue.shift(); spec; spec = queue.shift()) {
        const account = await openServedAccount(spec, options, {
          nameExtension: specs.length > 1,
          passwordEnvNames,
        });
        opened.set(account.extension, account);
      }
    };
    const workers = Array.from(
      { length: Math.min(options.concurrency ?? 16, specs.length) },
      worker,
    );
    const results = await Promise.allSettled(workers);
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) {
      queue.length = 0;
      await Promise.allSettled([...opened.values()].map((a) => a.client.close()));
      throw failure.reason;
    }
    // Keep the order of the specs (the accounts file's order).
    const ordered = new Map<string, ServedAccount>();
    for (const spec of specs) {
      const account = opened.get(spec.settings.extension!);
      if (account) ordered.set(account.extension, account);
    }
    return new AccountPool(ordered);
  }

  get(extension: string): ServedAccount | undefined {
    return this.accounts.get(extension);
  }

  list(): ServedAccount[] {
    return [...this.accounts.values()];
  }

  extensions(): string[] {
    return [...this.accounts.keys()];
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.list().map((account) => account.client.close()));
  }
}

async function openServedAccount(
  spec: AccountSpec,
  options: OpenAccountsOptions,
  {
    nameExtension,
    passwordEnvNames,
  }: {
    /** Errors say which extension failed (many are served). */
    nameExtension: boolean;
    /** Every account's password_env: none reaches an account's password_command. */
    passwordEnvNames: readonly string[];
  },
): Promise<ServedAccount> {
  const extension = spec.settings.extension!;
  let client: Dial3cxClient;
  try {
    client = await openAccount({
      ...accountOptions(spec, options),
      // An account's own password_env is read by us, never by a command: all can be hidden.
      hiddenFromPasswordCommand: passwordEnvNames,
    });
  } catch (error) {
    if (nameExtension && error instanceof Dial3cxError) {
      throw new Dial3cxError(error.code, `extension ${extension}: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  const account: ServedAccount = {
    extension,
    pbx: spec.settings.pbx!,
    settings: spec.settings,
    client,
    connection: "open",
  };
  client.on("connection", (state) => {
    account.connection = state;
    options.onConnection?.(extension, state);
  });
  client.on("problem", (error) => options.onProblem?.(extension, error));
  return account;
}

function accountOptions(spec: AccountSpec, options: OpenAccountsOptions): AccountOptions {
  const { DIAL3CX_PASSWORD: _shared, ...envWithoutPassword } = options.env;
  const base = {
    settings: spec.settings,
    paths: options.paths,
    // Events keep the session warm; the CLI's session cache stays the CLI's.
    events: true,
    useCache: false,
    timeoutMs: options.timeoutMs,
    securityCode: spec.securityCode,
    ...(options.onDebug
      ? { onDebug: (line: string) => options.onDebug?.(spec.settings.extension!, line) }
      : {}),
  };
  switch (spec.passwordSources) {
    case "settings":
      return {
        ...base,
        env: options.env,
        store: options.store ?? keyringStore(),
        stdinPassword: spec.stdinPassword,
      };
    case "keyring":
      return { ...base, env: envWithoutPassword, store: options.store ?? keyringStore() };
    case "explicit":
      return {
        ...base,
        env: spec.passwordEnv
          ? { ...envWithoutPassword, DIAL3CX_PASSWORD: passwordFromEnv(spec, options.env) }
          : envWithoutPassword,
        store: memoryStore(),
        // No password from the keyring here, but an API key may be there.
        apiKeyStore: options.store ?? keyringStore(),
      };
  }
}

function passwordFromEnv(spec: AccountSpec, env: NodeJS.ProcessEnv): string {
  const name = spec.passwordEnv!;
  const value = env[name];
  if (!value) {
    throw new NotLoggedInError(
      `Extension ${spec.settings.extension}: password_env names ${name}, which is not set.`,
    );
  }
  return value;
}
