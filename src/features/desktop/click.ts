// A clicked tel:/callto:/sip: link, end to end: what `dial3cx open <uri>` (the handler's entry
// point) does. There is no terminal, so every outcome becomes a desktop notification and a line in
// the log file: the call ("Calling Ada Lovelace (+49 30 123456) on Yealink T46S"), a second click
// within dedupe_seconds ("Already calling … (clicked twice)"), and every error ("Not logged in:
// run dial3cx login", "Cannot dial …"). With --confirm or `confirm = true` it asks first, and a
// PBX feature code (`tel:*21*…%23` forwards calls) is always asked about: a link must not change
// the user's PBX settings unseen. `insecure = true` is said in the log and every notification.
//
// Entry of features/desktop/, which owns the desktop integration: this click path, notifications,
// the confirm dialog, the app log, the hand-off to a running gateway, the tel:/callto: handler's
// (un)registration per OS (handler/) and the desktop tools' stand-ins for tests. May use:
// errors.ts, package-root.ts, features/calls, features/contacts and features/settings; never the
// drivers directly, nor a front end.
//
// Order: settings and number first (a bad link costs nothing), then the dedupe claim (so a double
// click shows one question, not two), then the question, then the call: through a running
// gateway when there is one, else the warm-path session.
import { Dial3cxError } from "../../errors.js";
import { describeCallee } from "../calls/callee.js";
import { claimDial, recentDialsDir } from "../calls/dial-dedupe.js";
import { type DialString, keyInHint } from "../calls/dial-target.js";
import { accountSession, dialStringOptions, placeCall } from "../calls/place-call.js";
import { plainDialString } from "../calls/plain-number.js";
import {
  exposedSecretsProblem,
  loadConfig,
  resolveSettings,
  type Settings,
} from "../settings/config.js";
import { type AppPaths, appPaths } from "../settings/paths.js";
import type { SecretStore } from "../settings/secrets.js";
import { openAppLog, silentLog } from "./app-log.js";
import { type ConfirmResult, confirmCall } from "./confirm-dialog.js";
import { notify, type Urgency } from "./notify.js";

export interface ClickOptions {
  uri: string;
  /** --confirm: ask before dialling (also `confirm = true` in the config). */
  confirm?: boolean;
  env: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Password store for a session of our own; the OS keyring by default. */
  store?: SecretStore;
}

export type ClickOutcome = "called" | "duplicate" | "cancelled" | "failed";

export interface ClickResult {
  outcome: ClickOutcome;
  /** No notification: the user cancelled, and knows. */
  quiet?: boolean;
  /** What the notification said (also printed, for anyone running it in a terminal). */
  message: string;
  exitCode: number;
}

export async function handleClick(options: ClickOptions): Promise<ClickResult> {
  const started = Date.now();
  const paths = appPaths(options.env);
  // A log that cannot be opened must not cost the call.
  const log = await openAppLog(paths.logFile).catch(() => silentLog());
  const facts: Record<string, unknown> = { scheme: schemeOf(options.uri) };
  let result: ClickResult;
  try {
    result = await click(options, paths, facts, (warning) =>
      log.logger.warn({ warning }, "contacts"),
    );
  } catch (error) {
    result = failure(error);
    if (error instanceof Dial3cxError) facts.code = error.code;
    else facts.stack = error instanceof Error ? error.stack : String(error);
  }
  if (facts.insecure) log.logger.warn(INSECURE_WARNING);
  const notified = await tell(result, options, facts.insecure === true);
  if (notified) facts.notified = notified;
  const level = result.outcome === "failed" ? "error" : "info";
  log.logger[level](
    { ...facts, outcome: result.outcome, ms: Date.now() - started },
    result.message,
  );
  await log.close();
  return result;
}

const INSECURE_WARNING =
  "TLS certificate verification is OFF (insecure = true): anyone on the network path can read the PBX session. Pin the certificate instead: dial3cx login.";

/** Everything but the telling; what is worth logging goes into `facts`. */
async function click(
  options: ClickOptions,
  paths: AppPaths,
  facts: Record<string, unknown>,
  warn: (warning: string) => void,
): Promise<ClickResult> {
  const config = await loadConfig(paths.configFile);
  const exposed = await exposedSecretsProblem(paths.configFile, config);
  if (exposed) warn(exposed);
  const settings = resolveSettings({ env: options.env, config });
  if (settings.insecure) facts.insecure = true;
  const dialOptions = dialStringOptions(settings);
  // libphonenumber loads only for a number that needs it (plain-number.ts reads the rest alike).
  const to =
    plainDialString(options.uri, dialOptions) ??
    (await import("../calls/dialstring.js")).parseDialString(options.uri, dialOptions);
  facts.number = to.display;
  const name = await contactName(settings, to, warn);
  if (name) facts.name = name;
  const callee = describeCallee(to.display, name);
  const claim = await claimDial({
    dir: recentDialsDir(paths.stateDir),
    identity: { pbx: settings.pbx, extension: settings.extension, dial: to.dial },
    windowMs: settings.dedupeSeconds * 1000,
  });
  if (claim.duplicate) return alreadyCalling(callee);
  try {
    const featureCode = to.kind === "feature";
    if (options.confirm || settings.confirm || featureCode) {
      const question = featureCode ? `Dial PBX feature code ${callee}?` : `Call ${callee}?`;
      const answer = await confirmCall(question, {
        env: options.env,
        platform: options.platform,
      });
      if (answer.answer !== "call") {
        facts.confirm = answer;
        await claim.release();
        return cancelled(callee, answer, featureCode);
      }
    }
    const placed = await placeCall({
      to,
      target: options.uri,
      device: settings.device,
      settings,
      paths,
      session: accountSession({
        settings,
        paths,
        env: options.env,
        store: options.store,
        events: false,
      }),
      onGatewaySkipped: (reason) => {
        facts.gatewaySkipped = reason;
      },
    });
    Object.assign(facts, { via: placed.via, device: placed.deviceName, callId: placed.id });
    await claim.settle(); // the window runs from the answer: a slow PBX lets no repeat through
    return placed.duplicate
      ? alreadyCalling(describeCallee(placed.display, name))
      : {
          outcome: "called",
          message: `Calling ${describeCallee(placed.display, name)} on ${placed.deviceName}${thenKeyIn(to)}`,
          exitCode: 0,
        };
  } catch (error) {
    // Not dialled after all: the next click must not be taken for a repeat. An unknown outcome
    // (the call may have been placed) counts as dialled.
    if ((error as { code?: unknown }).code === "outcome_unknown") await claim.settle();
    else await claim.release();
    throw error;
  }
}

/** The vCard contact's name: local files only, a click costs no PBX lookup. */
async function contactName(
  settings: Settings,
  to: DialString,
  warn: (warning: string) => void,
): Promise<string | undefined> {
  if (settings.contacts.length === 0) return undefined;
  // Loaded only with contacts configured: vCard parsing is not free.
  const { vCardNameFor } = await import("../contacts/contact-names.js");
  return vCardNameFor(settings.contacts, to, warn);
}

function cancelled(callee: string, answer: ConfirmResult, featureCode: boolean): ClickResult {
  if (answer.answer === "unavailable") {
    // Turning confirm off does not help with a feature code: that question is always asked.
    const fix = featureCode
      ? "install zenity or kdialog"
      : "install zenity or kdialog, or turn confirm off";
    return {
      outcome: "cancelled",
      message: `Not calling ${callee}: cannot ask for confirmation (${fix})`,
      exitCode: 1,
    };
  }
  return {
    outcome: "cancelled",
    message: `Not calling ${callee}: cancelled`,
    exitCode: 1,
    quiet: true,
  };
}

/** ": then key in 12" for a number with an extension, which is never dialled. */
function thenKeyIn(to: DialString): string {
  const hint = keyInHint(to);
  return hint ? `: ${hint}` : "";
}

function alreadyCalling(callee: string): ClickResult {
  return {
    outcome: "duplicate",
    message: `Already calling ${callee} (clicked twice)`,
    exitCode: 0,
  };
}

function failure(error: unknown): ClickResult {
  if (error instanceof Dial3cxError) {
    // Backticks mark commands in terminal messages; a notification shows them literally.
    return {
      outcome: "failed",
      message: error.message.replaceAll("`", ""),
      exitCode: error.exitCode,
    };
  }
  const reason = error instanceof Error ? error.message : String(error);
  return { outcome: "failed", message: `Internal error: ${reason} (see the log)`, exitCode: 1 };
}

/** Shows the notification; says why when it could not be shown. */
async function tell(
  result: ClickResult,
  options: ClickOptions,
  insecure: boolean,
): Promise<string | undefined> {
  if (result.quiet) return undefined;
  const urgency: Urgency =
    result.outcome === "failed" ? "critical" : result.outcome === "duplicate" ? "low" : "normal";
  const shown = await notify(
    {
      summary: result.message,
      urgency,
      ...(insecure ? { body: "(TLS verification is OFF)" } : {}),
    },
    { env: options.env, platform: options.platform },
  );
  return shown.shown ? undefined : (shown.problem ?? "not shown");
}

/** The URI's scheme for the log; never the URI itself (it can carry a password or a query). */
function schemeOf(uri: string): string {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri.trim())?.[1];
  return scheme ? scheme.toLowerCase() : "none";
}
