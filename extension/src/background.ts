// The service worker (Firefox: the background script): the only part of the extension that
// talks to the gateway or knows the token. Places calls for clicked numbers, the context menu
// and the popup; follows /v1/events while a call it placed is live and tells the tab that
// clicked how it goes; dedupes a number clicked twice within DEDUPE_MS; answers the options
// page's Test; fetches the recent calls for the popup.
import { checkRegion, findNumbers, regionFromLanguage } from "./find.js";
import { GatewayClient, type GatewayEvent, GatewayProblem } from "./gateway.js";
import type {
  CallReply,
  CallStateMessage,
  HistoryReply,
  OverviewReply,
  Reply,
  Request,
  TestReply,
} from "./messages.js";
import { loadSettings, loadToken, saveSettings, saveToken } from "./settings.js";

/** The same number within this time is dialled once (the gateway's default window). */
export const DEDUPE_MS = 3000;
const MENU_ID = "dial3cx-call-selection";
/** How long the event stream stays open after the last call it follows. */
const FOLLOW_LINGER_MS = 30_000;

async function client(target?: { gatewayUrl: string; token: string }): Promise<GatewayClient> {
  const settings = await loadSettings();
  return new GatewayClient(
    {
      url: target?.gatewayUrl ?? settings.gatewayUrl,
      token: target?.token || (await loadToken()),
    },
    { extensionId: chrome.runtime.id },
  );
}

function failure(error: unknown): { ok: false; message: string; kind?: string } {
  if (error instanceof GatewayProblem)
    return { ok: false, message: error.message, kind: error.kind };
  return { ok: false, message: error instanceof Error ? error.message : String(error) };
}

// ---------------------------------------------------------------------------------------------
// Following calls

/** Where a click came from: the tab, the frame in it, and the element's ref in that frame. */
interface Origin {
  tabId?: number;
  frameId?: number;
  ref?: string;
}

interface Watched extends Origin {
  /** Digits of what was dialled: matches events of a call whose id the POST did not know. */
  digits: string;
  callId: string | null;
  state: string;
}

const watched = new Set<Watched>();
/** The latest state of each call id the stream has shown, for calls placed mid-event. */
const latest = new Map<string, string>();
let stream: { abort: AbortController; connected: Promise<void> } | undefined;
let lingerTimer: ReturnType<typeof setTimeout> | undefined;

const digitsOf = (text: string) => text.replace(/\D/g, "").replace(/^00/, "");

function notify(entry: Watched, state: string, message?: string): void {
  entry.state = state;
  if (entry.tabId === undefined || entry.ref === undefined) return;
  const update: CallStateMessage = { type: "call-state", ref: entry.ref, state, message };
  // To the frame that clicked only: each frame's content script counts its refs on its own.
  const target = entry.frameId === undefined ? {} : { frameId: entry.frameId };
  chrome.tabs.sendMessage(entry.tabId, update, target).catch(() => {
    // The tab was closed or navigated: nobody to tell.
  });
}

function onEvent(event: GatewayEvent): void {
  const call = event.call;
  if (!call || !event.type.startsWith("call.")) return;
  latest.set(call.id, call.state);
  if (latest.size > 200) latest.delete(latest.keys().next().value!);
  for (const entry of watched) {
    const same =
      entry.callId === call.id ||
      (entry.callId === null && !call.incoming && digitsOf(call.number) === entry.digits);
    if (!same) continue;
    entry.callId = call.id;
    notify(entry, call.state);
    if (call.state === "ended") watched.delete(entry);
  }
  if (watched.size === 0) lingerThenStop();
}

/** Opens the event stream unless open; resolves once the gateway answered it (or it failed). */
async function follow(gateway: GatewayClient): Promise<void> {
  if (lingerTimer !== undefined) clearTimeout(lingerTimer);
  lingerTimer = undefined;
  if (!stream) {
    const abort = new AbortController();
    let opened!: () => void;
    const connected = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const current = { abort, connected };
    stream = current;
    gateway
      .events(
        (event) => {
          opened();
          onEvent(event);
        },
        abort.signal,
        opened,
      )
      .catch(() => undefined)
      .finally(() => {
        opened();
        if (stream === current) stream = undefined;
      });
  }
  // Never hold a call back long for the stream: at worst the first states are missed.
  await Promise.race([stream.connected, new Promise((resolve) => setTimeout(resolve, 1500))]);
}

function lingerThenStop(): void {
  if (lingerTimer !== undefined) clearTimeout(lingerTimer);
  lingerTimer = setTimeout(() => {
    lingerTimer = undefined;
    if (watched.size === 0) {
      stream?.abort.abort();
      stream = undefined;
    }
  }, FOLLOW_LINGER_MS);
}

// ---------------------------------------------------------------------------------------------
// Placing calls

const recent = new Map<string, { at: number; reply: Promise<CallReply> }>();

/** Places a call, once per number within DEDUPE_MS; `from` is the tab and element to tell. */
export function placeCall(number: string, from: Origin = {}) {
  const key = digitsOf(number) || number.trim();
  const now = Date.now();
  for (const [k, v] of recent) if (now - v.at > DEDUPE_MS) recent.delete(k);
  const earlier = recent.get(key);
  if (earlier) {
    return earlier.reply.then(
      (reply): CallReply => (reply.ok ? { ...reply, duplicate: true } : reply),
    );
  }
  const reply = dial(number, from);
  recent.set(key, { at: now, reply });
  // A failed attempt does not count: trying again dials.
  reply.then((r) => {
    if (!r.ok && recent.get(key)?.reply === reply) recent.delete(key);
  });
  return reply;
}

async function dial(number: string, from: Origin): Promise<CallReply> {
  const entry: Watched = { ...from, digits: digitsOf(number), callId: null, state: "dialing" };
  try {
    const settings = await loadSettings();
    const gateway = await client();
    watched.add(entry);
    await follow(gateway);
    const { call, created } = await gateway.call(number, settings.device || undefined);
    entry.callId = call.id;
    entry.digits = digitsOf(call.to);
    const known = call.id === null ? undefined : latest.get(call.id);
    notify(entry, known ?? call.state ?? "dialing");
    if (known === "ended") watched.delete(entry);
    return { ok: true, call, duplicate: !created };
  } catch (error) {
    watched.delete(entry);
    if (watched.size === 0) lingerThenStop();
    const reply = failure(error);
    notify(entry, "error", reply.message);
    return reply;
  }
}

// ---------------------------------------------------------------------------------------------
// The context menu

/** What the context menu does with a click; the browser test calls it directly too. */
export async function onMenuClick(
  info: { menuItemId: string | number; selectionText?: string },
  tab?: { id?: number },
): Promise<CallReply | undefined> {
  if (info.menuItemId !== MENU_ID) return undefined;
  const text = (info.selectionText ?? "").trim();
  if (text === "") return undefined;
  const settings = await loadSettings();
  const region = checkRegion(settings.region) ?? regionFromLanguage(navigator.language);
  // A number inside a longer selection ("Tel. 030 123456") is what is meant; a selection that
  // is no number the finder knows (an extension, *55) goes to the gateway as it is, which
  // validates it.
  const found = findNumbers(text, region);
  const number = found.length === 1 ? found[0]!.e164 : text.slice(0, 256);
  const reply = await placeCall(number, { tabId: tab?.id });
  if (!reply.ok) await showBadge("!", reply.message);
  return reply;
}

async function showBadge(text: string, title: string): Promise<void> {
  try {
    await chrome.action.setBadgeText({ text });
    await chrome.action.setTitle({ title: `dial3cx: ${title}` });
    setTimeout(() => {
      chrome.action.setBadgeText({ text: "" }).catch(() => undefined);
      chrome.action.setTitle({ title: "Call with 3CX" }).catch(() => undefined);
    }, 8000);
  } catch {
    // No toolbar button (a test harness): the reply carries the message.
  }
}

async function createMenu(): Promise<void> {
  await chrome.contextMenus.removeAll();
  chrome.contextMenus.create({
    id: MENU_ID,
    title: "Call “%s” with 3CX",
    contexts: ["selection"],
  });
}

// ---------------------------------------------------------------------------------------------
// Messages

const extensionPage = (url: string | undefined) =>
  url?.startsWith(chrome.runtime.getURL("")) === true;

async function handle(request: Request, sender: chrome.runtime.MessageSender): Promise<unknown> {
  if (sender.id !== chrome.runtime.id) return { ok: false, message: "not allowed" };
  const fromPage = extensionPage(sender.url) && sender.tab === undefined;
  const fromOwnTab = extensionPage(sender.url);
  if (request.type === "call") {
    if (typeof request.number !== "string" || request.number.length > 256) {
      return { ok: false, message: "That is not a number." };
    }
    if (fromOwnTab) return placeCall(request.number);
    return placeCall(request.number, {
      tabId: sender.tab?.id,
      frameId: sender.frameId,
      ref: request.ref,
    });
  }
  // Everything else: the popup and the options page only (popup: no tab; options: its own tab).
  if (!fromPage && !fromOwnTab) return { ok: false, message: "not allowed" };
  switch (request.type) {
    case "hangup":
      try {
        await (await client()).hangup(request.id);
        return { ok: true } satisfies Reply;
      } catch (error) {
        return failure(error);
      }
    case "overview":
      return overview();
    case "history":
      return history();
    case "test":
      return test(request.gatewayUrl, request.token);
    case "save":
      await saveSettings(request.settings);
      if (request.token.trim() !== "") await saveToken(request.token.trim());
      return { ok: true } satisfies Reply;
    default:
      return { ok: false, message: "unknown request" };
  }
}

async function overview(): Promise<OverviewReply> {
  try {
    const settings = await loadSettings();
    const gateway = await client();
    const [status, devices, calls] = await Promise.all([
      gateway.status(),
      gateway.devices(),
      gateway.calls(),
    ]);
    return {
      ok: true,
      extension: status.extension,
      name: status.name,
      devices,
      calls,
      device: settings.device,
    };
  } catch (error) {
    return failure(error);
  }
}

/** How many recent calls the popup shows. */
const RECENT_CALLS = 5;

async function history(): Promise<HistoryReply> {
  try {
    return { ok: true, calls: await (await client()).history(RECENT_CALLS) };
  } catch (error) {
    return failure(error);
  }
}

async function test(gatewayUrl: string, token: string): Promise<TestReply> {
  try {
    const settings = await loadSettings();
    const gateway = await client({ gatewayUrl, token });
    const [status, devices] = await Promise.all([gateway.status(), gateway.devices()]);
    await gateway.check();
    const device =
      settings.device ||
      (devices.length === 1 ? devices[0]!.name : `the gateway's default of ${devices.length}`);
    const who = status.name ? `${status.extension} (${status.name})` : status.extension;
    const own = chrome.runtime.getManifest().version;
    const text = `Works: extension ${who}, device ${device}, gateway ${status.version}, browser extension ${own}.`;
    return { ok: true, text };
  } catch (error) {
    return failure(error);
  }
}

chrome.runtime.onMessage.addListener((request: Request, sender, sendResponse) => {
  handle(request, sender).then(sendResponse, (error) => sendResponse(failure(error)));
  return true;
});
chrome.contextMenus.onClicked.addListener((info, tab) => {
  void onMenuClick(info, tab);
});
chrome.runtime.onInstalled.addListener(() => void createMenu());
chrome.runtime.onStartup.addListener(() => void createMenu());

// For the browser test: the context menu cannot be opened in headless Chromium, so the test calls
// the handler the menu calls. Only the extension's own pages can reach the worker's globals.
(globalThis as { dial3cx?: unknown }).dial3cx = { onMenuClick, menuId: MENU_ID };
