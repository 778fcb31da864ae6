// The warm-click fast path (see entry.ts): `dial3cx call <number>` and `dial3cx open <uri>` with
// no flags, run by the same functions the full CLI runs (placeCall, printPlaced, reportError,
// handleClick) but without commander, and reading a plain number without libphonenumber
// (plain-number.ts). placeCall tries the gateway's socket, then one MakeCall on the cached session
// (quick-call.ts), then a session of our own, as for the full CLI.
//
// `call` gives up (undefined: nothing sent, nothing printed) on a broken config or a number
// dialstring.ts refuses (a name to look up, bad input): the full CLI then says exactly what it
// says. Once the call is ours, errors are reported as runCommand reports them.
import { accountSession, dialStringOptions, placeCall } from "../features/calls/place-call.js";
import { plainDialString } from "../features/calls/plain-number.js";
import { accountOptions, type Context, processIo, readContext, warnAbout } from "./context.js";
import { printPlaced } from "./print-placed.js";
import { startProgress } from "./progress.js";
import { reportError } from "./report-error.js";

export type FastRoute = { command: "call" | "open"; target: string };

/** The exit code, or undefined to run the full CLI instead. */
export async function runFast(route: FastRoute): Promise<number | undefined> {
  try {
    return route.command === "open" ? await fastOpen(route.target) : await fastCall(route.target);
  } catch (error) {
    return reportError(error);
  }
}

async function fastOpen(uri: string): Promise<number> {
  const { runOpen } = await import("./commands/open.js");
  return runOpen(uri, {}, processIo());
}

async function fastCall(target: string): Promise<number | undefined> {
  const io = processIo();
  let context: Context;
  try {
    context = await readContext({}, io);
  } catch {
    return undefined;
  }
  const options = dialStringOptions(context.settings);
  let to = plainDialString(target, options);
  if (to === undefined) {
    const { parseDialString } = await import("../features/calls/dialstring.js");
    try {
      to = parseDialString(target, options);
    } catch {
      return undefined;
    }
  }
  // From here on the call is ours.
  warnAbout(context);
  let name: string | undefined;
  if (context.settings.contacts.length > 0) {
    const { vCardNameFor } = await import("../features/contacts/contact-names.js");
    name = await vCardNameFor(context.settings.contacts, to);
  }
  // A slow PBX shows what is going on, on a terminal only (as the full CLI's call does).
  const progress = startProgress(io);
  let placed: Awaited<ReturnType<typeof placeCall>>;
  try {
    placed = await placeCall({
      to,
      target,
      device: context.settings.device,
      settings: context.settings,
      paths: context.paths,
      gateway: true,
      session: accountSession(accountOptions(context, {}, { events: false })),
      onStep: progress.step,
    });
  } finally {
    progress.stop();
  }
  printPlaced(placed, name, {}, io, to);
  return 0;
}
