// The warm-path cache ($XDG_STATE_HOME/dial3cx/session.json, mode 0600): MyPhone sessions and
// registered devices, so a call can skip the login round trips. It holds session secrets but
// never the password nor the refresh token (those belong to the keyring). Any file that does not
// validate is treated as absent and deleted.
//
// Keyed by PBX (origin) and extension: several sessions live side by side (at most MAX_SESSIONS,
// the most recently changed first), so a one-off `--pbx` or `--extension` never evicts the saved
// one. The file is written only when an entry's content changes (savedAt alone does not count):
// a warm call costs no write. A file of the first format (one session at the top) is still read.
import { rm } from "node:fs/promises";
import { isErrnoCode, readIfExists, writeSecureFile } from "./secure-file.js";

export interface CachedDevice {
  id: string;
  contact: string;
  userAgent?: string;
  sourceAddress?: string;
  /** Registration expiry, epoch ms. */
  expiresAt?: number;
}

export interface SessionCache {
  version: 1;
  pbx: string;
  extension: string;
  pbxVersion: 20 | 18;
  sessionKey: string;
  pass: string;
  accessToken?: string;
  /** Epoch ms. */
  accessTokenExpiresAt?: number;
  cookies?: Record<string, string>;
  devices: CachedDevice[];
  /** Epoch ms. */
  savedAt: number;
}

// Checked by hand rather than with zod, whose loading would cost every warm call ~30 ms. The checks
// are those of the zod schema this replaced: z.object (any non-array object; unknown keys dropped),
// z.number() (finite), z.string().min(1), z.record (a plain object) and z.array (holes are items).
type Check = (value: unknown) => boolean;

const isText: Check = (value) => typeof value === "string";
const isNonEmptyText: Check = (value) => typeof value === "string" && value !== "";
const isEpochMs: Check = (value) =>
  typeof value === "number" && Number.isFinite(value) && value >= 0;
const optional =
  (check: Check): Check =>
  (value) =>
    value === undefined || check(value);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A plain {...} object: not a Map, Date or other class instance. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** for...of rather than every(): a hole in a sparse array is a missing item, not a skipped one. */
function isListOf(check: Check): Check {
  return (value) => {
    if (!Array.isArray(value)) return false;
    for (const item of value) if (!check(item)) return false;
    return true;
  };
}

const DEVICE_FIELDS = {
  id: isText,
  contact: isText,
  userAgent: optional(isText),
  sourceAddress: optional(isText),
  expiresAt: optional(isEpochMs),
} satisfies Record<keyof CachedDevice, Check>;

const CACHE_FIELDS = {
  version: (value) => value === 1,
  pbx: isNonEmptyText,
  extension: isNonEmptyText,
  pbxVersion: (value) => value === 20 || value === 18,
  sessionKey: isNonEmptyText,
  pass: isNonEmptyText,
  accessToken: optional(isText),
  accessTokenExpiresAt: optional(isEpochMs),
  cookies: optional((value) => isPlainObject(value) && Object.values(value).every(isText)),
  devices: isListOf(
    (value) => isObject(value) && firstBadField(value, DEVICE_FIELDS) === undefined,
  ),
  savedAt: isEpochMs,
} satisfies Record<keyof SessionCache, Check>;

/** The first field whose value fails its check (a missing one is undefined), or undefined. */
function firstBadField(record: Record<string, unknown>, fields: Record<string, Check>) {
  return Object.entries(fields).find(([key, check]) => !check(record[key]))?.[0];
}

/** Only the known fields: a password or refresh token passed in by mistake is never saved. */
function knownFields<T>(record: object, fields: Record<string, Check>): T {
  const known: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) {
    if (key in record) known[key] = (record as Record<string, unknown>)[key];
  }
  return known as T;
}

/** A copy of a valid cache with its known fields only, or what makes it invalid. */
function checkSessionCache(value: unknown): { cache: SessionCache } | { problem: string } {
  if (!isObject(value)) return { problem: "not an object" };
  const badField = firstBadField(value, CACHE_FIELDS);
  if (badField !== undefined) return { problem: `${badField} is invalid` };
  const cache = knownFields<SessionCache>(value, CACHE_FIELDS);
  cache.devices = cache.devices.map((device) => knownFields<CachedDevice>(device, DEVICE_FIELDS));
  if (cache.cookies !== undefined) cache.cookies = { ...cache.cookies };
  return { cache };
}

/** How many sessions the file keeps; the least recently changed goes first. */
export const MAX_SESSIONS = 8;

interface CacheFile {
  version: 2;
  sessions: SessionCache[];
}

/** Its value is the refresh token itself (protocol §2), which is not stored here. */
const REFRESH_TOKEN_COOKIE = "refreshtokencookie";

/**
 * The cached session for this PBX and extension, or undefined. Devices whose registration has
 * expired and an expired access token are left out.
 */
export async function loadSessionCache(
  filePath: string,
  expected: { pbx: string; extension: string; now: number },
): Promise<SessionCache | undefined> {
  const sessions = await readSessions(filePath);
  // Other PBXs' and extensions' sessions stay in the file for their own commands.
  const cache = sessions?.find((entry) => sameAccount(entry, expected));
  return cache && dropExpired(cache, expected.now);
}

/** The file's sessions; undefined when there is none, and an invalid file is deleted. */
async function readSessions(filePath: string): Promise<SessionCache[] | undefined> {
  const text = await readIfExists(filePath);
  if (text === undefined) return undefined;
  const sessions = parseCacheFile(text);
  if (sessions === undefined) await clearSessionCache(filePath);
  return sessions;
}

function sameAccount(a: Pick<SessionCache, "pbx" | "extension">, b: typeof a): boolean {
  return samePbx(a.pbx, b.pbx) && a.extension === b.extension;
}

/** The content that matters: every known field but savedAt, in one order. */
function contentOf(cache: SessionCache): string {
  const { savedAt: _savedAt, ...rest } = knownFields<SessionCache>(cache, CACHE_FIELDS);
  return JSON.stringify(rest);
}

/**
 * Saves the session beside those of other PBXs and extensions, replacing this account's. Writes
 * nothing when the saved entry has the same content (savedAt aside); says whether it wrote.
 */
export async function saveSessionCache(filePath: string, cache: SessionCache): Promise<boolean> {
  const checked = checkSessionCache(cache);
  // A caller bug, not a user problem: name the field, not its value.
  if ("problem" in checked) {
    throw new Error(`Refusing to save an invalid session cache (${checked.problem})`);
  }
  const { cookies, ...rest } = checked.cache;
  const kept = cookies && withoutRefreshToken(cookies);
  const toSave: SessionCache = kept ? { ...rest, cookies: kept } : rest;
  const sessions = (await readSessions(filePath)) ?? [];
  const previous = sessions.find((entry) => sameAccount(entry, toSave));
  if (previous && contentOf(previous) === contentOf(toSave)) return false;
  const others = sessions.filter((entry) => entry !== previous);
  const file: CacheFile = { version: 2, sessions: [toSave, ...others].slice(0, MAX_SESSIONS) };
  await writeSecureFile(filePath, `${JSON.stringify(file, null, 2)}\n`);
  return true;
}

/** Deletes the cache; true if there was one. */
export async function clearSessionCache(filePath: string): Promise<boolean> {
  try {
    await rm(filePath);
    return true;
  } catch (error) {
    if (isErrnoCode(error, "ENOENT")) return false;
    throw error;
  }
}

/** The sessions in the file, or undefined when any part of it is invalid. */
function parseCacheFile(text: string): SessionCache[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  // The first format: one session at the top.
  const entries = isObject(value) && value.version === 2 ? value.sessions : [value];
  if (!Array.isArray(entries)) return undefined;
  const sessions: SessionCache[] = [];
  for (const entry of entries) {
    const checked = checkSessionCache(entry);
    if (!("cache" in checked)) return undefined;
    sessions.push(checked.cache);
  }
  return sessions;
}

function withoutRefreshToken(cookies: Record<string, string>): Record<string, string> | undefined {
  const kept = Object.entries(cookies).filter(
    ([name]) => name.toLowerCase() !== REFRESH_TOKEN_COOKIE,
  );
  return kept.length ? Object.fromEntries(kept) : undefined;
}

function dropExpired(cache: SessionCache, now: number): SessionCache {
  const devices = cache.devices.filter(
    (device) => device.expiresAt === undefined || device.expiresAt > now,
  );
  const tokenExpired =
    cache.accessTokenExpiresAt !== undefined && cache.accessTokenExpiresAt <= now;
  if (!tokenExpired) return { ...cache, devices };
  const { accessToken: _token, accessTokenExpiresAt: _expiry, ...rest } = cache;
  return { ...rest, devices };
}

function samePbx(a: string, b: string): boolean {
  return originOf(a) === originOf(b);
}

function originOf(pbx: string): string {
  try {
    return new URL(pbx).origin;
  } catch {
    return pbx.replace(/\/+$/, "");
  }
}
