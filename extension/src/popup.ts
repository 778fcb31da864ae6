// The toolbar popup: a dial box with the device choice, the active calls with hang-up buttons,
// refreshed each second while the popup is open. Everything goes through the service worker.
import type { CallReply, OverviewReply, Reply } from "./messages.js";
import { loadSettings, saveSettings } from "./settings.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const message = $<HTMLDivElement>("message");
const deviceSelect = $<HTMLSelectElement>("device");
let devicesShown = "";

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

$<HTMLFormElement>("dial").addEventListener("submit", async (event) => {
  event.preventDefault();
  const number = $<HTMLInputElement>("number").value.trim();
  if (!number) return;
  say("Calling…");
  const reply: CallReply = await chrome.runtime.sendMessage({ type: "call", number });
  if (!reply.ok) say(reply.message, "error");
  else say(`Calling ${reply.call.display} on ${reply.call.device}`, "ok");
  await refresh();
});

deviceSelect.addEventListener("change", async () => {
  const settings = await loadSettings();
  await saveSettings({ ...settings, device: deviceSelect.value });
});

void refresh();
setInterval(() => void refresh(), 1000);
