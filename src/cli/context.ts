// What every PBX-facing command needs: the I/O streams, the resolved settings (flags > env >
// config file), and the account options built from them. Also the loud --insecure warning.

import { ConfigError } from "../errors.js";
import type { AccountOptions } from "../features/calls/account.js";
import {
  exposedSecretsProblem,
  loadConfig,
  resolveSettings,
  type Settings,
} from "../features/settings/config.js";
import { type AppPaths, appPaths } from "../features/settings/paths.js";
import type { Io } from "./io.js";

export { type Io, processIo } from "./io.js";

/** Flags shared by the commands that talk to the PBX. */
export interface ConnectionFlags {
  pbx?: string;
  extension?: string;
  device?: string;
  ca?: string;
  fingerprint?: string;
  insecure?: boolean;
  passwordStdin?: boolean;
  code?: string;
  json?: boolean;
  driver?: string;
  clientId?: string;
}

export interface Context {
  io: Io;
  settings: Settings;
  paths: AppPaths;
  /** Why the config file's secrets are readable by others: said once the command goes ahead. */
  exposedSecrets?: string;
}

/** What a config file with secrets that others can read means: a warning, or (gateway) an error. */
export interface ContextOptions {
  exposedSecrets?: "warn" | "refuse";
}

export async function loadContext(
  flags: ConnectionFlags,
  io: Io,
  options: ContextOptions = {},
): Promise<Context> {
  const context = await readContext(flags, io, options);
  warnAbout(context);
  return context;
}

/** The context with its warnings not yet said (the fast path says them once it takes the call). */
export async function readContext(
  flags: ConnectionFlags,
  io: Io,
  { exposedSecrets = "warn" }: ContextOptions = {},
): Promise<Context> {
  const paths = appPaths(io.env);
  const config = await loadConfig(paths.configFile);
  const exposed = await exposedSecretsProblem(paths.configFile, config);
  if (exposed && exposedSecrets === "refuse") throw new ConfigError(exposed);
  const settings = resolveSettings({
    flags: {
      pbx: flags.pbx,
      extension: flags.extension,
      device: flags.device,
      ca: flags.ca,
      fingerprint: flags.fingerprint,
      insecure: flags.insecure,
      driver: flags.driver,
      clientId: flags.clientId,
    },
    env: io.env,
    config,
  });
  return { io, settings, paths, ...(exposed ? { exposedSecrets: exposed } : {}) };
}

/** What a command says before it goes ahead: secrets others can read, TLS checks turned off. */
export function warnAbout(context: Context): void {
  if (context.exposedSecrets)
    context.io.stderr.write(`dial3cx: warning: ${context.exposedSecrets}\n`);
  if (context.settings.insecure) warnInsecure(context.io);
}

function warnInsecure(io: Io): void {
  io.stderr.write(
    "WARNING: TLS certificate verification is OFF (--insecure). Anyone on the network path can read your PBX session. Pin the certificate instead: dial3cx login.\n",
  );
}

export function accountOptions(
  context: Context,
  flags: ConnectionFlags,
  extra: Partial<AccountOptions> & { events: boolean },
): AccountOptions {
  return {
    settings: context.settings,
    paths: context.paths,
    env: context.io.env,
    stdinPassword: flags.passwordStdin ? () => readAll(context.io.stdin) : undefined,
    securityCode: flags.code,
    ...extra,
  };
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

export function writeJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}
