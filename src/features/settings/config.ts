// The user's config.toml (parsed with smol-toml, validated as "Validation" below says) and the
// effective settings: flags > environment > config file. The tool never rewrites the user's file,
// except through saveLoginConfig, which `dial3cx login` uses to set the few keys it owns.
//
// Entry of features/settings/, which owns what is kept on disk and in the keyring: this config,
// the app's paths, secrets, secure files, the state cache, regions, the certificate pin and the
// gateway's token store. May use: errors.ts and, for the certificate, the drivers' http, probe
// and tls; no other feature.
import { realpath, rename, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parse, stringify, TomlError } from "smol-toml";
// Types only: zod/mini itself is loaded when a file needs the schema (see loadConfigSchema).
import type { ZodMiniType, z as zodMini } from "zod/mini";
import type { $ZodErrorMap as ZodErrorMap } from "zod/v4/core";
import { BadInputError, ConfigError } from "../../errors.js";
import { isKnownRegion } from "./regions.js";
import { isErrnoCode, readIfExists, writeSecureFile } from "./secure-file.js";

export type Driver = "auto" | "webclient" | "callcontrol";
/** How the web-client driver logs in: with the password, or as an API client (impersonation). */
export type AuthMode = "password" | "api-client";

/** What `dial3cx mcp` does when an AI assistant asks to place a call. */
export type McpCallsPolicy = "ask" | "allow" | "deny";

/** config.toml after validation and normalisation. Paths are absolute, with `~` expanded. */
export interface Config {
  /** Origin of the PBX, e.g. "https://pbx.example.com" (no trailing slash). */
  pbx?: string;
  extension?: string;
  /** Default device selector: name, index or contact. */
  device?: string;
  /** libphonenumber region code, e.g. "DE". */
  default_region?: string;
  outbound_prefix?: string;
  ca?: string;
  /** SHA-256 certificate fingerprint in uppercase colon form ("AB:CD:..."). */
  fingerprint?: string;
  insecure?: boolean;
  /** Run through /bin/sh -c; its trimmed stdout is the password. */
  password_command?: string;
  confirm?: boolean;
  dedupe_seconds?: number;
  contacts?: string[];
  driver?: Driver;
  /** Client ID of a Call Control API client; its API key lives in the keyring or DIAL3CX_API_KEY. */
  client_id?: string;
  /**
   * How the web-client driver logs in: "password" (the extension's, the default) or "api-client"
   * (the API client `client_id` opens a MyPhone session for the extension, no password: 3CX
   * 20.0.8+, shown only by 3CX's own test code).
   */
  auth?: AuthMode;
  /** Gateway: URLs that receive call and device events. */
  webhooks?: string[];
  /** Gateway: web origins allowed to call its API. */
  allowed_origins?: string[];
  /** `dial3cx mcp`: ask the user before each call (default), allow calls, or refuse them. */
  mcp_calls?: McpCallsPolicy;
  /** Hosts a sip: link may name besides the PBX's own (its SIP domains), e.g. "1234.3cx.eu". */
  sip_domains?: string[];
  /** `watch` and `serve`: a desktop notification for each incoming call. */
  notify?: boolean;
  /** A URL template opened on an incoming call: https, or http on loopback only. */
  on_incoming?: string;
  /** When on_incoming is opened: when the call rings (default) or when it is answered. */
  on_incoming_when?: IncomingWhen;
}

export type IncomingWhen = "ringing" | "answered";

/** Placeholders of on_incoming, each replaced by its percent-encoded value. */
export const INCOMING_URL_PLACEHOLDERS = ["number", "e164", "name"] as const;

/**
 * An on_incoming URL template: an https URL, or http on a loopback host (127.0.0.0/8, ::1,
 * localhost). Placeholders `{number}`, `{e164}` and `{name}`; any other `{…}` is a mistake.
 */
export function normalizeIncomingUrl(input: string): Checked<string> {
  const template = input.trim();
  const unknown = /\{([^}]*)\}/g;
  for (const [, name] of template.matchAll(unknown)) {
    if (!(INCOMING_URL_PLACEHOLDERS as readonly string[]).includes(name ?? "")) {
      return { problem: `has an unknown placeholder {${name}}: use {number}, {e164} or {name}` };
    }
  }
  let url: URL;
  try {
    url = new URL(template.replace(unknown, "x"));
  } catch {
    return { problem: 'must be a URL like "https://crm.example.com/search?phone={e164}"' };
  }
  if (url.username || url.password) return { problem: "must not contain a user name or password" };
  if (url.protocol === "https:") return { value: template };
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return { value: template };
  return { problem: "must be an https:// URL (plain http only on loopback)" };
}

function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === "localhost" || hostname === "[::1]" || /^127(\.[0-9]{1,3}){3}$/.test(hostname)
  );
}

export function normalizeIncomingWhen(input: string): Checked<IncomingWhen> {
  return input === "ringing" || input === "answered"
    ? { value: input }
    : { problem: 'must be "ringing" or "answered"' };
}

/** A value that passed a check (and was normalised), or why it did not. */
type Checked<T> = { value: T } | { problem: string };

export function normalizePbxUrl(input: string): Checked<string> {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    return { problem: 'must be a URL like "https://pbx.example.com"' };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return { problem: "must start with https:// or http://" };
  }
  if (url.username || url.password) return { problem: "must not contain a user name or password" };
  if (url.pathname !== "/" || url.search || url.hash) {
    return { problem: 'must be the address only, like "https://pbx.example.com", with no path' };
  }
  return { value: url.origin };
}

export function normalizeExtension(input: string): Checked<string> {
  return /^\d+$/.test(input) ? { value: input } : { problem: 'must be digits, like "100"' };
}

export function normalizeFingerprint(input: string): Checked<string> {
  const hex = input.replaceAll(":", "");
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    return { problem: "must be a SHA-256 fingerprint: 64 hex digits, colons optional" };
  }
  return { value: hex.toUpperCase().match(/../g)!.join(":") };
}

export function normalizeRegion(input: string): Checked<string> {
  if (!/^[A-Za-z]{2}$/.test(input))
    return { problem: 'must be a two-letter region code, like "DE"' };
  // Checked here, not only when a number is read, so the error names the key or variable.
  const region = input.toUpperCase();
  return isKnownRegion(region)
    ? { value: region }
    : { problem: 'must be a known region code, like "DE" or "US"' };
}

function normalizeOutboundPrefix(input: string): Checked<string> {
  return /^\d*$/.test(input) ? { value: input } : { problem: 'must be digits, like "0"' };
}

export function normalizeClientId(input: string): Checked<string> {
  const trimmed = input.trim();
  return /^[\x21-\x7e]{1,64}$/.test(trimmed)
    ? { value: trimmed }
    : { problem: 'must be a client id, like "900" (printable, no spaces)' };
}

export function normalizeDriver(input: string): Checked<Driver> {
  return input === "auto" || input === "webclient" || input === "callcontrol"
    ? { value: input }
    : { problem: 'must be "auto", "webclient" or "callcontrol"' };
}

export function normalizeMcpCalls(input: string): Checked<McpCallsPolicy> {
  return input === "ask" || input === "allow" || input === "deny"
    ? { value: input }
    : { problem: 'must be "ask", "allow" or "deny"' };
}

export function normalizeSipDomain(input: string): Checked<string> {
  const host = input.trim().toLowerCase();
  return /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$|^[0-9a-f:.]+$/.test(host)
    ? { value: host }
    : { problem: 'must be host names, like ["1234.3cx.eu"]' };
}

function normalizeNonEmpty(input: string): Checked<string> {
  return input.trim() === "" ? { problem: "must not be empty" } : { value: input };
}

/** Expand `~` and make a path absolute against `baseDir`. */
export function resolveUserPath(input: string, baseDir: string, home = os.homedir()): string {
  if (input === "~") return home;
  if (input.startsWith("~/")) return path.join(home, input.slice(2));
  return path.resolve(baseDir, input);
}

// Validation. The zod schema is the rule, but loading any zod costs every command ~30 ms: even
// zod/mini brings ~650 KB, since the CLI bundle shares zod's core and all its locales with the
// gateway's full zod. So a zod-free reader takes the usual, well-formed file, and only when it
// gives up (a mistake, or a value of an unusual type) is zod/mini loaded, to decide and to word
// the error. The reader accepts nothing the schema rejects, and gives the same result.

/** A well-formed value, normalised; undefined: not plainly valid, so the schema must judge it. */
type Reader<T> = (value: unknown) => T | undefined;

const checkedValue = <T>(checked: Checked<T>): T | undefined =>
  "value" in checked ? checked.value : undefined;

const plainString =
  (normalize: Normalizer): Reader<string> =>
  (value) =>
    typeof value === "string" ? checkedValue(normalize(value)) : undefined;

/** A string, or a non-negative integer read as its digits, as the schema's digitsOrString. */
const plainDigits =
  (normalize: Normalizer): Reader<string> =>
  (value) => {
    if (typeof value === "string") return checkedValue(normalize(value));
    const isDigits = Number.isSafeInteger(value) && (value as number) >= 0;
    return isDigits ? checkedValue(normalize(String(value))) : undefined;
  };

const plainBoolean: Reader<boolean> = (value) => (typeof value === "boolean" ? value : undefined);

/** A list whose every item reads; holes in a sparse array read as undefined, so they do not. */
const plainList =
  <T>(readItem: Reader<T>): Reader<T[]> =>
  (value) => {
    if (!Array.isArray(value)) return undefined;
    const items: T[] = [];
    for (const item of value) {
      const read = readItem(item);
      if (read === undefined) return undefined;
      items.push(read);
    }
    return items;
  };

const plainNonEmpty = plainString(normalizeNonEmpty);

const plainText: Reader<string> = (value) => (typeof value === "string" ? value : undefined);

const plainReaders: { [K in keyof Config]-?: Reader<NonNullable<Config[K]>> } = {
  pbx: plainString(normalizePbxUrl),
  extension: plainDigits(normalizeExtension),
  device: plainDigits(normalizeNonEmpty),
  default_region: plainString(normalizeRegion),
  outbound_prefix: plainDigits(normalizeOutboundPrefix),
  ca: plainNonEmpty,
  fingerprint: plainString(normalizeFingerprint),
  insecure: plainBoolean,
  password_command: plainNonEmpty,
  confirm: plainBoolean,
  dedupe_seconds: (value) =>
    typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined,
  contacts: (value) => {
    if (Array.isArray(value)) return plainList(plainNonEmpty)(value);
    const dir = plainNonEmpty(value);
    return dir === undefined ? undefined : [dir];
  },
  driver: (value) => (typeof value === "string" ? checkedValue(normalizeDriver(value)) : undefined),
  client_id: plainDigits(normalizeClientId),
  auth: (value) => (value === "password" || value === "api-client" ? value : undefined),
  webhooks: plainList(plainText),
  allowed_origins: plainList(plainText),
  mcp_calls: (value) =>
    typeof value === "string" ? checkedValue(normalizeMcpCalls(value)) : undefined,
  sip_domains: plainList(plainString(normalizeSipDomain)),
  notify: plainBoolean,
  on_incoming: plainString(normalizeIncomingUrl),
  on_incoming_when: (value) =>
    typeof value === "string" ? checkedValue(normalizeIncomingWhen(value)) : undefined,
};

export const CONFIG_KEYS = Object.keys(plainReaders) as (keyof Config)[];

/** The document as a Config when every value reads plainly (its keys are known), else undefined. */
function readPlainConfig(document: Record<string, unknown>): Config | undefined {
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(document)) {
    const read = plainReaders[key as keyof Config](value);
    if (read === undefined) return undefined;
    config[key] = read;
  }
  return config as Config;
}

/** config.toml's schema: what a valid file is, and the message for each mistake. */
function configSchemaWith(z: typeof zodMini) {
  /** Adapts a Checked normaliser to a zod transform. */
  const checkedBy = <T>(normalize: (value: string) => Checked<T>) =>
    z.transform((value: string, payload): T => {
      const checked = normalize(value);
      if ("value" in checked) return checked.value;
      payload.issues.push({ code: "custom", message: checked.problem, input: value });
      return z.NEVER;
    });

  const stringOf = (normalize: Normalizer) =>
    z.pipe(z.string({ error: "must be a string in quotes" }), checkedBy(normalize));

  /** A string, or a non-negative integer read as its digits: TOML users often leave out quotes. */
  const digitsOrString = (error: string) =>
    z.pipe(
      z.union([z.string(), z.int().check(z.nonnegative())], { error }),
      z.transform((value: string | number) => String(value)),
    );

  const digitsOf = (normalize: Normalizer, example: string) =>
    z.pipe(digitsOrString(`must be digits, like "${example}"`), checkedBy(normalize));

  const booleanValue = z.boolean({ error: "must be true or false" });

  return z.object({
    pbx: z.optional(stringOf(normalizePbxUrl)),
    extension: z.optional(digitsOf(normalizeExtension, "100")),
    device: z.optional(
      z.pipe(
        digitsOrString("must be a device name, index or contact"),
        checkedBy(normalizeNonEmpty),
      ),
    ),
    default_region: z.optional(stringOf(normalizeRegion)),
    outbound_prefix: z.optional(digitsOf(normalizeOutboundPrefix, "0")),
    ca: z.optional(stringOf(normalizeNonEmpty)),
    fingerprint: z.optional(stringOf(normalizeFingerprint)),
    insecure: z.optional(booleanValue),
    password_command: z.optional(stringOf(normalizeNonEmpty)),
    confirm: z.optional(booleanValue),
    dedupe_seconds: z.optional(
      z
        .number({ error: "must be a number of seconds" })
        .check(z.nonnegative({ error: "must not be negative" })),
    ),
    contacts: z.optional(
      z.union(
        [
          z.array(stringOf(normalizeNonEmpty)),
          z.pipe(
            stringOf(normalizeNonEmpty),
            z.transform((dir: string) => [dir]),
          ),
        ],
        { error: 'must be a list of directories, like ["~/contacts"]' },
      ),
    ),
    driver: z.optional(
      z.enum(["auto", "webclient", "callcontrol"], {
        error: 'must be "auto", "webclient" or "callcontrol"',
      }),
    ),
    // The Client ID doubles as a route point DN, so it is often digits: accept them unquoted.
    client_id: z.optional(
      z.pipe(digitsOrString('must be a client id, like "900"'), checkedBy(normalizeClientId)),
    ),
    auth: z.optional(
      z.enum(["password", "api-client"], { error: 'must be "password" or "api-client"' }),
    ),
    // Gateway (`dial3cx serve`): checked when the gateway starts.
    webhooks: z.optional(
      z.array(z.string(), { error: 'must be a list of URLs, like ["https://…"]' }),
    ),
    allowed_origins: z.optional(
      z.array(z.string(), {
        error: 'must be a list of origins, like ["https://crm.example.com"]',
      }),
    ),
    mcp_calls: z.optional(
      z.enum(["ask", "allow", "deny"], { error: 'must be "ask", "allow" or "deny"' }),
    ),
    sip_domains: z.optional(
      z.array(stringOf(normalizeSipDomain), {
        error: 'must be a list of host names, like ["1234.3cx.eu"]',
      }),
    ),
    notify: z.optional(booleanValue),
    on_incoming: z.optional(stringOf(normalizeIncomingUrl)),
    on_incoming_when: z.optional(
      z.enum(["ringing", "answered"], { error: 'must be "ringing" or "answered"' }),
    ),
  }) satisfies ZodMiniType<Config>;
}

interface ConfigSchema {
  schema: ReturnType<typeof configSchemaWith>;
  /**
   * zod/mini loads no locale, so its built-in messages would all read "Invalid input". Parsing
   * with the English ones (those full zod uses) keeps them for the few issues that have no message
   * of ours, e.g. `webhooks = [1]`, without changing zod's global configuration.
   */
  english: { error: ZodErrorMap };
}

let configSchema: Promise<ConfigSchema> | undefined;

/** Loads zod/mini and builds the schema, once, on first need. */
function loadConfigSchema(): Promise<ConfigSchema> {
  configSchema ??= import("./zod-mini.js").then(({ z, englishLocale }) => ({
    schema: configSchemaWith(z),
    english: { error: englishLocale().localeError },
  }));
  return configSchema;
}

/**
 * Read and validate config.toml. A missing file is an empty config. Anything wrong throws a
 * one-line ConfigError naming the file, the problem and its line; values are never echoed, since
 * a mistyped key may well hold a password.
 */
export async function loadConfig(filePath: string): Promise<Config> {
  const source = await readConfigText(filePath);
  if (source === undefined) return {};
  const document = parseToml(source, filePath);
  const config = await validateConfig(document, source, filePath);
  return resolveConfigPaths(config, path.dirname(filePath));
}

/**
 * A config file that holds secrets (webhook URLs carry their own tokens; a password_command names
 * where the password lives and runs as the user) but that other users can read or change: the
 * problem, in one line with the fix, else undefined. The CLI warns; the gateway refuses to start.
 */
export async function exposedSecretsProblem(
  filePath: string,
  config: Config,
): Promise<string | undefined> {
  if (process.platform === "win32") return undefined;
  const secrets = [
    ...((config.webhooks?.length ?? 0) > 0 ? ["webhooks"] : []),
    ...(config.password_command ? ["password_command"] : []),
  ];
  if (secrets.length === 0) return undefined;
  let mode: number;
  try {
    mode = (await stat(filePath)).mode;
  } catch {
    return undefined;
  }
  if ((mode & 0o077) === 0) return undefined;
  const shown = (mode & 0o777).toString(8).padStart(4, "0");
  return `${filePath} holds ${secrets.join(" and ")} but other users can read it (mode ${shown}): run chmod 600 ${filePath}, and replace the webhook URLs' secrets if others may have read them`;
}

async function readConfigText(filePath: string): Promise<string | undefined> {
  try {
    return await readIfExists(filePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "read error";
    throw configFileError(filePath, `cannot be read (${code})`);
  }
}

function parseToml(source: string, filePath: string): Record<string, unknown> {
  try {
    return parse(source);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    // smol-toml's message continues with a code excerpt, which could show a secret: keep line one.
    const firstLine = error.message.split("\n", 1)[0] ?? "";
    const problem = firstLine.replace(/^Invalid TOML document:\s*/, "") || "invalid TOML";
    throw configFileError(filePath, `invalid TOML: ${problem}`, error.line);
  }
}

async function validateConfig(
  document: Record<string, unknown>,
  source: string,
  filePath: string,
): Promise<Config> {
  const unknownKeys = Object.keys(document).filter(
    (key) => !(CONFIG_KEYS as string[]).includes(key),
  );
  const firstUnknown = unknownKeys[0];
  if (firstUnknown !== undefined) {
    const named = unknownKeys.map(quoteKey).join(", ");
    const problem = `unknown key${unknownKeys.length > 1 ? "s" : ""} ${named}, known keys are ${CONFIG_KEYS.join(", ")}`;
    throw configFileError(filePath, problem, findKeyLine(source, firstUnknown));
  }
  const plain = readPlainConfig(document);
  if (plain !== undefined) return plain;
  const { schema, english } = await loadConfigSchema();
  const result = schema.safeParse(document, english);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key = issue?.path[0];
  const problem = `${describeIssuePath(issue?.path ?? [])} ${issue?.message ?? "is invalid"}`;
  throw configFileError(
    filePath,
    problem,
    typeof key === "string" ? findKeyLine(source, key) : undefined,
  );
}

function resolveConfigPaths(config: Config, configDir: string): Config {
  const resolved = { ...config };
  if (resolved.ca !== undefined) resolved.ca = resolveUserPath(resolved.ca, configDir);
  if (resolved.contacts !== undefined) {
    resolved.contacts = resolved.contacts.map((dir) => resolveUserPath(dir, configDir));
  }
  return resolved;
}

function configFileError(filePath: string, problem: string, line?: number): ConfigError {
  const where = line === undefined ? "" : ` (line ${line})`;
  const oneLine = problem.replace(/\s+/g, " ").trim();
  return new ConfigError(`${filePath}: ${oneLine}${where}: fix it or run dial3cx login`);
}

function quoteKey(key: string): string {
  return JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);
}

function describeIssuePath(issuePath: readonly PropertyKey[]): string {
  return issuePath
    .map((part, index) =>
      typeof part === "number" ? `[${part}]` : `${index ? "." : ""}${String(part)}`,
    )
    .join("");
}

/** Best effort: the first line that defines `key` as a value, dotted key or table. */
function findKeyLine(source: string, key: string): number | undefined {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const name = `(?:${escaped}|"${escaped}"|'${escaped}')`;
  const definition = new RegExp(`^\\s*(?:${name}\\s*[=.]|\\[\\[?\\s*${name}\\s*[\\].])`);
  const index = source.split(/\r?\n/).findIndex((line) => definition.test(line));
  return index === -1 ? undefined : index + 1;
}

/** What `dial3cx login` can keep of a config file that does not load. */
export interface SalvagedConfig {
  /** The keys whose values are valid, as the file wrote them. */
  document: Record<string, unknown>;
  /** What is left out, one entry each: "line 3: invalid TOML", "dedupe_seconds (line 4): …". */
  dropped: string[];
}

/**
 * Reads a broken config.toml for repair: the whole file as TOML when it parses, else line by
 * line (a line that is not TOML on its own is dropped); then every key on its own, so one bad
 * value or unknown key costs only itself. Values are never echoed (a typo may hold a password).
 */
export async function salvageConfig(filePath: string): Promise<SalvagedConfig> {
  const source = (await readConfigText(filePath)) ?? "";
  const dropped: string[] = [];
  let document: Record<string, unknown>;
  try {
    document = parse(source);
  } catch {
    document = {};
    source.split(/\r?\n/).forEach((line, index) => {
      if (line.trim() === "" || line.trim().startsWith("#")) return;
      try {
        Object.assign(document, parse(line));
      } catch {
        dropped.push(`line ${index + 1}: invalid TOML`);
      }
    });
  }
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(document)) {
    const line = findKeyLine(source, key);
    const where = line === undefined ? quoteKey(key) : `${quoteKey(key)} (line ${line})`;
    if (!(CONFIG_KEYS as string[]).includes(key)) {
      dropped.push(`${where}: unknown key`);
      continue;
    }
    const configKey = key as keyof Config;
    if (plainReaders[configKey](value) !== undefined) {
      kept[key] = value;
      continue;
    }
    const { schema, english } = await loadConfigSchema();
    const result = schema.shape[configKey].safeParse(value, english);
    if (result.success) kept[key] = value;
    else dropped.push(`${where}: ${result.error.issues[0]?.message ?? "is invalid"}`);
  }
  return { document: kept, dropped };
}

/** Rewrites config.toml with `document` only; the old file is kept as `<file>.bak`. */
export async function rewriteConfig(
  filePath: string,
  document: Record<string, unknown>,
): Promise<{ path: string; backupPath: string }> {
  const target = await realpathIfExists(filePath);
  const backupPath = `${target}.bak`;
  await rename(target, backupPath);
  await writeSecureFile(target, LOGIN_CONFIG_HEADER + stringify(document));
  return { path: target, backupPath };
}

/** The keys `dial3cx login` owns. undefined leaves a key as it is; null removes it. */
export interface LoginConfigValues {
  pbx?: string | null;
  extension?: string | null;
  device?: string | null;
  default_region?: string | null;
  ca?: string | null;
  fingerprint?: string | null;
}

const LOGIN_CONFIG_HEADER =
  "# dial3cx settings. `dial3cx login` updates this file: it keeps your settings but drops comments.\n";

/**
 * Set the login-owned keys in config.toml and keep every other key. TOML is parsed and written
 * back, so comments are lost (the header says so). A file that is not valid TOML is kept as
 * `<file>.bak` and replaced. A symlinked config (dotfile managers) is written through the link.
 */
export async function saveLoginConfig(
  filePath: string,
  values: LoginConfigValues,
): Promise<{ path: string; backupPath?: string }> {
  const normalized = await normalizeLoginValues(values);
  const target = await realpathIfExists(filePath);
  const source = await readConfigText(target);
  let document: Record<string, unknown> = {};
  let backupPath: string | undefined;
  if (source !== undefined) {
    try {
      document = parseToml(source, target);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      backupPath = `${target}.bak`;
      await rename(target, backupPath);
    }
  }
  for (const [key, value] of Object.entries(normalized)) {
    if (value === undefined) continue;
    if (value === null) delete document[key];
    else document[key] = value;
  }
  await writeSecureFile(target, LOGIN_CONFIG_HEADER + stringify(document));
  return backupPath === undefined ? { path: target } : { path: target, backupPath };
}

async function normalizeLoginValues(
  values: LoginConfigValues,
): Promise<Record<string, string | null | undefined>> {
  const normalized: Record<string, string | null | undefined> = {};
  for (const [key, value] of Object.entries(values) as [keyof LoginConfigValues, unknown][]) {
    if (value === undefined || value === null) {
      normalized[key] = value;
      continue;
    }
    const checked = plainReaders[key](value) ?? (await checkLoginValue(key, value));
    // A relative CA path typed at login means relative to the current directory, not the config's.
    normalized[key] =
      key === "ca" ? resolveUserPath(String(checked), process.cwd()) : String(checked);
  }
  return normalized;
}

/** The schema's verdict on a value the plain reader gave up on: the value, or why not. */
async function checkLoginValue(key: keyof LoginConfigValues, value: unknown): Promise<unknown> {
  const { schema, english } = await loadConfigSchema();
  const result = schema.shape[key].safeParse(value, english);
  if (result.success) return result.data;
  throw new BadInputError(`${key} ${result.error.issues[0]?.message ?? "is invalid"}`, "usage");
}

async function realpathIfExists(filePath: string): Promise<string> {
  try {
    return await realpath(filePath);
  } catch (error) {
    if (isErrnoCode(error, "ENOENT")) return filePath;
    throw error;
  }
}

/** Command-line flags that override the environment and the config file. */
export interface SettingsFlags {
  pbx?: string;
  extension?: string;
  device?: string;
  ca?: string;
  fingerprint?: string;
  insecure?: boolean;
  /** --driver */
  driver?: string;
  /** --client-id (the API key is never a flag) */
  clientId?: string;
}

/** The effective settings, with defaults filled in. */
export interface Settings {
  pbx?: string;
  extension?: string;
  device?: string;
  defaultRegion?: string;
  outboundPrefix: string;
  ca?: string;
  fingerprint?: string;
  insecure: boolean;
  passwordCommand?: string;
  confirm: boolean;
  dedupeSeconds: number;
  contacts: string[];
  driver: Driver;
  /** Call Control API client id (flag, DIAL3CX_CLIENT_ID or client_id). */
  clientId?: string;
  /** How the web client logs in (config `auth`); "api-client" needs `clientId`. */
  auth: AuthMode;
  webhooks: string[];
  allowedOrigins: string[];
  /** `dial3cx mcp`: whether an AI assistant may place calls (default "ask"). */
  mcpCalls: McpCallsPolicy;
  /** sip: hosts besides the PBX's own (config sip_domains). */
  sipDomains: string[];
  /** Desktop notifications of incoming calls in `watch` and `serve` (also --notify). */
  notify: boolean;
  /** URL template opened on an incoming call (see normalizeIncomingUrl). */
  onIncoming?: string;
  onIncomingWhen: IncomingWhen;
}

export const DEFAULT_DEDUPE_SECONDS = 3;

/**
 * Precedence: flags > environment (DIAL3CX_PBX, _EXTENSION, _DEVICE, _CA, _FINGERPRINT, _REGION,
 * _CLIENT_ID) > config file > defaults. The driver comes from --driver or the config file. A bad flag is a BadInputError, a bad environment variable a ConfigError.
 * An empty environment variable counts as unset.
 */
export function resolveSettings(input: {
  flags?: SettingsFlags;
  env: NodeJS.ProcessEnv;
  config?: Config;
  cwd?: string;
}): Settings {
  const { flags = {}, env, config = {}, cwd = process.cwd() } = input;
  const home = env.HOME || os.homedir();
  const flag = (name: string, value: string | undefined, normalize: Normalizer) =>
    value === undefined ? undefined : checkOrThrow(normalize(value), (p) => badFlag(name, p));
  const fromEnv = (name: string, normalize: Normalizer) => {
    const value = env[name];
    return value ? checkOrThrow(normalize(value), (p) => badEnv(name, p)) : undefined;
  };
  const asPath = (value: string | undefined) =>
    value === undefined ? undefined : resolveUserPath(value, cwd, home);
  return {
    pbx:
      flag("pbx", flags.pbx, normalizePbxUrl) ??
      fromEnv("DIAL3CX_PBX", normalizePbxUrl) ??
      config.pbx,
    extension:
      flag("extension", flags.extension, normalizeExtension) ??
      fromEnv("DIAL3CX_EXTENSION", normalizeExtension) ??
      config.extension,
    device:
      flag("device", flags.device, normalizeNonEmpty) ??
      fromEnv("DIAL3CX_DEVICE", normalizeNonEmpty) ??
      config.device,
    defaultRegion: fromEnv("DIAL3CX_REGION", normalizeRegion) ?? config.default_region,
    outboundPrefix: config.outbound_prefix ?? "",
    ca:
      asPath(flag("ca", flags.ca, normalizeNonEmpty) ?? fromEnv("DIAL3CX_CA", normalizeNonEmpty)) ??
      config.ca,
    fingerprint:
      flag("fingerprint", flags.fingerprint, normalizeFingerprint) ??
      fromEnv("DIAL3CX_FINGERPRINT", normalizeFingerprint) ??
      config.fingerprint,
    insecure: flags.insecure ?? config.insecure ?? false,
    passwordCommand: config.password_command,
    confirm: config.confirm ?? false,
    dedupeSeconds: config.dedupe_seconds ?? DEFAULT_DEDUPE_SECONDS,
    contacts: config.contacts ?? [],
    driver:
      (flags.driver === undefined
        ? undefined
        : checkOrThrow(normalizeDriver(flags.driver), (p) => badFlag("driver", p))) ??
      config.driver ??
      "auto",
    clientId:
      flag("client-id", flags.clientId, normalizeClientId) ??
      fromEnv("DIAL3CX_CLIENT_ID", normalizeClientId) ??
      config.client_id,
    auth: config.auth ?? "password",
    webhooks: config.webhooks ?? [],
    allowedOrigins: config.allowed_origins ?? [],
    mcpCalls: config.mcp_calls ?? "ask",
    sipDomains: config.sip_domains ?? [],
    notify: config.notify ?? false,
    onIncoming: config.on_incoming,
    onIncomingWhen: config.on_incoming_when ?? "ringing",
  };
}

type Normalizer = (value: string) => Checked<string>;

function checkOrThrow<T>(checked: Checked<T>, toError: (problem: string) => Error): T {
  if ("value" in checked) return checked.value;
  throw toError(checked.problem);
}

function badFlag(name: string, problem: string): BadInputError {
  return new BadInputError(`--${name} ${problem}`, "usage");
}

function badEnv(name: string, problem: string): ConfigError {
  return new ConfigError(`${name} ${problem}: fix or unset the environment variable`);
}
