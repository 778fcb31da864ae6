// What a placed call prints: "Calling Ada Lovelace (+49 30 123456) on Yealink T46S (ext 100)", or
// the JSON summary. Apart from commands/call.ts, whose imports (libphonenumber) the warm-call fast
// path (fast.ts) does not load; `call`, `pick` and the fast path print through this one function.
import { describeCallee } from "../features/calls/callee.js";
import { type DialString, keyInHint } from "../features/calls/dial-target.js";
import type { PlacedCall } from "../features/calls/place-call.js";
import { type ConnectionFlags, type Io, writeJson } from "./context.js";

/** "Calling Ada Lovelace (+49 30 123456) on Yealink T46S (ext 100)", or the JSON summary. */
export function printPlaced(
  placed: PlacedCall,
  name: string | undefined,
  flags: ConnectionFlags,
  io: Io,
  to?: Pick<DialString, "extension">,
): void {
  const callee = describeCallee(placed.display, name);
  const hint = to && keyInHint(to);
  const where = `${placed.deviceName} (ext ${placed.extension})${hint ? `: ${hint}` : ""}`;
  if (flags.json) {
    // One shape whichever side dialled; `contact` is null when the gateway's answer lacks it.
    writeJson(io, {
      to: placed.dial,
      toE164: placed.e164,
      display: placed.display,
      ...(name ? { name } : {}),
      device: placed.deviceName,
      contact: placed.deviceContact,
      extension: placed.extension,
      state: "dialing",
      via: placed.via,
      id: placed.id,
      duplicate: placed.duplicate,
      // An extension behind the number is not dialled: the caller keys it in once connected.
      ...(to?.extension ? { keyIn: to.extension } : {}),
    });
  } else if (placed.duplicate) {
    io.stdout.write(`Already calling ${callee} on ${where}: called moments ago.\n`);
  } else {
    io.stdout.write(`Calling ${callee} on ${where}\n`);
  }
}
