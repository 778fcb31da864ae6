// The warm call without a driver: with a valid cached session for this PBX and extension (and its
// devices), one POST of RequestMakeCall on that session is the whole call, as it is for the
// driver resuming the same cache. This loads no protobuf schema registry, no websocket, no
// keyring, no Call Control client: only the cache, TLS trust, the HTTP client and a few bytes of
// protobuf (drivers/webclient/warm-call.ts).
//
// Everything the driver would do differently is left to it: no cache or no cached devices, a
// driver other than the web client possible (Call Control configured), and an expired session
// (the PBX refused the request, nothing was done; the long way logs in and sends it then). Those
// come back as `placed: false` before or without anything done. Errors are the driver's own, in
// the driver's order (PBX URL, TLS trust, device choice, then the request); an answer after the
// request went out is final.
//
// The session is written back only when the answer changed a cookie (the cache file skips
// unchanged content anyway), so a warm call costs no write.
import type { DriverDevice } from "../../drivers/driver.js";
import { PbxHttp, parsePbxUrl } from "../../drivers/http.js";
import { resolveTlsTrust } from "../../drivers/tls.js";
import { postMakeCall } from "../../drivers/webclient/warm-call.js";
import type { Settings } from "../settings/config.js";
import type { AppPaths } from "../settings/paths.js";
import type { SecretStore } from "../settings/secrets.js";
import { loadSessionCache, type SessionCache, saveSessionCache } from "../settings/state-cache.js";
import { refreshTokenAccount } from "./account-names.js";
import { type DeviceRegistration, describeDevice, selectDevice } from "./devices.js";
import type { DialString } from "./dialstring.js";

export interface QuickCallOptions {
  settings: Settings;
  paths: Pick<AppPaths, "cacheFile">;
  to: DialString;
  /** Device selector, as for Dial3cxClient.chooseDevice (undefined: the settings' device). */
  device?: string;
  /** Where a renewed refresh token goes (the keyring by default), as rememberSession does. */
  store?: SecretStore;
  timeoutMs?: number;
}

export type QuickCallResult =
  | { placed: true; device: DeviceRegistration; extension: string }
  | { placed: false; reason: string; sessionExpired?: boolean };

const REFRESH_TOKEN_COOKIE = "RefreshTokenCookie";

export async function quickCall(options: QuickCallOptions): Promise<QuickCallResult> {
  const { settings } = options;
  const { pbx, extension } = settings;
  if (!pbx || !extension) return notPlaced("not logged in");
  // "auto" with an API client may pick Call Control: that choice needs the key and the PBX.
  if (settings.driver === "callcontrol" || (settings.driver !== "webclient" && settings.clientId)) {
    return notPlaced("Call Control may be used");
  }
  const cache = await loadSessionCache(options.paths.cacheFile, {
    pbx,
    extension,
    now: Date.now(),
  });
  if (!cache) return notPlaced("no cached session");
  // Without devices the driver reads them from the PBX first.
  if (cache.devices.length === 0) return notPlaced("no cached devices");
  const base = parsePbxUrl(pbx);
  const trust = await resolveTlsTrust(base, {
    ca: settings.ca,
    fingerprint: settings.fingerprint,
    insecure: settings.insecure,
  });
  const device = selectDevice(
    cache.devices.map((d) => describeDevice(toDriverDevice(d))),
    options.device ?? settings.device,
  );
  const http = new PbxHttp(base, trust, { timeoutMs: options.timeoutMs });
  try {
    for (const [name, value] of Object.entries(cache.cookies ?? {})) http.cookies.set(name, value);
    const outcome = await postMakeCall(http, cache.sessionKey, options.to.dial, device.contact);
    if (outcome === "session-expired") {
      return { placed: false, reason: "the cached session has expired", sessionExpired: true };
    }
    await rememberCookies(http.cookies, cache, options);
    return { placed: true, device, extension };
  } finally {
    await http.close();
  }
}

function notPlaced(reason: string): QuickCallResult {
  return { placed: false, reason };
}

function toDriverDevice(device: SessionCache["devices"][number]): DriverDevice {
  return {
    id: device.id,
    contact: device.contact,
    userAgent: device.userAgent,
    sourceAddress: device.sourceAddress,
    expiresAt: device.expiresAt === undefined ? undefined : new Date(device.expiresAt),
  };
}

/** What rememberSession does for the driver, when the answer set a cookie. Never fails the call. */
async function rememberCookies(
  jar: Map<string, string>,
  cache: SessionCache,
  options: QuickCallOptions,
): Promise<void> {
  const cookies = Object.fromEntries(jar);
  const before = cache.cookies ?? {};
  const changed =
    Object.keys(cookies).length !== Object.keys(before).length ||
    Object.entries(cookies).some(([name, value]) => before[name] !== value);
  if (!changed) return;
  const refresh = cookies[REFRESH_TOKEN_COOKIE];
  if (refresh) {
    const store = options.store ?? (await import("../settings/secrets.js")).keyringStore();
    await store.set(refreshTokenAccount(options.settings), refresh).catch(() => undefined);
  }
  const saved: SessionCache = { ...cache, cookies, savedAt: Date.now() };
  await saveSessionCache(options.paths.cacheFile, saved).catch(() => undefined);
}
