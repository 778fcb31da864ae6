// The options page: Gateway URL, Token, region, excluded sites and the link switch; Save, and
// Test, which asks the gateway through the service worker and shows the extension, device and
// gateway version, or what is wrong. A gateway on another computer needs a host permission,
// asked for on Save (and Test); over plain http a warning says the token crosses the network in
// clear. The saved token is never shown again.

import { checkRegion } from "./find.js";
import { checkGatewayUrl, GatewayProblem, hostPermissionFor, plainHttpWarning } from "./gateway.js";
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

function say(text: string, kind: "ok" | "warning" | "error" | "" = ""): void {
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

/**
 * Asks for the host permission a gateway elsewhere needs (the manifest grants loopback only);
 * must run before the first await of a click handler, while the click still counts as the
 * user's. Resolves to a message when the permission is refused.
 */
async function permitGateway(gatewayUrl: string): Promise<string | undefined> {
  const pattern = hostPermissionFor(gatewayUrl);
  if (pattern === undefined) return undefined;
  let granted: boolean;
  try {
    const asking = chrome.permissions.request({ origins: [pattern] });
    say(`Asking the browser to let the extension reach ${new URL(gatewayUrl).host}…`);
    granted = await asking;
  } catch (error) {
    return `The browser did not ask for access to ${new URL(gatewayUrl).host}: ${(error as Error).message}`;
  }
  if (granted) return undefined;
  return `Not allowed to reach ${new URL(gatewayUrl).host}: the extension needs that permission to talk to a gateway on another computer. Save again and allow it, or use a gateway on this computer (http://127.0.0.1:7070).`;
}

$<HTMLFormElement>("options").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const settings = formSettings();
    const refused = await permitGateway(settings.gatewayUrl);
    if (refused !== undefined) {
      say(`Not saved. ${refused}`, "error");
      return;
    }
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
    const warning = plainHttpWarning(settings.gatewayUrl);
    say(warning ? `Saved. ${warning}` : "Saved.", warning ? "warning" : "ok");
  } catch (error) {
    say((error as Error).message, "error");
  }
});

$<HTMLButtonElement>("test").addEventListener("click", async () => {
  try {
    const gatewayUrl = checkGatewayUrl(url.value);
    const refused = await permitGateway(gatewayUrl);
    if (refused !== undefined) {
      say(refused, "error");
      return;
    }
    say("Testing…");
    const reply: TestReply = await chrome.runtime.sendMessage({
      type: "test",
      gatewayUrl,
      token: token.value,
    });
    const warning = plainHttpWarning(gatewayUrl);
    if (reply.ok)
      say(warning ? `${reply.text}\n${warning}` : reply.text, warning ? "warning" : "ok");
    else say(reply.message, "error");
  } catch (error) {
    say((error as Error).message, "error");
  }
});

void load();
