// The dialer page served by `dial3cx serve` at `/`: asks for the API token once (kept in
// localStorage), places calls (POST /v1/calls; the gateway parses the number), lists the
// extension's calls live from /v1/events (read with fetch, since EventSource cannot send the
// Authorization header) with hang-up buttons, offers the registered devices and searches
// contacts. An incoming call shows the caller's name as the gateway resolved it (call.ringing);
// missed calls (GET /v1/history?missed=true) are listed with a "Call back" button for those whose
// caller id is a number (never for `anonymous`, an empty one or a SIP URI). Plain DOM; every piece
// of data reaches the page through textContent only.
import { displayText } from "../features/display-text.js";
import { Backoff, type SseMessage, SseParser } from "./sse.js";

const TOKEN_KEY = "dial3cx.token";
const CONTACT_SEARCH_DELAY_MS = 250;
/** Ended calls kept on screen (most recent first) until "Clear ended". */
const MAX_ENDED_CALLS = 10;

type CallState = "dialing" | "ringing" | "connected" | "transferring" | "ended";

interface CallView {
  id: string;
  state: CallState;
  number: string;
  name: string | null;
  incoming: boolean;
}

interface PlacedCall {
  id: string | null;
  display: string;
  device: string;
  state: CallState;
  duplicate: boolean;
}

interface DeviceView {
  id: string;
  name: string;
  kind: string;
  contact: string;
}

interface StatusView {
  extension: string;
  name: string | null;
}

interface ContactMatch {
  id: string;
  name: string;
  organization: string | null;
  number: string;
  numberType: string;
}

interface GatewayEvent {
  type: string;
  call?: CallView;
  /** call.ringing, call.answered, call.missed: the resolved caller name. */
  name?: string | null;
}

interface HistoryEntry {
  direction: string;
  missed: boolean;
  number: string;
  name: string | null;
  time: string | null;
  callback: boolean;
}

/** Missed calls listed (newest first). */
const MAX_MISSED_CALLS = 10;

/** The gateway refused the token: the page goes back to asking for one. */
class TokenRefused extends Error {}

/** An answer of the API that is not 2xx, with the gateway's own message. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// DOM

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = displayText(text);
  return element;
}

const view = {
  tokenView: byId<HTMLElement>("token-view"),
  tokenForm: byId<HTMLFormElement>("token-form"),
  tokenInput: byId<HTMLInputElement>("token"),
  tokenError: byId<HTMLElement>("token-error"),
  dialerView: byId<HTMLElement>("dialer-view"),
  who: byId<HTMLElement>("who"),
  live: byId<HTMLElement>("live"),
  forget: byId<HTMLButtonElement>("forget"),
  dialForm: byId<HTMLFormElement>("dial-form"),
  number: byId<HTMLInputElement>("number"),
  device: byId<HTMLSelectElement>("device"),
  callButton: byId<HTMLButtonElement>("call"),
  dialError: byId<HTMLElement>("dial-error"),
  dialNote: byId<HTMLElement>("dial-note"),
  calls: byId<HTMLUListElement>("calls"),
  noCalls: byId<HTMLElement>("no-calls"),
  clearEnded: byId<HTMLButtonElement>("clear-ended"),
  contactQuery: byId<HTMLInputElement>("contact-query"),
  contactsStatus: byId<HTMLElement>("contacts-status"),
  contacts: byId<HTMLUListElement>("contacts"),
  missed: byId<HTMLUListElement>("missed"),
  noMissed: byId<HTMLElement>("no-missed"),
  missedStatus: byId<HTMLElement>("missed-status"),
  announce: byId<HTMLElement>("announce"),
};

function showMessage(element: HTMLElement, text: string | undefined): void {
  element.textContent = displayText(text ?? "");
  element.hidden = !text;
}

// ---------------------------------------------------------------------------------------------
// API

let token: string | null = null;
/** Aborted when the token changes or is forgotten: ends the event stream and pending requests. */
let session = new AbortController();

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token ?? ""}`);
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers, cache: "no-store", signal: init.signal });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, "network", "Cannot reach the dial3cx gateway: is dial3cx serve running?");
  }
  if (response.status === 401) throw new TokenRefused();
  if (response.status === 204) return undefined as T;
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const problem = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(
      response.status,
      problem?.code ?? "http",
      problem?.message ?? `The gateway answered ${response.status}.`,
    );
  }
  return body as T;
}

/** Runs an API action; a refused token sends the user back to the token form. */
async function guarded(action: () => Promise<void>, onError?: (error: Error) => void) {
  try {
    await action();
  } catch (error) {
    if (error instanceof TokenRefused) return askForToken("The gateway did not accept the token.");
    if (error instanceof DOMException && error.name === "AbortError") return;
    onError?.(error instanceof Error ? error : new Error(String(error)));
  }
}

// ---------------------------------------------------------------------------------------------
// Token

/** Shows the token form; `problem` says why (a refused token is also forgotten). */
function askForToken(problem?: string): void {
  session.abort();
  contactSearch?.abort();
  token = null;
  if (problem) localStorage.removeItem(TOKEN_KEY);
  view.dialerView.hidden = true;
  view.forget.hidden = true;
  view.who.textContent = "";
  setLive("off");
  view.tokenView.hidden = false;
  showMessage(view.tokenError, problem);
  view.tokenInput.value = "";
  view.tokenInput.focus();
}

view.tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const candidate = view.tokenInput.value.trim();
  if (!candidate) return showMessage(view.tokenError, "Paste the token first.");
  // A token is printable ASCII; anything else cannot even go into a header.
  if (!/^[\x21-\x7e]+$/.test(candidate)) {
    return showMessage(view.tokenError, "That is not a token: copy the line --show-token prints.");
  }
  token = candidate;
  void guarded(
    async () => {
      showWho(await api<StatusView>("/v1/status"));
      localStorage.setItem(TOKEN_KEY, candidate);
      start();
    },
    (error) => {
      token = null;
      showMessage(view.tokenError, error.message);
    },
  );
});

view.forget.addEventListener("click", () => {
  localStorage.removeItem(TOKEN_KEY);
  askForToken();
});

/** Shows the dialer and follows the gateway; a gateway that is down is retried, not an error. */
function start(): void {
  session.abort();
  session = new AbortController();
  calls.clear();
  callerNames.clear();
  renderCalls();
  view.tokenView.hidden = true;
  view.dialerView.hidden = false;
  view.forget.hidden = false;
  void followEvents(session.signal);
  view.number.focus();
}

async function loadStatus(): Promise<void> {
  await guarded(async () =>
    showWho(await api<StatusView>("/v1/status", { signal: session.signal })),
  );
}

function showWho(status: StatusView): void {
  view.who.textContent = status.name
    ? `Extension ${status.extension} · ${displayText(status.name)}`
    : `Extension ${status.extension}`;
}

// ---------------------------------------------------------------------------------------------
// Devices

async function loadDevices(): Promise<void> {
  await guarded(async () => {
    const { devices } = await api<{ devices: DeviceView[] }>("/v1/devices", {
      signal: session.signal,
    });
    const chosen = view.device.value;
    const options = [new Option("Default device", "")];
    for (const device of devices) {
      // The SIP contact names one registration exactly, even when two devices share a name.
      options.push(new Option(displayText(device.name), device.contact));
    }
    view.device.replaceChildren(...options);
    view.device.value = devices.some((device) => device.contact === chosen) ? chosen : "";
    view.device.disabled = devices.length === 0;
    if (devices.length === 0) options[0]!.textContent = "No device registered";
  });
}

// ---------------------------------------------------------------------------------------------
// Placing a call

view.dialForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const to = view.number.value.trim();
  showMessage(view.dialNote, undefined);
  if (!to) {
    showMessage(view.dialError, "Type or paste a number first.");
    view.number.focus();
    return;
  }
  showMessage(view.dialError, undefined);
  view.callButton.disabled = true;
  view.callButton.textContent = "Calling…";
  void guarded(
    () => postCall(to),
    (error) => {
      showMessage(view.dialError, error.message);
      view.number.focus();
    },
  ).finally(() => {
    view.callButton.disabled = false;
    view.callButton.textContent = "Call";
  });
});

function notePlacedCall(placed: PlacedCall): void {
  const where = placed.device ? ` on ${placed.device}` : "";
  showMessage(
    view.dialNote,
    placed.duplicate
      ? `${placed.display} was dialled a moment ago: not dialling it twice.`
      : `Calling ${placed.display}: pick up${where}.`,
  );
  notedCallId = placed.id;
  if (placed.id !== null) {
    displayById.set(placed.id, placed.display);
    const row = calls.get(placed.id);
    // The event stream may have told about the call first; it knows the newer state.
    if (!row) upsertCall({ ...placedCallView(placed) }, sequence);
    else renderCalls();
    const state = calls.get(placed.id)?.call.state;
    if (state !== "dialing" && state !== "ringing") showMessage(view.dialNote, undefined);
  }
}

function placedCallView(placed: PlacedCall): CallView {
  return {
    id: placed.id!,
    state: placed.state,
    number: placed.display,
    name: null,
    incoming: false,
  };
}

// ---------------------------------------------------------------------------------------------
// Calls

interface CallRow {
  call: CallView;
  /** The event sequence number of the last change, so an older snapshot never undoes it. */
  seenAt: number;
  endedAt?: number;
  hangingUp?: boolean;
  problem?: string;
}

const calls = new Map<string, CallRow>();
/** What the user typed for calls placed from this page ("+49 30 123456" reads better). */
const displayById = new Map<string, string>();
let sequence = 0;
/** The call the "Calling …: pick up" note is about; the note goes once it stops ringing. */
let notedCallId: string | null = null;

function upsertCall(call: CallView, seenAt: number): void {
  const row = calls.get(call.id);
  const before = row?.call.state;
  if (row && (row.seenAt > seenAt || (before === "ended" && call.state !== "ended"))) return;
  const next: CallRow = { ...row, call, seenAt };
  if (call.state === "ended" && before !== "ended") {
    next.endedAt = Date.now();
    next.hangingUp = false;
  }
  calls.set(call.id, next);
  if (before !== call.state) announce(`${callLabel(call)}: ${call.state}`);
  if (call.id === notedCallId && call.state !== "dialing" && call.state !== "ringing") {
    notedCallId = null;
    showMessage(view.dialNote, undefined);
  }
  renderCalls();
}

/** The calls the gateway knows now; live rows it no longer lists have ended meanwhile. */
async function resyncCalls(signal: AbortSignal): Promise<void> {
  const askedAt = sequence;
  const { calls: live } = await api<{ calls: CallView[] }>("/v1/calls", { signal });
  const liveIds = new Set(live.map((call) => call.id));
  for (const call of live) upsertCall(call, askedAt);
  for (const row of [...calls.values()]) {
    if (!liveIds.has(row.call.id) && row.call.state !== "ended" && row.seenAt <= askedAt) {
      upsertCall({ ...row.call, state: "ended" }, askedAt);
    }
  }
}

/** Incoming callers' names as the gateway resolved them (vCards, phone book, PBX), by call id. */
const callerNames = new Map<string, string>();

function nameOf(call: CallView): string | null {
  return callerNames.get(call.id) ?? call.name;
}

function callLabel(call: CallView): string {
  return nameOf(call) ?? displayById.get(call.id) ?? numberShown(call.number);
}

/** A caller id as the PBX sent it; an empty one is said, not left blank. */
function numberShown(number: string): string {
  return number === "" ? "No caller id" : number;
}

function renderCalls(): void {
  const rows = [...calls.values()];
  const ended = rows
    .filter((row) => row.call.state === "ended")
    .sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0));
  for (const row of ended.slice(MAX_ENDED_CALLS)) calls.delete(row.call.id);
  const active = rows.filter((row) => row.call.state !== "ended");
  const shown = [...active, ...ended.slice(0, MAX_ENDED_CALLS)];
  view.calls.replaceChildren(...shown.map(callItem));
  view.noCalls.hidden = shown.length > 0;
  view.clearEnded.hidden = ended.length === 0;
}

function callItem(row: CallRow): HTMLLIElement {
  const { call } = row;
  const item = el("li", "call");
  item.dataset.state = call.state;
  item.dataset.callId = call.id;
  const who = el("div", "call-who");
  const display = displayById.get(call.id) ?? numberShown(call.number);
  const name = nameOf(call);
  who.append(el("span", "call-name", name ?? display));
  if (name) who.append(el("span", "call-number", display));
  const state = el("span", `state state-${call.state}`, call.state);
  const meta = el("div", "call-meta");
  if (call.incoming) meta.append(el("span", "call-direction", "incoming"));
  meta.append(state);
  item.append(who, meta);
  if (call.state !== "ended") {
    const hangup = el("button", "danger", row.hangingUp ? "Hanging up…" : "Hang up");
    hangup.type = "button";
    hangup.disabled = row.hangingUp === true;
    hangup.setAttribute("aria-label", `Hang up the call with ${callLabel(call)}`);
    hangup.addEventListener("click", () => hangUp(call.id));
    item.append(hangup);
  }
  if (row.problem) item.append(el("p", "error call-problem", row.problem));
  return item;
}

function hangUp(id: string): void {
  const row = calls.get(id);
  if (!row) return;
  row.hangingUp = true;
  row.problem = undefined;
  renderCalls();
  void guarded(
    async () => {
      try {
        await api<void>(`/v1/calls/${encodeURIComponent(id)}`, {
          method: "DELETE",
          signal: session.signal,
        });
      } catch (error) {
        // Already over: the PBX ended it before the click arrived.
        if (error instanceof ApiError && error.status === 404) {
          return upsertCall({ ...row.call, state: "ended" }, sequence);
        }
        throw error;
      }
    },
    (error) => {
      const current = calls.get(id);
      if (!current) return;
      current.hangingUp = false;
      current.problem = error.message;
      renderCalls();
    },
  );
}

view.clearEnded.addEventListener("click", () => {
  for (const row of [...calls.values()]) {
    if (row.call.state === "ended") calls.delete(row.call.id);
  }
  renderCalls();
  view.number.focus();
});

function announce(text: string): void {
  view.announce.textContent = text;
}

// ---------------------------------------------------------------------------------------------
// Live events

type LiveState = "off" | "connecting" | "live" | "retrying";

function setLive(state: LiveState, retryInMs?: number): void {
  view.live.dataset.state = state;
  const seconds = retryInMs === undefined ? 0 : Math.ceil(retryInMs / 1000);
  view.live.textContent = {
    off: "",
    connecting: "Connecting…",
    live: "Live",
    retrying: `Offline · retrying in ${seconds} s`,
  }[state];
}

/** Follows /v1/events until the session ends, reconnecting with backoff. */
async function followEvents(signal: AbortSignal): Promise<void> {
  const backoff = new Backoff();
  while (!signal.aborted) {
    setLive("connecting");
    const parser = new SseParser();
    try {
      const response = await fetch("/v1/events", {
        headers: { authorization: `Bearer ${token ?? ""}`, accept: "text/event-stream" },
        cache: "no-store",
        signal,
      });
      if (response.status === 401) return askForToken("The gateway did not accept the token.");
      if (!response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
      setLive("live");
      backoff.reset();
      // Subscribed now: whatever changed while the stream was down shows in the snapshot.
      void guarded(() => resyncCalls(signal));
      void loadMissed();
      void loadDevices();
      void loadStatus();
      await readStream(response.body, parser, signal);
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof TokenRefused)
        return askForToken("The gateway did not accept the token.");
    }
    if (signal.aborted) return;
    const delay = backoff.next(parser.retryMs);
    setLive("retrying", delay);
    await sleep(delay, signal);
  }
}

async function readStream(
  body: ReadableStream<Uint8Array>,
  parser: SseParser,
  signal: AbortSignal,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const cancel = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener("abort", cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      for (const message of parser.push(decoder.decode(value, { stream: true }))) {
        handleEvent(message);
      }
    }
  } finally {
    signal.removeEventListener("abort", cancel);
  }
}

function handleEvent(message: SseMessage): void {
  let event: GatewayEvent;
  try {
    event = JSON.parse(message.data) as GatewayEvent;
  } catch {
    return;
  }
  sequence += 1;
  if (event.call && event.name && /^call\.(ringing|answered|missed)$/.test(event.type)) {
    callerNames.set(event.call.id, event.name);
  }
  if (event.type.startsWith("call.") && event.call) upsertCall(event.call, sequence);
  if (event.type === "call.missed") void loadMissed();
  if (event.type.startsWith("device.")) void loadDevices();
}

// ---------------------------------------------------------------------------------------------
// Missed calls

async function loadMissed(): Promise<void> {
  await guarded(
    async () => {
      const { calls: missed } = await api<{ calls: HistoryEntry[] }>(
        `/v1/history?missed=true&limit=${MAX_MISSED_CALLS}`,
        { signal: session.signal },
      );
      view.missed.replaceChildren(...missed.map(missedItem));
      view.noMissed.hidden = missed.length > 0;
      showMessage(view.missedStatus, undefined);
    },
    (error) => showMessage(view.missedStatus, error.message),
  );
}

function missedItem(entry: HistoryEntry): HTMLLIElement {
  const item = el("li", "call missed-call");
  const who = el("div", "call-who");
  const shown = numberShown(entry.number);
  who.append(el("span", "call-name", entry.name ?? shown));
  if (entry.name) who.append(el("span", "call-number", shown));
  const meta = el("div", "call-meta");
  if (entry.time) {
    const time = el("time", "call-time", new Date(entry.time).toLocaleString());
    time.dateTime = entry.time;
    meta.append(time);
  }
  item.append(who, meta);
  if (entry.callback) {
    const button = el("button", "primary call-back", "Call back");
    button.type = "button";
    button.setAttribute("aria-label", `Call back ${entry.name ?? shown}`);
    button.addEventListener("click", () => callBack(entry, button));
    item.append(button);
  }
  return item;
}

/** POST /v1/calls on the chosen device; the placed call joins the list. */
async function postCall(to: string): Promise<void> {
  const body: { to: string; device?: string } = { to };
  if (view.device.value) body.device = view.device.value;
  const placed = await api<PlacedCall>("/v1/calls", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: session.signal,
  });
  notePlacedCall(placed);
}

function callBack(entry: HistoryEntry, button: HTMLButtonElement): void {
  button.disabled = true;
  button.textContent = "Calling…";
  void guarded(
    () => postCall(entry.number),
    (error) => showMessage(view.missedStatus, error.message),
  ).finally(() => {
    button.disabled = false;
    button.textContent = "Call back";
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Contacts

let contactTimer: ReturnType<typeof setTimeout> | undefined;
let contactSearch: AbortController | undefined;

view.contactQuery.addEventListener("input", () => {
  clearTimeout(contactTimer);
  contactSearch?.abort();
  const query = view.contactQuery.value.trim();
  if (!query) {
    view.contacts.replaceChildren();
    showMessage(view.contactsStatus, undefined);
    return;
  }
  contactTimer = setTimeout(() => void searchContacts(query), CONTACT_SEARCH_DELAY_MS);
});

async function searchContacts(query: string): Promise<void> {
  const search = new AbortController();
  contactSearch = search;
  const signal = search.signal;
  showMessage(view.contactsStatus, "Searching…");
  await guarded(
    async () => {
      const params = new URLSearchParams({ q: query, limit: "8" });
      const found = await api<{ contacts: ContactMatch[]; warnings: string[] }>(
        `/v1/contacts?${params}`,
        { signal },
      );
      if (search.signal.aborted) return;
      view.contacts.replaceChildren(...found.contacts.map(contactItem));
      const note = found.contacts.length === 0 ? `No contact matches “${query}”.` : undefined;
      const warning = found.warnings.length > 0 ? "Some contact sources could not be read." : "";
      showMessage(view.contactsStatus, [note, warning].filter(Boolean).join(" ") || undefined);
    },
    (error) => {
      if (!search.signal.aborted) showMessage(view.contactsStatus, error.message);
    },
  );
}

function contactItem(contact: ContactMatch): HTMLLIElement {
  const item = el("li");
  const button = el("button", "contact");
  button.type = "button";
  const name = el("span", "contact-name", contact.name);
  const details = [contact.organization, contact.numberType].filter(Boolean).join(" · ");
  const number = el("span", "contact-number", contact.number);
  button.append(name, number);
  if (details) button.append(el("span", "contact-details", details));
  button.title = `Put ${contact.number} in the number box`;
  button.addEventListener("click", () => {
    view.number.value = contact.number;
    showMessage(view.dialError, undefined);
    notedCallId = null;
    showMessage(view.dialNote, `Ready to call ${contact.name}.`);
    view.number.focus();
  });
  item.append(button);
  return item;
}

// ---------------------------------------------------------------------------------------------
// Start

const saved = localStorage.getItem(TOKEN_KEY);
if (saved) {
  token = saved;
  start();
} else {
  askForToken();
}
