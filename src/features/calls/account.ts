// The user's account on the PBX as the CLI and the handler use it: settings + password source +
// the warm-path session cache. A warm `call` resumes the cached session and sends only MakeCall;
// when the PBX says the session is gone, the driver logs in afresh (the refused request is then
// sent again, never a request that may have been carried out).

import type { DriverDevice } from "../../drivers/driver.js";
import type { WebClientSnapshot } from "../../drivers/webclient/driver.js";
import { ConfigError, NotLoggedInError } from "../../errors.js";
import type { Settings } from "../settings/config.js";
import type { AppPaths } from "../settings/paths.js";
import { keyringStore, resolvePassword, type SecretStore } from "../settings/secrets.js";
import {
  clearSessionCache,
  loadSessionCache,
  type SessionCache,
  saveSessionCache,
} from "../settings/state-cache.js";
import { accountName, refreshTokenAccount } from "./account-names.js";
import {
  type CallControlCredentials,
  type ConnectOptions,
  connect,
  type Dial3cxClient,
} from "./client.js";
import { type CallJournal, callJournalFile, FileCallJournal } from "./history.js";
import { dialStringOptions } from "./place-call.js";

export interface AccountOptions {
  settings: Settings;
  paths: AppPaths;
  env: NodeJS.ProcessEnv;
  /** Follow events over the websocket (needed for --wait, watch, status). */
  events: boolean;
  /** Resume the cached session when there is one (default true). */
  useCache?: boolean;
  /**
   * The PBX refused the cached session a moment ago (the quick call's MakeCall): resume its
   * devices and cookies but renew the session before the first request, so the refused request is
   * not sent on it twice.
   */
  sessionExpired?: boolean;
  /** With --password-stdin. */
  stdinPassword?: () => Promise<string>;
  securityCode?: string;
  /** Where the password and refresh token live; the OS keyring by default. */
  store?: SecretStore;
  onRequest?: ConnectOptions["onRequest"];
  timeoutMs?: number;
  /** Where a Call Control API key lives when DIAL3CX_API_KEY is unset; default `store`. */
  apiKeyStore?: SecretStore;
  /** With driver "auto": why Call Control was not used (e.g. for a debug line). */
  onDriverFallback?: ConnectOptions["onDriverFallback"];
  /** Debug lines of the driver (e.g. an unknown Call Control event frame). */
  onDebug?: (line: string) => void;
  /** Variables password_command must not see (the gateway's other accounts' password_env). */
  hiddenFromPasswordCommand?: readonly string[];
  /** Where finished calls are journalled; default the account's file in the state directory. */
  journal?: CallJournal;
}

export { accountName } from "./account-names.js";

export async function openAccount(options: AccountOptions): Promise<Dial3cxClient> {
  const { settings, paths } = options;
  if (!settings.pbx || !settings.extension) throw new NotLoggedInError();
  const pbx = settings.pbx;
  const extension = settings.extension;
  const store = options.store ?? keyringStore();
  const cache =
    options.useCache === false
      ? undefined
      : await loadSessionCache(paths.cacheFile, { pbx, extension, now: Date.now() });
  // Without cached devices a call cannot pick one: read them from MyInfo.
  const events = options.events || cache === undefined || cache.devices.length === 0;
  const resume = cache && { ...toSnapshot(cache), expired: options.sessionExpired === true };
  const saved = savedRefreshToken(store, refreshAccount(settings));
  const impersonate =
    settings.auth === "api-client"
      ? await apiClientLogin(options, options.apiKeyStore ?? store)
      : undefined;
  const client = await connect({
    pbx,
    extension,
    // As an API client (auth = "api-client") no password is ever read.
    ...(impersonate ? { impersonate } : { password: () => password(options, store) }),
    securityCode: options.securityCode,
    tls: { ca: settings.ca, fingerprint: settings.fingerprint, insecure: settings.insecure },
    resume,
    refreshToken: saved.read,
    events,
    dial: dialStringOptions(settings),
    device: settings.device,
    onRequest: options.onRequest,
    timeoutMs: options.timeoutMs,
    ...(options.onDebug ? { onDebug: options.onDebug } : {}),
    journal: options.journal ?? new FileCallJournal(callJournalFile(paths.stateDir, settings)),
    ...(await driverOptions(options, store)),
  });
  resumedRefreshTokens.set(client, saved);
  return client;
}

/**
 * The refresh token in the keyring, read only when the session needs renewing: the keyring's
 * native module costs ~40 ms, which a warm call should not pay. Remembers what it read, so an
 * unchanged token is not written back.
 */
function savedRefreshToken(store: SecretStore, account: string) {
  const saved = {
    value: undefined as string | undefined,
    read: async () => {
      saved.value = await store.get(account).catch(() => undefined);
      return saved.value;
    },
  };
  return saved;
}

/** Per client, the refresh token it was given: storing it again would cost a keyring write. */
const resumedRefreshTokens = new WeakMap<Dial3cxClient, ReturnType<typeof savedRefreshToken>>();

async function password(options: AccountOptions, store: SecretStore): Promise<string> {
  const found = await resolvePassword({
    account: accountName(options.settings),
    store,
    passwordCommand: options.settings.passwordCommand,
    env: options.env,
    stdin: options.stdinPassword,
    hiddenFromCommand: options.hiddenFromPasswordCommand,
  });
  if (!found) {
    throw new NotLoggedInError(
      `No password for extension ${options.settings.extension}: run \`dial3cx login\`, or set password_command in the config or DIAL3CX_PASSWORD.`,
    );
  }
  return found.password;
}

/** Saves the client's session for the next warm start. Never fails the command. */
export async function rememberSession(
  client: Dial3cxClient,
  options: Pick<AccountOptions, "settings" | "paths" | "store">,
): Promise<void> {
  const snapshot = client.snapshot();
  const { pbx, extension } = options.settings;
  if (!snapshot || !pbx || !extension) return;
  const refresh = snapshot.cookies.RefreshTokenCookie;
  if (refresh && refresh !== resumedRefreshTokens.get(client)?.value) {
    const store = options.store ?? keyringStore();
    await store.set(refreshAccount(options.settings), refresh).catch(() => undefined);
  }
  const cache: SessionCache = {
    version: 1,
    pbx,
    extension,
    pbxVersion: snapshot.pbxVersion,
    sessionKey: snapshot.sessionKey,
    pass: snapshot.pass,
    accessToken: snapshot.accessToken,
    accessTokenExpiresAt: snapshot.accessTokenExpiresAt,
    cookies: snapshot.cookies,
    devices: snapshot.devices.map((d) => ({
      id: d.id,
      contact: d.contact,
      userAgent: d.userAgent,
      sourceAddress: d.sourceAddress,
      expiresAt: d.expiresAt?.getTime(),
    })),
    savedAt: Date.now(),
  };
  await saveSessionCache(options.paths.cacheFile, cache).catch(() => undefined);
}

/** Forgets the cached session and the refresh token. */
export async function forgetSession(
  options: Pick<AccountOptions, "settings" | "paths" | "store">,
): Promise<void> {
  await clearSessionCache(options.paths.cacheFile);
  const store = options.store ?? keyringStore();
  await store.delete(refreshAccount(options.settings)).catch(() => false);
}

const refreshAccount = refreshTokenAccount;

function toSnapshot(cache: SessionCache): WebClientSnapshot {
  const cookies = { ...cache.cookies };
  const devices: DriverDevice[] = cache.devices.map((d) => ({
    id: d.id,
    contact: d.contact,
    userAgent: d.userAgent,
    sourceAddress: d.sourceAddress,
    expiresAt: d.expiresAt === undefined ? undefined : new Date(d.expiresAt),
  }));
  return {
    pbxVersion: cache.pbxVersion,
    sessionKey: cache.sessionKey,
    pass: cache.pass,
    accessToken: cache.accessToken,
    accessTokenExpiresAt: cache.accessTokenExpiresAt,
    cookies,
    devices,
  };
}

// ---------------------------------------------------------------------------------------------
// Call Control API client

/** The keyring account name for a Call Control API key: "api-key:<client id>@<pbx origin>". */
export function apiKeyAccount(settings: Pick<Settings, "pbx" | "clientId">): string {
  return `api-key:${settings.clientId}@${settings.pbx}`;
}

/** The driver choice and API client for `connect`. */
async function driverOptions(
  options: AccountOptions,
  store: SecretStore,
): Promise<Pick<ConnectOptions, "driver" | "callControl" | "onDriverFallback">> {
  const credentials = await callControlCredentials(options, options.apiKeyStore ?? store);
  return {
    driver: options.settings.driver,
    // Call Control reads devices over REST: its event socket only when events were asked for.
    ...(credentials ? { callControl: { ...credentials, events: options.events } } : {}),
    ...(options.onDriverFallback ? { onDriverFallback: options.onDriverFallback } : {}),
  };
}

/**
 * auth = "api-client": the API client that logs the web client in for the extension, its key
 * from DIAL3CX_API_KEY or the keyring. Without a client id or key: a ConfigError / NotLoggedInError.
 */
export async function apiClientLogin(
  options: Pick<AccountOptions, "settings" | "env">,
  store: SecretStore,
): Promise<CallControlCredentials> {
  const { settings } = options;
  const clientId = settings.clientId;
  if (!clientId) {
    throw new ConfigError(
      `auth = "api-client" needs client_id: the Client ID of the API client (Admin Console → Integrations → API) that may act for extension ${settings.extension}.`,
    );
  }
  const apiKey =
    options.env.DIAL3CX_API_KEY ||
    (await store.get(apiKeyAccount(settings)).catch(() => undefined));
  if (apiKey) return { clientId, apiKey };
  throw new NotLoggedInError(
    `No API key for API client "${clientId}" (auth = "api-client"): set DIAL3CX_API_KEY, or store the key in the keyring (service "dial3cx", account "${apiKeyAccount(settings)}").`,
  );
}

/**
 * The API client the settings name, its key from DIAL3CX_API_KEY or else the keyring (a secret:
 * never a flag, never the config file). Undefined for driver "webclient", without a client id, or,
 * with "auto", without a key. Driver "callcontrol" without a key is a NotLoggedInError.
 */
export async function callControlCredentials(
  options: Pick<AccountOptions, "settings" | "env">,
  store: SecretStore,
): Promise<CallControlCredentials | undefined> {
  const { settings } = options;
  const clientId = settings.clientId;
  if (settings.driver === "webclient" || !clientId) return undefined;
  const apiKey =
    options.env.DIAL3CX_API_KEY ||
    (await store.get(apiKeyAccount(settings)).catch(() => undefined));
  if (apiKey) return { clientId, apiKey };
  if (settings.driver !== "callcontrol") return undefined;
  throw new NotLoggedInError(
    `No API key for Call Control API client "${clientId}": set DIAL3CX_API_KEY, or store the key in the keyring (service "dial3cx", account "${apiKeyAccount(settings)}").`,
  );
}
