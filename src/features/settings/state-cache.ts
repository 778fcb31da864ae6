// The warm-path cache ($XDG_STATE_HOME/dial3cx/session.json, mode 0600): the last MyPhone session
// and registered devices, so a call can skip the login round trips. It holds session secrets but
// never the password nor the refresh token (those belong to the keyring). Any file that does not
// validate is treated as absent and deleted.
import { rm } from "node:fs/promises";
import { z } from "zod";
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

const epochMs = z.number().nonnegative();

const deviceSchema = z.object({
  id: z.string(),
  contact: z.string(),
  userAgent: z.string().optional(),
  sourceAddress: z.string().optional(),
  expiresAt: epochMs.optional(),
});

// z.object drops unknown keys, so a password or refresh token passed in by mistake is not saved.
const sessionCacheSchema = z.object({
  version: z.literal(1),
  pbx: z.string().min(1),
  extension: z.string().min(1),
  pbxVersion: z.union([z.literal(20), z.literal(18)]),
  sessionKey: z.string().min(1),
  pass: z.string().min(1),
  accessToken: z.string().optional(),
  accessTokenExpiresAt: epochMs.optional(),
  cookies: z.record(z.string(), z.string()).optional(),
  devices: z.array(deviceSchema),
  savedAt: epochMs,
});

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
  const text = await readIfExists(filePath);
  if (text === undefined) return undefined;
  const cache = parseCache(text);
  if (cache === undefined) {
    await clearSessionCache(filePath);
    return undefined;
  }
  // Another PBX or extension: absent for us, but left for the next save to replace.
  if (!samePbx(cache.pbx, expected.pbx) || cache.extension !== expected.extension) return undefined;
  return dropExpired(cache, expected.now);
}

export async function saveSessionCache(filePath: string, cache: SessionCache): Promise<void> {
  const result = sessionCacheSchema.safeParse(cache);
  if (!result.success) {
    // A caller bug, not a user problem: name the field, not its value.
    const issue = result.error.issues[0];
    throw new Error(
      `Refusing to save an invalid session cache (${issue?.path.join(".")}: ${issue?.message})`,
    );
  }
  const { cookies, ...rest } = result.data;
  const kept = cookies && withoutRefreshToken(cookies);
  const toSave: SessionCache = kept ? { ...rest, cookies: kept } : rest;
  await writeSecureFile(filePath, `${JSON.stringify(toSave, null, 2)}\n`);
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

function parseCache(text: string): SessionCache | undefined {
  try {
    const result = sessionCacheSchema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
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
