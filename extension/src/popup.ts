// The toolbar popup: a dial box with the device choice, the active calls with hang-up buttons,
// refreshed each second while the popup is open, and the recent calls (when the gateway has a
// history) with a "Call back" button, loaded on opening and whenever an active call goes away.
// Everything goes through the service worker.
import type { HistoryView } from "./gateway.js";
import type { CallReply, HistoryReply, OverviewReply, Reply } from "./messages.js";
import { loadSettings, saveSettings } from "./settings.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const message = $<HTMLDivElement>("message");
const deviceSelect = $<HTMLSelectElement>("device");
let devicesShown = "";
/** The active calls last shown (their ids); undefined before the first answer. */
let callsShown: string | undefined;

function say(text: string, kind: "ok" | "error" | "" = ""): void {
  message.textContent = text;
  message.className = `message ${kind}`;
}

async function refresh(): Promise<void> {
  const reply: OverviewReply = await chrome.runtime.sendMessage({ type: "overview" });
  if (!reply.ok) {
    say(reply.message, "error");
    return;
  }
  $("who").textContent = reply.name
    ? `Extension ${reply.extension} · ${reply.name}`
    : `Extension ${reply.extension}`;
  const names = reply.devices.map((d) => d.name);
  if (names.join("\n") !== devicesShown) {
    devicesShown = names.join("\n");
    deviceSelect.replaceChildren(new Option("Default device", ""));
    for (const name of names) deviceSelect.append(new Option(name, name));
    deviceSelect.value = names.includes(reply.device) ? reply.device : "";
  }
  const ids = reply.calls.map((call) => call.id).join(" ");
  if (ids !== callsShown) {
    // A call started or ended: the history may have a new entry.
    callsShown = ids;
    void loadHistory();
  }
  const list = $<HTMLUListElement>("calls");
  list.replaceChildren(
    ...reply.calls.map((call) => {
      const item = document.createElement("li");
      item.dataset.state = call.state;
      const text = document.createElement("span");
      text.textContent = `${call.name ? `${call.name} · ` : ""}${call.number} · ${call.state}`;
      const hangup = document.createElement("button");
      hangup.type = "button";
      hangup.textContent = "Hang up";
      hangup.addEventListener("click", async () => {
        hangup.disabled = true;
        const result: Reply = await chrome.runtime.sendMessage({ type: "hangup", id: call.id });
        if (!result.ok) say(result.message, "error");
        await refresh();
      });
      item.append(text, hangup);
      return item;
    }),
  );
}

const DIRECTION: Record<string, string> = {
  incoming: "incoming",
  outgoing: "outgoing",
  unknown: "call",
};

/** "14:05" today, "3 Dec, 14:05" before. */
function when(time: string): string {
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return "";
  const clock = date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  if (date.toDateString() === new Date().toDateString()) return clock;
  return `${date.toLocaleDateString(undefined, { day: "numeric", month: "short" })}, ${clock}`;
}

function historyItem(entry: HistoryView): HTMLLIElement {
  const item = document.createElement("li");
  const who = document.createElement("span");
  who.className = "who";
  const shown = entry.number.trim() || "unknown number";
  const name = document.createElement("span");
  name.textContent = entry.name ? `${entry.name} · ${shown}` : shown;
  const meta = document.createElement("span");
  meta.className = "meta";
  const direction = entry.missed ? "missed" : (DIRECTION[entry.direction] ?? "call");
  meta.textContent = entry.time ? `${direction} · ${when(entry.time)}` : direction;
  who.append(name, meta);
  item.append(who);
  if (entry.callback) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Call back";
    button.setAttribute("aria-label", `Call back ${entry.name ?? shown}`);
    button.addEventListener("click", async () => {
      button.disabled = true;
      await dial(entry.number);
      button.disabled = false;
    });
    item.append(button);
  }
  return item;
}

async function loadHistory(): Promise<void> {
  const reply: HistoryReply = await chrome.runtime.sendMessage({ type: "history" });
  const section = $("recent");
  // No history at this gateway, or none to show: no section (a failure shows in the message).
  if (!reply.ok || reply.calls === null || reply.calls.length === 0) {
    section.hidden = true;
    return;
  }
  $<HTMLUListElement>("history").replaceChildren(...reply.calls.map(historyItem));
  section.hidden = false;
}

async function dial(number: string): Promise<void> {
  say("Calling…");
  const reply: CallReply = await chrome.runtime.sendMessage({ type: "call", number });
  if (!reply.ok) say(reply.message, "error");
  else say(`Calling ${reply.call.display} on ${reply.call.device}`, "ok");
  await refresh();
}

$<HTMLFormElement>("dial").addEventListener("submit", async (event) => {
  event.preventDefault();
  const number = $<HTMLInputElement>("number").value.trim();
  if (!number) return;
  await dial(number);
});

deviceSelect.addEventListener("change", async () => {
  const settings = await loadSettings();
  await saveSettings({ ...settings, device: deviceSelect.value });
});

void refresh();
setInterval(() => void refresh(), 1000);
