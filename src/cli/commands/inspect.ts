// Read-only commands over a live session: `devices`, `status` and `watch` (with --notify, or
// `notify = true`, a desktop notification for each incoming call; `on_incoming` opens its URL).
import { BadInputError } from "../../errors.js";
import { openAccount, rememberSession } from "../../features/calls/account.js";
import { callDevicesFile, loadCallDevices } from "../../features/calls/call-devices.js";
import type { CallInfo, Dial3cxClient } from "../../features/calls/client.js";
import { deviceView, formatDeviceList } from "../../features/calls/devices.js";
import { displayText } from "../../features/display-text.js";
import { callNamer } from "../call-names.js";
import {
  accountOptions,
  type ConnectionFlags,
  type Context,
  type Io,
  loadContext,
  writeJson,
} from "../context.js";
import { callLine } from "../format.js";

async function withClient<T>(
  flags: ConnectionFlags,
  io: Io,
  use: (client: Dial3cxClient, context: Context) => Promise<T>,
): Promise<T> {
  const context = await loadContext(flags, io);
  const client = await openAccount(accountOptions(context, flags, { events: true }));
  try {
    return await use(client, context);
  } finally {
    await rememberSession(client, context);
    await client.close();
  }
}

export function runDevices(flags: ConnectionFlags, io: Io): Promise<number> {
  return withClient(flags, io, async (client) => {
    const devices = client.devices();
    if (flags.json) writeJson(io, devices.map(deviceView));
    else if (devices.length === 0) io.stdout.write("No device is registered on this extension.\n");
    else io.stdout.write(`${formatDeviceList(devices).join("\n")}\n`);
    return 0;
  });
}

export function runStatus(flags: ConnectionFlags, io: Io): Promise<number> {
  return withClient(flags, io, async (client, context) => {
    const info = client.extension();
    const devices = client.devices();
    // The device a call rings on, for the calls dial3cx placed (the PBX does not say).
    const deviceOf = await loadCallDevices(
      callDevicesFile(context.paths.stateDir),
      context.settings,
    );
    const calls = client.calls().map((call) => ({ ...call, device: deviceOf(call) ?? null }));
    const name = [info.firstName, info.lastName].filter(Boolean).join(" ");
    if (flags.json) {
      writeJson(io, { ...info, name: name || null, devices: devices.map(deviceView), calls });
      return 0;
    }
    const lines = [
      `Extension ${info.extension}${name ? ` (${name})` : ""}`,
      `Presence  ${info.presence ?? "unknown"}${info.dnd ? ", do not disturb" : ""}`,
      `Missed    ${info.missedCalls ?? 0}`,
      `Devices   ${devices.length === 0 ? "none registered" : ""}`,
      ...formatDeviceList(devices),
      `Calls     ${calls.length === 0 ? "none" : ""}`,
      ...calls.map(
        (call) => `  ${callLine(call)}${call.device ? `  on ${displayText(call.device)}` : ""}`,
      ),
    ];
    io.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  });
}

export interface WatchFlags extends ConnectionFlags {
  notify?: boolean;
}

/** One line (or JSON object) per event until Ctrl-C or SIGTERM. */
export function runWatch(flags: WatchFlags, io: Io, stop?: AbortSignal): Promise<number> {
  return withClient(flags, io, async (client, context) => {
    const named = await callNamer(context.settings.contacts);
    const color = Boolean(io.stdout.isTTY) && !flags.json;
    const print = (event: string, text: string, data: object) => {
      if (flags.json) writeJson(io, { time: new Date().toISOString(), event, ...data });
      else io.stdout.write(`${new Date().toLocaleTimeString()}  ${text}\n`);
    };
    client.on("call", ({ type, call, incoming }) =>
      print(`call.${type}`, `${callLine(named(call), color)}${incoming ? `  (${incoming})` : ""}`, {
        call,
        ...(incoming ? { incoming } : {}),
      }),
    );
    const notify = flags.notify === true || context.settings.notify;
    const incoming =
      notify || context.settings.onIncoming
        ? (await import("../../features/desktop/incoming.js")).watchIncomingCalls({
            client,
            settings: context.settings,
            env: io.env,
            notify,
            // Warnings carry no caller details; debug lines (names, numbers) are not kept here.
            log: (level, message) => {
              if (level === "warn") io.stderr.write(`dial3cx: ${message}\n`);
            },
          })
        : undefined;
    client.on("device", ({ type, device }) =>
      print(`device.${type}`, `device ${type}: ${device.name} ${device.contact}`, {
        device: deviceView(device),
      }),
    );
    client.on("connection", (state) => print(`connection.${state}`, `connection ${state}`, {}));
    client.on("problem", (error) =>
      print("problem", `problem: ${error.message}`, { message: error.message }),
    );
    // Listen before announcing: whoever reads the line may signal us at once.
    const stopped = untilStopped(stop);
    // Events that stop for good (no password to renew the session, …) end the watch: nothing
    // else would, and a wait on signals alone does not keep the process alive.
    let stopLost = () => {};
    const lost = new Promise<Error>((resolve) => {
      stopLost = client.onLost(resolve);
    });
    if (!flags.json)
      io.stderr.write(`Watching extension ${client.extension().extension}; Ctrl-C to stop.\n`);
    try {
      const outcome = await Promise.race([stopped.promise.then(() => undefined), lost]);
      if (outcome) throw outcome;
    } finally {
      stopped.cancel();
      stopLost();
      await incoming?.stop();
    }
    return 0;
  });
}

function untilStopped(stop?: AbortSignal): { promise: Promise<void>; cancel: () => void } {
  let cancel = () => {};
  const promise = new Promise<void>((resolve) => {
    const done = () => {
      cancel();
      resolve();
    };
    cancel = () => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      stop?.removeEventListener("abort", done);
    };
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
    stop?.addEventListener("abort", done, { once: true });
  });
  return { promise, cancel };
}

export interface HangupFlags extends ConnectionFlags {
  all?: boolean;
}

export function runHangup(callId: string | undefined, flags: HangupFlags, io: Io): Promise<number> {
  if (callId !== undefined && flags.all) {
    throw new BadInputError("--all and a call id cannot be combined.", "usage");
  }
  return withClient(flags, io, async (client) => {
    const calls = client.calls();
    let ids: string[];
    if (callId !== undefined) ids = [activeCallId(callId, calls)];
    else if (flags.all || calls.length === 1) ids = calls.map((c) => c.id);
    else if (calls.length === 0) ids = [];
    else return reportSeveralCalls(calls, flags, io);
    for (const id of ids) await client.hangup(id);
    if (flags.json) writeJson(io, { hungUp: ids });
    else
      io.stdout.write(
        ids.length === 0
          ? "No active call.\n"
          : `Hung up ${ids.map((id) => `#${id}`).join(", ")}.\n`,
      );
    return 0;
  });
}

/**
 * The id when it is one of the active calls; asking the PBX about any other id is pointless.
 * Accepted as `status` shows it (`#2`) or bare (`2`).
 */
function activeCallId(given: string, calls: CallInfo[]): string {
  const callId = given.trim().replace(/^#/, "");
  if (calls.some((c) => c.id === callId)) return callId;
  const active = calls.length === 0 ? "none" : calls.map((c) => `#${c.id}`).join(", ");
  throw new BadInputError(`No active call #${callId}; active: ${active}`, "usage");
}

function reportSeveralCalls(calls: CallInfo[], flags: HangupFlags, io: Io): number {
  const message = `${calls.length} calls are active: name one, or pass --all.`;
  if (flags.json) {
    writeJson(io, { error: { code: "usage", message }, calls });
  } else {
    const list = calls.map((c) => `  ${callLine(c)}`).join("\n");
    io.stderr.write(`dial3cx: ${message}\n${list}\n`);
  }
  return 2;
}
