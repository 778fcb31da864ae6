// The log of what the tel: handler did (`$XDG_STATE_HOME/dial3cx/dial3cx.log`): the handler has no
// terminal, so every click leaves a JSON line here (pino, synchronous writes) next to its
// notification. The file is 0600 in a 0700 directory; fields named like secrets are redacted,
// and callers log parsed numbers, never a raw URI (a sip: URI can carry a password, any URI a
// query string).
//
// Decision: one backup generation. Past 1 MiB the file becomes `dial3cx.log.1` (replacing the
// previous backup) when the next process opens it: a click a minute would take weeks to fill it.
import { chmod, mkdir, open, rename, stat } from "node:fs/promises";
import path from "node:path";
import pino, { type Logger } from "pino";
import { isErrnoCode } from "../settings/secure-file.js";

export const LOG_ROTATE_BYTES = 1024 * 1024;

/** Field names whose values never reach the log, at the top level or one object down. */
const SECRET_FIELDS = ["password", "token", "authorization", "apiKey", "secret", "cookie"];

export interface AppLog {
  logger: Logger;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

export async function openAppLog(file: string): Promise<AppLog> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await rotateIfLarge(file);
  const handle = await open(file, "a", 0o600);
  // An existing file keeps its mode on open; and the mode given is masked by the umask.
  await handle.chmod(0o600);
  const destination = pino.destination({ fd: handle.fd, sync: true });
  const logger = pino(
    {
      name: "dial3cx",
      base: { pid: process.pid },
      redact: {
        paths: SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]),
        censor: "[redacted]",
      },
    },
    destination,
  );
  return {
    logger,
    close: async () => {
      destination.flushSync();
      await handle.close();
    },
  };
}

/** A logger that writes nothing, for when the log file cannot be opened. */
export function silentLog(): AppLog {
  return { logger: pino({ level: "silent" }), close: async () => undefined };
}

async function rotateIfLarge(file: string): Promise<void> {
  try {
    if ((await stat(file)).size < LOG_ROTATE_BYTES) return;
    await rename(file, `${file}.1`);
    await chmod(`${file}.1`, 0o600);
  } catch (error) {
    if (!isErrnoCode(error, "ENOENT")) throw error;
  }
}
