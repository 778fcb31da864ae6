// The options page: Gateway URL, Token, region, excluded sites and the link switch; Save, and
// Test, which asks the gateway through the service worker and shows the extension, device and
// gateway version, or what is wrong. The saved token is never shown again.

import { checkRegion } from "./find.js";
import { checkGatewayUrl, GatewayProblem } from "./gateway.js";
import type { Reply, TestReply } from "./messages.js";
import { loadSettings, loadToken, parseSiteList, type Settings } from "./settings.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const url = $<HTMLInputElement>("gateway-url");
const token = $<HTMLInputElement>("token");
const region = $<HTMLInputElement>("region");
const excluded = $<HTMLTextAreaElement>("excluded");
const takeOver = $<HTMLInputElement>("take-over");
const result = $<HTMLDivElement>("result");
let current: Settings;

function say(text: string, kind: "ok" | "error" | "" = ""): void {
  result.textContent = text;
  result.className = `message ${kind}`;
}

/** The form's settings, checked; throws a message for the user. */
function formSettings(): Settings {
  const gatewayUrl = checkGatewayUrl(url.value);
  const regionText = region.value.trim();
  const checked = checkRegion(regionText);
  if (regionText !== "" && !checked) {
    throw new GatewayProblem(
      "bad_url",
      `Region "${regionText}" is not a two-letter country code like DE.`,
    );
  }
  return {
    ...current,
    gatewayUrl,
    region: checked ?? "",
    excludedSites: parseSiteList(excluded.value),
    takeOverLinks: takeOver.checked,
  };
}

async function load(): Promise<void> {
  current = await loadSettings();
  url.value = current.gatewayUrl;
  region.value = current.region;
  excluded.value = current.excludedSites.join("\n");
  takeOver.checked = current.takeOverLinks;
  if ((await loadToken()) !== "") token.placeholder = "saved (type to replace)";
  $("allow-command").textContent = `dial3cx serve --allow-extension ${chrome.runtime.id}`;
}

$<HTMLFormElement>("options").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const settings = formSettings();
    const reply: Reply = await chrome.runtime.sendMessage({
      type: "save",
      settings,
      token: token.value,
    });
    if (!reply.ok) throw new Error(reply.message);
    current = settings;
    url.value = settings.gatewayUrl;
    if (token.value.trim() !== "") token.value = "";
    token.placeholder = "saved (type to replace)";
    say("Saved.", "ok");
  } catch (error) {
    say((error as Error).message, "error");
  }
});

$<HTMLButtonElement>("test").addEventListener("click", async () => {
  say("Testing…");
  try {
    const gatewayUrl = checkGatewayUrl(url.value);
    const reply: TestReply = await chrome.runtime.sendMessage({
      type: "test",
      gatewayUrl,
      token: token.value,
    });
    if (reply.ok) say(reply.text, "ok");
    else say(reply.message, "error");
  } catch (error) {
    say((error as Error).message, "error");
  }
});

void load();
