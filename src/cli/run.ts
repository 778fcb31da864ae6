// Runs one subcommand: turns its result into an exit code and any error into one clear line
// (or a JSON error object with --json), with the exit code the error kind defines.
import { InvalidArgumentError } from "@commander-js/extra-typings";
import { EXIT_CODES } from "../errors.js";
import { type RunOptions, reportError } from "./report-error.js";

export { type RunOptions, reportError } from "./report-error.js";

export async function runCommand(
  action: () => Promise<number | undefined>,
  options: RunOptions = {},
): Promise<void> {
  // A rejection nobody handles is a bug: it is reported as one (exit 1), never left to decide
  // the exit code on its own.
  const onUnhandled = (reason: unknown) => {
    process.exitCode = reportError(new UnhandledError(reason), options);
    process.exit();
  };
  // The event loop ran dry while the command still waited: it waits for something that can no
  // longer happen. Node would exit 13 without a word; say so and exit 1.
  const onStalled = () => {
    process.exitCode = reportError(new StalledError(), options);
  };
  process.on("unhandledRejection", onUnhandled);
  process.once("beforeExit", onStalled);
  try {
    const code = await action();
    process.exitCode = typeof code === "number" ? code : 0;
  } catch (error) {
    process.exitCode = reportError(error, options);
  } finally {
    process.off("beforeExit", onStalled);
  }
}

/** A rejected promise nobody awaited: always a bug in dial3cx. */
class UnhandledError extends Error {
  constructor(reason: unknown) {
    const text = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    super(`unhandled rejection: ${text}`);
    this.stack = this.message;
  }
}

/** The command waited on a promise that nothing could settle any more: a bug in dial3cx. */
class StalledError extends Error {
  constructor() {
    super("the command stopped waiting for an answer that can no longer come");
    this.stack = this.message;
  }
}

/** What commander reports when it stops on its own: help, version, or a usage mistake. */
export interface CommanderExit {
  exitCode: number;
  code: string;
  message: string;
}

/**
 * Exit for commander: help and version exit 0; a usage mistake (unknown command or option,
 * missing argument) exits 2 like any other bad input, with a JSON error on stdout under --json
 * (commander has already written the text form to stderr otherwise).
 */
export function exitForCommander(exit: CommanderExit, options: RunOptions = {}): never {
  if (exit.exitCode === 0) process.exit(0);
  if (options.json) {
    const message =
      exit.code === "commander.help"
        ? "No command given: run `dial3cx --help`."
        : exit.message.replace(/^error: /, "");
    process.stdout.write(`${JSON.stringify({ error: { code: "usage", message } })}\n`);
  }
  process.exit(EXIT_CODES.usage);
}

/**
 * commander's parser for --code: six digits (spaces stripped), checked before anything is sent,
 * since a mistyped code costs a failed login and 3CX locks the address out after five.
 */
export function securityCodeArg(value: string): string {
  const code = value.replace(/\s+/g, "");
  if (!/^\d{6}$/.test(code)) {
    throw new InvalidArgumentError("A 2FA code is 6 digits, as your authenticator app shows it.");
  }
  return code;
}
