// The log of what the tel: handler did (`$XDG_STATE_HOME/dial3cx/dial3cx.log`): the handler has no
// terminal, so every click leaves a JSON line here (synchronous writes) next to its notification.
// The lines are pino's ({"level":30,"time":…,"pid":…,"name":"dial3cx",…fields,"msg":…}), written
// by a few lines of our own: pino cost every click ~7 ms of loading. The file is 0600 in a 0700 directory; fields named like secrets are redacted,
// and callers log parsed numbers, never a raw URI (a sip: URI can carry a password, any URI a
// query string).
//
// Decision: one backup generation. Past 1 MiB the file becomes `dial3cx.log.1` (replacing the
// previous backup) when the next process opens it: a click a minute would take weeks to fill it.
import { writeSync } from "node:fs";
import { chmod, mkdir, open, rename, stat } from "node:fs/promises";
import path from "node:path";
import { isErrnoCode } from "../settings/secure-file.js";

export const LOG_ROTATE_BYTES = 1024 * 1024;

/** Field names whose values never reach the log, at the top level or one object down. */
const SECRET_FIELDS = ["password", "token", "authorization", "apiKey", "secret", "cookie"];

type LogMethod = (fieldsOrMessage: Record<string, unknown> | string, message?: string) => void;

/** pino's methods, as far as the handler uses them. */
export interface Logger {
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

/** pino's level numbers. */
const LEVELS = { info: 30, warn: 40, error: 50 } as const;
const CENSOR = "[redacted]";

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
  const logger = jsonLogger((line) => {
    writeSync(handle.fd, line);
  });
  return { logger, close: () => handle.close() };
}

function jsonLogger(write: (line: string) => void): Logger {
  const method =
    (level: keyof typeof LEVELS): LogMethod =>
    (fieldsOrMessage, message) => {
      const fields = typeof fieldsOrMessage === "string" ? {} : redact(fieldsOrMessage);
      const text = typeof fieldsOrMessage === "string" ? fieldsOrMessage : message;
      const record = {
        level: LEVELS[level],
        time: Date.now(),
        pid: process.pid,
        name: "dial3cx",
        ...fields,
        ...(text === undefined ? {} : { msg: text }),
      };
      write(`${JSON.stringify(record)}\n`);
    };
  return { info: method("info"), warn: method("warn"), error: method("error") };
}

/** The fields with those named like secrets censored, at the top level or one object down. */
function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const censor = (value: Record<string, unknown>, deeper: boolean) => {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (SECRET_FIELDS.includes(key)) copy[key] = CENSOR;
      else if (deeper && isPlainObject(item)) copy[key] = censor(item, false);
      else copy[key] = item;
    }
    return copy;
  };
  return censor(fields, true);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A logger that writes nothing, for when the log file cannot be opened. */
export function silentLog(): AppLog {
  const nothing: LogMethod = () => undefined;
  return {
    logger: { info: nothing, warn: nothing, error: nothing },
    close: async () => undefined,
  };
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
