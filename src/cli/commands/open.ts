// `dial3cx open <uri> [--confirm]`: the tel:/callto:/sip: handler's entry point (the desktop
// entry's Exec line). The work is in features/click.ts; every outcome is a notification and a
// log line there. This also prints it, for whoever runs it from a terminal.
import { handleClick } from "../../features/desktop/click.js";
import type { Io } from "../context.js";

export interface OpenFlags {
  confirm?: boolean;
}

export async function runOpen(uri: string, flags: OpenFlags, io: Io): Promise<number> {
  const result = await handleClick({ uri, confirm: flags.confirm, env: io.env });
  if (result.outcome === "failed") io.stderr.write(`dial3cx: ${result.message}\n`);
  else io.stdout.write(`${result.message}\n`);
  return result.exitCode;
}
