// "Call Ada Lovelace?": the question the tel: handler asks before dialling when the user wants to
// confirm clicks. No terminal, so a desktop dialog: zenity (GNOME and most desktops) or kdialog
// (KDE) when installed, else a notification with Call/Cancel buttons (notify-send --action), and
// `display dialog` on macOS. Anything but a clear "Call" is a no.
//
// Decisions:
// - A real dialog first: a notification with buttons depends on the notification server (some
//   show no buttons, some hide the notification after a few seconds), a dialog does not.
// - The question times out after a minute; no answer means no call.
// - No tool at all means no call either: the user asked to be asked.
// - A notification can ask only when a notification server with buttons ("actions") listens on
//   the session bus. That is checked up front (no session bus: no; `gdbus` asks the server for
//   its capabilities when installed), so a desktop that cannot ask says so at once instead of
//   waiting a minute for buttons nobody sees.

import { existsSync } from "node:fs";
import path from "node:path";
import { displayText } from "../display-text.js";
import { appleScriptString } from "./applescript.js";
import { escapeMarkup, notify, runDesktopTool } from "./notify.js";

export type ConfirmAnswer = "call" | "cancel" | "unavailable";

export interface ConfirmResult {
  answer: ConfirmAnswer;
  /** The tool that asked (or the tools tried, when none could). */
  via: string;
}

export interface ConfirmOptions {
  env: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** How long the question stays up (default 60 s). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const TITLE = "dial3cx";

export async function confirmCall(
  question: string,
  options: ConfirmOptions,
): Promise<ConfirmResult> {
  const platform = options.platform ?? process.platform;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  question = displayText(question);
  if (platform === "darwin") return askMacos(question, options.env, timeoutMs);
  if (platform === "win32") return { answer: "unavailable", via: "none on Windows yet" };
  for (const ask of [askZenity, askKdialog]) {
    const result = await ask(question, options.env, timeoutMs);
    if (result) return result;
  }
  const cannotAsk = await notificationButtonsProblem(options.env);
  if (cannotAsk)
    return { answer: "unavailable", via: `zenity, kdialog, notify-send (${cannotAsk})` };
  const shown = await notify(
    {
      summary: question,
      urgency: "critical",
      actions: [
        { id: "call", label: "Call" },
        { id: "cancel", label: "Cancel" },
      ],
      waitMs: timeoutMs,
    },
    { env: options.env, platform },
  );
  if (!shown.shown) return { answer: "unavailable", via: "zenity, kdialog, notify-send" };
  return { answer: shown.action === "call" ? "call" : "cancel", via: "notify-send" };
}

/**
 * Why a notification cannot carry Call/Cancel buttons, or undefined when it may: no session bus
 * at all, no notification server on it, or a server without the "actions" capability. Without
 * `gdbus` the server cannot be asked, and notify-send is tried.
 */
export async function notificationButtonsProblem(
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const address = env.DBUS_SESSION_BUS_ADDRESS;
  const runtimeBus = env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, "bus") : undefined;
  const hasBus =
    (address !== undefined && address !== "" && address !== "disabled:") ||
    (runtimeBus !== undefined && existsSync(runtimeBus));
  if (!hasBus) return "no desktop session bus";
  const result = await runDesktopTool(
    "gdbus",
    [
      "call",
      "--session",
      "--dest",
      "org.freedesktop.Notifications",
      "--object-path",
      "/org/freedesktop/Notifications",
      "--method",
      "org.freedesktop.Notifications.GetCapabilities",
    ],
    { env, timeoutMs: 3000 },
  );
  if (result.missing) return undefined;
  if (result.code !== 0) return "no notification server answers";
  return /'actions'/.test(result.stdout) ? undefined : "the notification server shows no buttons";
}

/** undefined when zenity is not installed. Exit 0 is "Call"; 1 cancel or closed, 5 timeout. */
async function askZenity(
  question: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<ConfirmResult | undefined> {
  const result = await runDesktopTool(
    "zenity",
    [
      "--question",
      `--title=${TITLE}`,
      // zenity reads the text as Pango markup.
      `--text=${escapeMarkup(question)}`,
      "--ok-label=Call",
      "--cancel-label=Cancel",
      `--timeout=${Math.ceil(timeoutMs / 1000)}`,
    ],
    { env, timeoutMs: timeoutMs + 5000 },
  );
  if (result.missing) return undefined;
  return { answer: result.code === 0 ? "call" : "cancel", via: "zenity" };
}

async function askKdialog(
  question: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<ConfirmResult | undefined> {
  const result = await runDesktopTool(
    "kdialog",
    ["--title", TITLE, "--yes-label", "Call", "--no-label", "Cancel", "--yesno", question],
    { env, timeoutMs },
  );
  if (result.missing) return undefined;
  return { answer: result.code === 0 ? "call" : "cancel", via: "kdialog" };
}

async function askMacos(
  question: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<ConfirmResult> {
  const seconds = Math.ceil(timeoutMs / 1000);
  const script = `display dialog ${appleScriptString(question)} with title ${appleScriptString(TITLE)} buttons {"Cancel", "Call"} default button "Call" cancel button "Cancel" giving up after ${seconds}`;
  const result = await runDesktopTool("osascript", ["-e", script], {
    env,
    timeoutMs: timeoutMs + 5000,
  });
  if (result.missing) return { answer: "unavailable", via: "osascript" };
  // A timeout returns normally with "gave up:true"; only a pressed Call button counts.
  const called =
    result.code === 0 &&
    /button returned:Call/.test(result.stdout) &&
    !/gave up:true/.test(result.stdout);
  return { answer: called ? "call" : "cancel", via: "osascript" };
}
