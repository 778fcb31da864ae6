// The extension's settings. Everything but the token lives in storage.local, which content
// scripts may read (they need the region, the excluded sites and the link switch). The token
// lives in the extension origin's IndexedDB, which only the extension's own pages and service
// worker can open: a content script runs in the web page's origin and never reaches it.
import { DEFAULT_GATEWAY_URL } from "./gateway.js";

export interface Settings {
  gatewayUrl: string;
  /** "DE", or "" for the browser's language. */
  region: string;
  /** Host names where no number is marked (a host also covers its subdomains). */
  excludedSites: string[];
  /** Take over clicks on tel:, callto: and sip: links. */
  takeOverLinks: boolean;
  /** The device to ring: a name as the gateway knows it, or "" for the gateway's default. */
  device: string;
}

export const DEFAULT_SETTINGS: Settings = {
  gatewayUrl: DEFAULT_GATEWAY_URL,
  region: "",
  excludedSites: [],
  takeOverLinks: false,
  device: "",
};

const KEY = "settings";

export async function loadSettings(): Promise<Settings> {
  const stored = (await chrome.storage.local.get(KEY))[KEY] as Partial<Settings> | undefined;
  return { ...DEFAULT_SETTINGS, ...(stored ?? {}) };
}

export async function saveSettings(settings: Settings): Promise<void> {
  await chrome.storage.local.set({ [KEY]: settings });
}

export function onSettingsChanged(listener: (settings: Settings) => void): void {
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area === "local" && changes[KEY]) {
      listener({ ...DEFAULT_SETTINGS, ...(changes[KEY].newValue as Partial<Settings>) });
    }
  });
}

/** Is marking off on this page? Excluded hosts (and their subdomains) and the gateway itself. */
export function isExcluded(pageUrl: string, settings: Settings): boolean {
  let page: URL;
  try {
    page = new URL(pageUrl);
  } catch {
    return true;
  }
  try {
    if (page.origin === new URL(settings.gatewayUrl).origin) return true;
  } catch {
    // A broken Gateway URL excludes nothing.
  }
  const host = page.hostname.toLowerCase();
  return settings.excludedSites.some((entry) => {
    const site = entry
      .trim()
      .toLowerCase()
      .replace(/^\*\./, "")
      .replace(/^\w+:\/\//, "");
    const bare = site.split("/")[0]!.replace(/:\d+$/, "");
    return bare !== "" && (host === bare || host.endsWith(`.${bare}`));
  });
}

/** "crm.example.com\n*.intranet" → ["crm.example.com", "*.intranet"]; blank lines dropped. */
export function parseSiteList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

// ---------------------------------------------------------------------------------------------
// The token (service worker and extension pages only)

const DB_NAME = "dial3cx";
const STORE = "secrets";

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export async function loadToken(): Promise<string> {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const request = db.transaction(STORE, "readonly").objectStore(STORE).get("token");
      request.onsuccess = () => resolve(typeof request.result === "string" ? request.result : "");
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

export async function saveToken(token: string): Promise<void> {
  const db = await openDb();
  try {
    await new Promise<void>((resolve, reject) => {
      const transaction = db.transaction(STORE, "readwrite");
      transaction.objectStore(STORE).put(token, "token");
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
    });
  } finally {
    db.close();
  }
}
