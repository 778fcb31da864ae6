// `dial3cx call <number|uri>`: validates the number before anything is sent, rings the chosen
// device, and with --wait follows the call to its end (Ctrl-C offers to hang up).
import { dialOptions, openAccount, rememberSession } from "../../features/account.js";
import type { Call, CallInfo, Dial3cxClient } from "../../features/client.js";
import { parseDialString } from "../../features/dialstring.js";
import {
  accountOptions,
  type ConnectionFlags,
  type Io,
  loadContext,
  writeJson,
} from "../context.js";
import { formatDuration, stateText } from "../format.js";

export interface CallFlags extends ConnectionFlags {
  wait?: boolean;
  dryRun?: boolean;
}

export async function runCall(target: string, flags: CallFlags, io: Io): Promise<number> {
  const context = await loadContext(flags, io);
  const to = parseDialString(target, dialOptions(context.settings));
  const client = await openAccount(accountOptions(context, flags, { events: Boolean(flags.wait) }));
  try {
    const device = client.chooseDevice(flags.device ?? context.settings.device);
    const extension = client.extension().extension;
    const summary = {
      to: to.dial,
      toE164: to.e164 ?? null,
      display: to.display,
      device: device.name,
      contact: device.contact,
      extension,
    };
    if (flags.dryRun) {
      if (flags.json) writeJson(io, { ...summary, dryRun: true });
      else
        io.stdout.write(
          `Would call ${to.display} (dialling ${to.dial}) on ${device.name} (ext ${extension}). Nothing was dialled.\n`,
        );
      return 0;
    }
    if (!flags.json)
      io.stdout.write(`Calling ${to.display} on ${device.name} (ext ${extension})\n`);
    const call = await client.makeCall(to, { device: device.contact });
    if (!flags.wait) {
      if (flags.json) writeJson(io, { ...summary, state: "dialing" });
      return 0;
    }
    return await follow(call, client, flags, io, summary);
  } finally {
    await rememberSession(client, context);
    await client.close();
  }
}

async function follow(
  call: Call,
  client: Dial3cxClient,
  flags: CallFlags,
  io: Io,
  summary: Record<string, unknown>,
): Promise<number> {
  let connectedAt: number | undefined;
  const show = (info: CallInfo) => {
    if (info.state === "connected" && connectedAt === undefined) connectedAt = Date.now();
    if (flags.json) writeJson(io, { ...summary, id: info.id, state: info.state });
    else if (info.state !== "ended") io.stdout.write(`  ${stateText(info.state)}\n`);
  };
  // The PBX may have shown the call before the Ack came back.
  if (call.info) show(call.info);
  call.on("state", show);
  const stopSigint = onSigint(() => offerHangup(call, client, io));
  try {
    await call.wait();
  } finally {
    stopSigint();
  }
  if (!flags.json) {
    const talked =
      connectedAt === undefined
        ? "before it was answered"
        : `after ${formatDuration(Date.now() - connectedAt)}`;
    io.stdout.write(`  ended ${talked}\n`);
  }
  return 0;
}

async function offerHangup(call: Call, client: Dial3cxClient, io: Io): Promise<void> {
  const interactive = Boolean(io.stdin.isTTY && io.stdout.isTTY);
  // Loaded only here: the prompt library is not worth its start-up cost on every call.
  const ask = async () => {
    const { confirm } = await import("@inquirer/prompts");
    return confirm({ message: "Hang up the call?", default: true });
  };
  const hangUp = interactive ? await ask().catch(() => true) : true;
  if (hangUp) {
    await call.hangup();
    io.stdout.write("  hanging up…\n");
    return;
  }
  io.stdout.write(`  left the call running: hang up with \`dial3cx hangup ${call.id ?? ""}\`\n`);
  await client.close();
  process.exit(0);
}

function onSigint(handler: () => Promise<void>): () => void {
  const listener = () => {
    handler().catch((error: Error) => {
      process.stderr.write(`dial3cx: ${error.message}\n`);
    });
  };
  process.on("SIGINT", listener);
  return () => process.off("SIGINT", listener);
}
