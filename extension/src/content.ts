// The content script, in every frame (all_frames, about:blank and srcdoc ones too): marks phone
// numbers in its frame (marker.ts), and turns a person's click or Enter on one (or, when enabled,
// on a tel:/callto:/sip: link) into a `call` message to the service worker. It never sees the token and never talks to the gateway. Only trusted events
// count: a page's script calling element.click() or dispatching a synthetic event dials nothing,
// and only spans this script made are buttons (a page cannot forge one with our class name).
import { checkRegion, regionFromLanguage } from "./find.js";
import { MARK_CLASS, NumberMarker } from "./marker.js";
import type { CallReply, CallStateMessage } from "./messages.js";
import { isExcluded, loadSettings, onSettingsChanged, type Settings } from "./settings.js";

const LINK_SCHEMES = /^(?:tel|callto|sip|sips):/i;
const STATE_WORDS: Record<string, string> = {
  calling: "calling…",
  dialing: "dialing",
  ringing: "ringing",
  connected: "connected",
  ended: "ended",
};

let marker: NumberMarker | undefined;
let settings: Settings;
const byRef = new Map<string, Element>();
let refCount = 0;

function benchHooks() {
  if (document.documentElement.dataset.dial3cxBench === undefined) return {};
  return {
    onBatch: (ms: number) => {
      const now = performance.now();
      performance.measure("dial3cx-batch", { start: now - ms, end: now });
    },
    onIdle: () => performance.mark("dial3cx-idle"),
  };
}

/**
 * The page's address for the excluded sites: an about:blank or srcdoc frame has its parent's
 * origin but no address of its own; a sandboxed one has the origin "null", which is excluded.
 */
function pageUrl(): string {
  return /^https?:/.test(location.href) ? location.href : self.origin;
}

function startMarking(): void {
  if (marker || isExcluded(pageUrl(), settings)) return;
  const region = checkRegion(settings.region) ?? regionFromLanguage(navigator.language);
  marker = new NumberMarker(document, { region, ...benchHooks() });
  marker.start();
}

function stopMarking(): void {
  marker?.stop();
  marker = undefined;
}

function show(element: Element, state: string, message?: string): void {
  element.setAttribute("data-dial3cx-state", state);
  const label = element.getAttribute("data-dial3cx-label") ?? element.getAttribute("aria-label");
  if (!element.hasAttribute("data-dial3cx-label") && label) {
    element.setAttribute("data-dial3cx-label", label);
  }
  const word = state === "error" ? `error: ${message ?? "failed"}` : (STATE_WORDS[state] ?? state);
  if (label) element.setAttribute("aria-label", `${label} (${word})`);
  (element as HTMLElement).title = message ?? word;
}

async function call(element: Element, number: string): Promise<void> {
  const ref = `r${++refCount}`;
  byRef.set(ref, element);
  show(element, "calling");
  let reply: CallReply;
  try {
    reply = await chrome.runtime.sendMessage({ type: "call", number, ref });
  } catch {
    reply = { ok: false, message: "The extension was reloaded: reload this page." };
  }
  if (!reply?.ok) show(element, "error", reply?.message);
  else if (element.getAttribute("data-dial3cx-state") === "calling") {
    show(element, reply.call.state ?? "dialing");
  }
}

function numberElement(event: Event): Element | undefined {
  if (!marker || !event.isTrusted) return undefined;
  const target = event.target instanceof Element ? event.target : null;
  const span = target?.closest(`span.${MARK_CLASS}`);
  return span && marker.numbers.has(span) ? span : undefined;
}

function onClick(event: MouseEvent): void {
  if (!event.isTrusted || event.button !== 0) return;
  const span = numberElement(event);
  if (span) {
    event.preventDefault();
    event.stopPropagation();
    void call(span, marker!.numbers.get(span)!.e164);
    return;
  }
  if (!settings.takeOverLinks || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
  const href = link?.getAttribute("href")?.trim() ?? "";
  if (link && LINK_SCHEMES.test(href)) {
    event.preventDefault();
    event.stopPropagation();
    void call(link, href);
  }
}

function onKey(event: KeyboardEvent): void {
  if (event.key !== "Enter" && event.key !== " ") return;
  const span = numberElement(event);
  if (!span) return;
  event.preventDefault();
  event.stopPropagation();
  void call(span, marker!.numbers.get(span)!.e164);
}

chrome.runtime.onMessage.addListener((message: CallStateMessage, sender) => {
  if (sender.id !== chrome.runtime.id || message?.type !== "call-state") return;
  const element = byRef.get(message.ref);
  if (!element) return;
  show(element, message.state, message.message);
  if (message.state === "ended" || message.state === "error") byRef.delete(message.ref);
});

async function main(): Promise<void> {
  settings = await loadSettings();
  window.addEventListener("click", onClick, true);
  window.addEventListener("keydown", onKey, true);
  startMarking();
  onSettingsChanged((next) => {
    const regionChanged = next.region !== settings.region;
    settings = next;
    if (isExcluded(pageUrl(), settings) || regionChanged) stopMarking();
    startMarking();
  });
}

void main();
