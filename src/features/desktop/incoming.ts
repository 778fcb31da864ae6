// Incoming calls on the desktop, for `dial3cx watch --notify`, `dial3cx serve --notify` and
// `notify = true`: a notification for each ringing call ("Ada Lovelace (Analytical Engines) ·
// +44 20 7946 0001 · on Yealink T46S"), one for each missed call with a "Call back" button where
// the notification server has buttons, and the configured `on_incoming` URL (a CRM search) opened
// with xdg-open when the call rings or is answered.
//
// Decisions:
// - The name: vCards, then the PBX phone book, then the PBX's caller name (caller-name.ts).
// - A caller id that is not a number (`anonymous`, "", a SIP URI) is shown as it is (an empty one
//   as "No caller id"), and its missed-call notification has no "Call back" button.
// - "Call back" is what a clicked `tel:` link does (click.ts): the same confirmation rules, the
//   same dedupe (a second press within dedupe_seconds dials nothing), the default device.
// - A notify-send that refuses --action (libnotify before 0.7.9) shows the missed call without
//   the button.
// - on_incoming: the template's {number}, {e164} and {name} are percent-encoded
//   (encodeURIComponent); the result is checked again (https, or http on loopback) before
//   xdg-open gets it as one argv entry, never through a shell.
// - Privacy: caller names and numbers go to the log at debug level only; info lines say what
//   happened without them.

import { callbackTarget } from "../calls/callback.js";
import type { CallEvent, Dial3cxClient } from "../calls/client.js";
import { dialStringOptions } from "../calls/place-call.js";
import {
  type CallerNameResolver,
  callerLabel,
  callerNameResolver,
} from "../contacts/caller-name.js";
import { normalizeIncomingUrl, type Settings } from "../settings/config.js";
import { notify, runDesktopTool } from "./notify.js";

export type IncomingLogLevel = "debug" | "info" | "warn";
export type IncomingLog = (level: IncomingLogLevel, message: string, facts?: object) => void;

export interface IncomingCallsOptions {
  client: Dial3cxClient;
  settings: Pick<
    Settings,
    "contacts" | "device" | "onIncoming" | "onIncomingWhen" | "defaultRegion" | "outboundPrefix"
  >;
  env: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Show notifications (--notify or `notify = true`); on_incoming works without them. */
  notify: boolean;
  /** Default: vCards of `settings.contacts`, then the client's PBX phone book. */
  names?: CallerNameResolver;
  log?: IncomingLog;
  /** Dials a call back; default: what a clicked tel: link does (click.ts). */
  callBack?: (uri: string) => Promise<void>;
  /** How long a missed call's "Call back" button stays (default 10 minutes). */
  callBackWaitMs?: number;
}

export interface IncomingCalls {
  /** Withdraws waiting notifications and waits for the work in flight. */
  stop(): Promise<void>;
  /** Resolves when everything started so far is done (tests). */
  idle(): Promise<void>;
}

const DEFAULT_CALL_BACK_WAIT_MS = 10 * 60_000;

export function watchIncomingCalls(options: IncomingCallsOptions): IncomingCalls {
  const { client, settings } = options;
  const log: IncomingLog = options.log ?? (() => undefined);
  const names =
    options.names ?? callerNameResolver({ vcardDirs: settings.contacts, phoneBook: client });
  const aborter = new AbortController();
  const pending = new Set<Promise<void>>();
  const dial = dialStringOptions(settings);
  /** The last piece of work per call: a call's phases are told in order ("ringing" first). */
  const lastOfCall = new Map<string, Promise<void>>();
  const track = (callId: string, work: () => Promise<void>) => {
    const done = (lastOfCall.get(callId) ?? Promise.resolve())
      .then(work)
      .catch((error: unknown) =>
        log("warn", `incoming call: ${error instanceof Error ? error.message : String(error)}`),
      );
    lastOfCall.set(callId, done);
    pending.add(done);
    void done.finally(() => {
      pending.delete(done);
      if (lastOfCall.get(callId) === done) lastOfCall.delete(callId);
    });
  };

  const onCall = (event: CallEvent) => {
    const phase = event.incoming;
    if (!phase || aborter.signal.aborted) return;
    const { call } = event;
    log("info", `incoming call ${phase}`, { callId: call.id });
    if (phase !== "ringing" && phase !== "missed" && phase !== settings.onIncomingWhen) return;
    track(call.id, async () => {
      const caller = await names(call.number, call.name);
      const target = callbackTarget(call.number, dial);
      const shown = call.number === "" ? "No caller id" : (target?.display ?? call.number);
      const label = callerLabel(caller);
      log("debug", `incoming call ${phase}`, {
        callId: call.id,
        number: call.number,
        name: label,
        nameSource: caller.source,
      });
      if (options.notify && phase === "ringing") {
        const device = deviceName(client, settings.device);
        const parts = [label, shown, device ? `on ${device}` : undefined];
        await notify(
          { summary: parts.filter(Boolean).join(" · ") },
          { env: options.env, platform: options.platform },
        );
      }
      if (phase === settings.onIncomingWhen && settings.onIncoming) {
        await openIncomingUrl(settings.onIncoming, {
          number: call.number,
          e164: target?.e164 ?? "",
          name: caller.name ?? "",
        });
      }
      if (options.notify && phase === "missed") {
        await missed(label ? `Missed call: ${label} · ${shown}` : `Missed call: ${shown}`, target);
      }
    });
  };

  const missed = async (summary: string, target: ReturnType<typeof callbackTarget>) => {
    const notifyOptions = { env: options.env, platform: options.platform, signal: aborter.signal };
    if (!target) {
      await notify({ summary }, notifyOptions);
      return;
    }
    const shown = await notify(
      {
        summary,
        actions: [{ id: "callback", label: "Call back" }],
        waitMs: options.callBackWaitMs ?? DEFAULT_CALL_BACK_WAIT_MS,
      },
      notifyOptions,
    );
    if (aborter.signal.aborted) return;
    if (!shown.shown && /failed/.test(shown.problem ?? "")) {
      // No actions on this notify-send: the missed call still shows, without the button.
      await notify({ summary }, notifyOptions);
      return;
    }
    if (shown.action !== "callback") return;
    log("info", "call back from a missed-call notification");
    const uri = `tel:${target.e164 ?? target.dial}`;
    await (options.callBack ?? defaultCallBack(options))(uri);
  };

  const openIncomingUrl = async (template: string, values: Record<string, string>) => {
    const url = fillIncomingUrl(template, values);
    if (!url) {
      log("warn", "on_incoming: the filled-in URL is not https (or http on loopback); not opened");
      return;
    }
    const result = await runDesktopTool("xdg-open", [url], {
      env: options.env,
      signal: aborter.signal,
    });
    if (result.missing) log("warn", "on_incoming: xdg-open not found");
    else if (result.code !== 0) log("warn", `on_incoming: xdg-open failed (${result.code})`);
  };

  client.on("call", onCall);
  const idle = async () => {
    while (pending.size > 0) await Promise.all([...pending]);
  };
  return {
    idle,
    stop: async () => {
      client.off("call", onCall);
      aborter.abort();
      await idle();
    },
  };
}

/**
 * The on_incoming template with each placeholder replaced by its percent-encoded value; undefined
 * when the result is not an https URL (or http on loopback).
 */
export function fillIncomingUrl(
  template: string,
  values: Record<string, string>,
): string | undefined {
  const filled = template.replace(/\{(number|e164|name)\}/g, (_, key: string) =>
    encodeURIComponent(values[key] ?? ""),
  );
  const checked = normalizeIncomingUrl(filled);
  return "value" in checked ? checked.value : undefined;
}

function deviceName(client: Dial3cxClient, selector: string | undefined): string | undefined {
  try {
    return client.chooseDevice(selector).name;
  } catch {
    return undefined;
  }
}

function defaultCallBack(options: IncomingCallsOptions): (uri: string) => Promise<void> {
  return async (uri) => {
    const { handleClick } = await import("./click.js");
    await handleClick({ uri, env: options.env, platform: options.platform });
  };
}
