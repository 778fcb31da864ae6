// Desktop notifications for the tel: handler, which has no terminal: `notify-send` (libnotify) on
// Linux and other XDG desktops, `osascript -e 'display notification …'` on macOS. Always execFile
// with an argv, never a shell. A missing tool, or a desktop without a notification service, is not
// an error: the caller logs every outcome anyway, so notify() only reports whether it was shown.
//
// Decisions:
// - The summary is plain text by the notification spec, but the body may be read as markup
//   (<b>, <a href>…) by servers that support it: the body has & < > escaped, since names come
//   from vCards and the PBX phone book.
// - Arguments follow `--`, so a summary or body that starts with "-" is never read as an option.
import { execFile } from "node:child_process";
import { displayText } from "../display-text.js";
import { findOnPath } from "../find-on-path.js";
import { withoutSecrets } from "../settings/secrets.js";
import { appleScriptString } from "./applescript.js";

export type Urgency = "low" | "normal" | "critical";

export interface NotifyAction {
  /** What notify-send prints when the user picks it. */
  id: string;
  label: string;
}

export interface Notification {
  summary: string;
  body?: string;
  urgency?: Urgency;
  /** Buttons; notify() then waits for the user (at most `waitMs`) and reports the choice. */
  actions?: NotifyAction[];
  /** How long to wait for an action (default 60 s); the notification is withdrawn after it. */
  waitMs?: number;
}

export interface NotifyResult {
  /** The tool ran and exited 0. */
  shown: boolean;
  /** The id of the action the user picked, when actions were offered. */
  action?: string;
  /** Why nothing was shown: the tool is missing, failed, or the platform has none. */
  problem?: string;
}

export interface NotifyOptions {
  env: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Withdraws a notification still waiting for an action (the tool is killed). */
  signal?: AbortSignal;
}

const APP_NAME = "dial3cx";
const ICON = "call-start";
const SHOW_TIMEOUT_MS = 10_000;
const DEFAULT_WAIT_MS = 60_000;

export async function notify(
  notification: Notification,
  options: NotifyOptions,
): Promise<NotifyResult> {
  const platform = options.platform ?? process.platform;
  if (platform === "win32") return { shown: false, problem: "no notifications on Windows yet" };
  if (platform === "darwin") {
    const result = await runDesktopTool("osascript", osascriptArgs(notification), {
      env: options.env,
    });
    return toNotifyResult(result);
  }
  const waiting = (notification.actions?.length ?? 0) > 0;
  const result = await runDesktopTool("notify-send", notifySendArgs(notification), {
    env: options.env,
    timeoutMs: waiting ? (notification.waitMs ?? DEFAULT_WAIT_MS) : SHOW_TIMEOUT_MS,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const shown = toNotifyResult(result);
  const action = result.stdout.trim().split("\n").pop();
  return waiting && shown.shown && action ? { ...shown, action } : shown;
}

/** The argv for notify-send (exported for the tests of what a notification looks like). */
export function notifySendArgs(notification: Notification): string[] {
  const args = [`--app-name=${APP_NAME}`, `--icon=${ICON}`];
  args.push(`--urgency=${notification.urgency ?? "normal"}`);
  for (const action of notification.actions ?? [])
    args.push(`--action=${action.id}=${action.label}`);
  // --action implies --wait in libnotify 0.8; older versions need it said.
  if (notification.actions?.length) args.push("--wait");
  args.push("--", displayText(notification.summary));
  if (notification.body) args.push(escapeMarkup(displayText(notification.body)));
  return args;
}

function osascriptArgs(notification: Notification): string[] {
  const body = displayText(notification.body ?? "");
  const script = `display notification ${appleScriptString(body)} with title ${appleScriptString(APP_NAME)} subtitle ${appleScriptString(displayText(notification.summary))}`;
  return ["-e", script];
}

/** Notification bodies may be markup: the three characters that would start it are escaped. */
export function escapeMarkup(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function toNotifyResult(result: DesktopToolResult): NotifyResult {
  if (result.missing) return { shown: false, problem: `${result.tool} not found` };
  if (result.code !== 0) {
    const detail = result.stderr.trim().split("\n")[0] ?? "";
    return {
      shown: false,
      problem: `${result.tool} failed (${result.code ?? result.signal})${detail ? `: ${detail}` : ""}`,
    };
  }
  return { shown: true };
}

// ---------------------------------------------------------------------------------------------
// Running desktop tools

export interface DesktopToolResult {
  tool: string;
  /** The tool is not on PATH. */
  missing: boolean;
  /** Exit code; null when it was killed (timeout). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a desktop tool (notify-send, zenity, kdialog, osascript) with an argv and no shell, and an
 * environment without dial3cx's secrets. Never rejects: a missing tool, a non-zero exit and a
 * timeout are all in the result.
 */
export async function runDesktopTool(
  tool: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; timeoutMs?: number; signal?: AbortSignal },
): Promise<DesktopToolResult> {
  // Looked up first: a missing tool is then known without forking a process. (Without PATH at
  // all, the system's default path applies, as execFile's.)
  const found =
    options.env.PATH === undefined || tool.includes("/")
      ? tool
      : await findOnPath(tool, options.env);
  if (found === undefined) {
    return { tool, stdout: "", stderr: "", missing: true, code: null, signal: null };
  }
  return new Promise((resolve) => {
    execFile(
      found,
      args,
      {
        env: withoutSecrets(options.env),
        timeout: options.timeoutMs ?? SHOW_TIMEOUT_MS,
        encoding: "utf8",
        maxBuffer: 64 * 1024,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (error, stdout, stderr) => {
        const base = { tool, stdout: String(stdout ?? ""), stderr: String(stderr ?? "") };
        if (!error) {
          resolve({ ...base, missing: false, code: 0, signal: null });
          return;
        }
        const errno = (error as NodeJS.ErrnoException).code;
        if (errno === "ENOENT" || errno === "EACCES") {
          resolve({ ...base, missing: true, code: null, signal: null });
          return;
        }
        const code = typeof error.code === "number" ? error.code : null;
        resolve({ ...base, missing: false, code, signal: error.signal ?? null });
      },
    );
  });
}
