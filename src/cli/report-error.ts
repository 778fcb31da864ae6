// An error as the user sees it: one `dial3cx:` line (or a JSON error object with --json) and the
// exit code its kind defines. Apart from run.ts, which loads commander: the warm-call fast path
// (fast.ts) reports through this same function without it.
import { Dial3cxError } from "../errors.js";

export interface RunOptions {
  json?: boolean;
}

export function reportError(error: unknown, options: RunOptions = {}): number {
  if (error instanceof Dial3cxError) {
    if (options.json) process.stdout.write(`${JSON.stringify(error.toJSON())}\n`);
    else process.stderr.write(`dial3cx: ${error.message}\n`);
    return error.exitCode;
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (options.json) {
    const body = { error: { code: "internal", message: firstLine(text) } };
    process.stdout.write(`${JSON.stringify(body)}\n`);
  } else {
    process.stderr.write(`dial3cx: internal error: ${text}\nPlease report this as a bug.\n`);
  }
  return 1;
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0] ?? text;
}
