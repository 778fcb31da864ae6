// What a slow command is doing, on a terminal only: after 300 ms without output a spinner on
// stderr names the step ("connecting to pbx.example.com", "ringing Yealink T46S"). Never on a
// pipe, under --json, with TERM=dumb or in CI; it is gone before the command prints anything.
import type { Io } from "./io.js";

export interface Progress {
  step(text: string): void;
  stop(): void;
}

const NO_PROGRESS: Progress = { step: () => undefined, stop: () => undefined };

export function startProgress(
  io: Io,
  options: { json?: boolean; delayMs?: number } = {},
): Progress {
  const stream = io.stderr;
  if (options.json || !stream.isTTY || io.env.TERM === "dumb" || "CI" in io.env) {
    return NO_PROGRESS;
  }
  let text = "";
  let stopped = false;
  let spinner: { text: string; stop(): unknown } | undefined;
  const timer = setTimeout(async () => {
    // Loaded only when a command is slow enough to show it.
    const { default: yoctoSpinner } = await import("yocto-spinner");
    if (stopped) return;
    spinner = yoctoSpinner({ text, stream: stream as NodeJS.WriteStream }).start();
  }, options.delayMs ?? 300);
  timer.unref();
  return {
    step: (next) => {
      text = next;
      if (spinner) spinner.text = next;
    },
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      spinner?.stop();
      spinner = undefined;
    },
  };
}
