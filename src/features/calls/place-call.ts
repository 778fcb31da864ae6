// Placing one call the quickest way there is: through a running gateway's unix socket (its warm
// session sends only the MakeCall), else on the cached session without a driver (quick-call.ts),
// else through a session of our own (the warm-path cache, see account.ts). Shared by
// `dial3cx call`, `dial3cx open` (the tel: handler) and `dial3cx pick`. The session code is loaded
// only when neither the gateway nor the quick call took the call. DIAL3CX_FAST_PATH=0 turns the
// quick call off (the driver then resumes the same cache): for comparing the two, and tests.

import { handOffCall } from "../desktop/gateway-handoff.js";
import type { Settings } from "../settings/config.js";
import type { AppPaths } from "../settings/paths.js";
import type { AccountOptions } from "./account.js";
import { callDevicesFile, recordCallDevice } from "./call-devices.js";
import type { Dial3cxClient } from "./client.js";
import { type DialString, type DialStringOptions, sipHosts } from "./dial-target.js";
import type { QuickCallResult } from "./quick-call.js";

/** How to get a session when the gateway does not take the call, and how to put it away. */
export interface SessionAccess {
  /** One MakeCall on the cached session, when that is all the call takes (quick-call.ts). */
  quick?(to: DialString, device: string | undefined): Promise<QuickCallResult>;
  /** `sessionExpired`: the quick call found the cached session refused (see AccountOptions). */
  open(hint?: { sessionExpired?: boolean }): Promise<Dial3cxClient>;
  /** Saves the session for the next warm start and closes it. */
  done(client: Dial3cxClient): Promise<void>;
}

/**
 * The account's session through the warm-path cache (`events: false` is enough for a call: it
 * needs only the devices, which the cache has). account.ts and the drivers load on first use.
 */
export function accountSession(options: AccountOptions): SessionAccess {
  const quick =
    // Events (--wait, --json's call id) need the driver's session: no quick call then.
    options.useCache === false || options.events || !fastPathEnabled(options.env)
      ? undefined
      : async (to: DialString, device: string | undefined) => {
          const { quickCall } = await import("./quick-call.js");
          return quickCall({
            settings: options.settings,
            paths: options.paths,
            to,
            device,
            store: options.store,
            timeoutMs: options.timeoutMs,
          });
        };
  return {
    ...(quick ? { quick } : {}),
    open: async (hint) => {
      const { openAccount } = await import("./account.js");
      return openAccount(hint?.sessionExpired ? { ...options, sessionExpired: true } : options);
    },
    done: async (client) => {
      const { rememberSession } = await import("./account.js");
      try {
        await rememberSession(client, options);
      } finally {
        await client.close();
      }
    },
  };
}

/** False with DIAL3CX_FAST_PATH=0: no quick call, no CLI fast path (src/cli/entry.ts). */
export function fastPathEnabled(env: NodeJS.ProcessEnv): boolean {
  return env.DIAL3CX_FAST_PATH !== "0";
}

/** How numbers are read with these settings (for the CLI, the handler and the session). */
export function dialStringOptions(
  settings: Pick<Settings, "defaultRegion" | "outboundPrefix" | "pbx"> & {
    sipDomains?: readonly string[];
  },
): DialStringOptions {
  const options: DialStringOptions = {};
  if (settings.defaultRegion) options.defaultRegion = settings.defaultRegion as never;
  if (settings.outboundPrefix) options.outboundPrefix = settings.outboundPrefix;
  options.sipHosts = sipHosts(settings.pbx, settings.sipDomains);
  return options;
}

export interface PlaceCallOptions {
  /** The number, parsed with our settings (validated before anything is sent). */
  to: DialString;
  /** What the gateway is sent: the text as given, which it parses with its own settings. */
  target: string;
  /** Device selector: a flag, DIAL3CX_DEVICE or the config's `device`. */
  device?: string;
  settings: Pick<Settings, "pbx" | "extension">;
  /** stateDir: where the device each call rings on is recorded (call-devices.ts). */
  paths: Pick<AppPaths, "runtimeDir" | "configDir" | "stateDir">;
  /** Try the gateway first (default true). */
  gateway?: boolean;
  /** A session already open (e.g. from a phone-book lookup): used instead of a new one. */
  client?: Dial3cxClient;
  session: SessionAccess;
  /** Why the gateway did not take the call (for a debug line or the log). */
  onGatewaySkipped?: (reason: string) => void;
  /** Told each step as it starts ("connecting to the PBX", "ringing Yealink T46S"). */
  onStep?: (step: string) => void;
}

export interface PlacedCall {
  via: "gateway" | "session";
  /** What was dialled, as the side that dialled it parsed it. */
  dial: string;
  e164: string | null;
  display: string;
  deviceName: string;
  /** The device's SIP contact; null through the gateway, whose answer does not carry it. */
  deviceContact: string | null;
  extension: string;
  /** The PBX's call id when known. */
  id: string | null;
  /** The gateway had placed this very call within its dedupe window. */
  duplicate: boolean;
}

export async function placeCall(options: PlaceCallOptions): Promise<PlacedCall> {
  if (options.gateway !== false && options.client === undefined) {
    options.onStep?.("handing the call to dial3cx serve");
    const handed = await handOffCall({
      paths: options.paths,
      extension: options.settings.extension,
      pbx: options.settings.pbx,
      request: { to: options.target, device: options.device },
    });
    if (handed.handled) {
      const call = handed.call;
      return {
        via: "gateway",
        dial: call.to,
        e164: call.toE164,
        display: call.display,
        deviceName: call.device,
        deviceContact: null,
        extension: call.extension,
        id: call.id,
        duplicate: call.duplicate,
      };
    }
    options.onGatewaySkipped?.(handed.reason);
  }
  let sessionExpired = false;
  if (options.client === undefined && options.session.quick) {
    options.onStep?.(`connecting to ${pbxHost(options.settings.pbx)}`);
    const quick = await options.session.quick(options.to, options.device);
    sessionExpired = !quick.placed && quick.sessionExpired === true;
    if (quick.placed) {
      // No call id without events: `status` matches this call by number (call-devices.ts).
      await recordPlaced(options, null, quick.device.name);
      return {
        via: "session",
        dial: options.to.dial,
        e164: options.to.e164 ?? null,
        display: options.to.display,
        deviceName: quick.device.name,
        deviceContact: quick.device.contact,
        extension: quick.extension,
        // Without events the PBX's call id is not known, as on the driver's warm path.
        id: null,
        duplicate: false,
      };
    }
  }
  if (!options.client) options.onStep?.(`connecting to ${pbxHost(options.settings.pbx)}`);
  const client =
    options.client ?? (await options.session.open(sessionExpired ? { sessionExpired } : undefined));
  try {
    const device = client.chooseDevice(options.device);
    options.onStep?.(`ringing ${device.name}`);
    const call = await client.makeCall(options.to, { device: device.contact });
    await recordPlaced(options, call.id ?? null, device.name);
    return {
      via: "session",
      dial: options.to.dial,
      e164: options.to.e164 ?? null,
      display: options.to.display,
      deviceName: device.name,
      deviceContact: device.contact,
      extension: client.extension().extension,
      id: call.id ?? null,
      duplicate: false,
    };
  } finally {
    // A session handed in belongs to the caller.
    if (options.client === undefined) await options.session.done(client);
  }
}

/** Remembers the call's device for `status` (one append; never fails the call). */
function recordPlaced(options: PlaceCallOptions, id: string | null, device: string) {
  return recordCallDevice(callDevicesFile(options.paths.stateDir), {
    account: options.settings,
    id,
    dial: options.to.dial,
    device,
  });
}

/** "pbx.example.com" for a step's text; "the PBX" when there is no URL. */
export function pbxHost(pbx: string | undefined): string {
  try {
    return pbx ? new URL(pbx).host : "the PBX";
  } catch {
    return "the PBX";
  }
}
