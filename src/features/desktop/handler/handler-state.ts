// The record of what the handler install replaced ($XDG_STATE_HOME/dial3cx/handler-previous.json,
// mode 0600): per scheme, the default handler before dial3cx took over, so uninstall can put
// it back. Written before any default is changed; deleted by uninstall.
import { rm } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ConfigError } from "../../../errors.js";
import { appPaths } from "../../settings/paths.js";
import { readIfExists, writeSecureFile } from "../../settings/secure-file.js";
import type { HandlerPlatform, Scheme } from "./types.js";

export interface PreviousDefault {
  /** What the platform reported as the default before install (for the reports). */
  previous?: string;
  /** Linux: the raw value of the user's mimeapps.list entry, which uninstall writes back. */
  userEntry?: string;
  /** Windows: a `reg export` of the key dial3cx replaced, which uninstall imports back. */
  backupFile?: string;
}

export interface HandlerState {
  version: 1;
  platform: HandlerPlatform;
  /** The desktop file, applet bundle or registry key dial3cx wrote. */
  location: string;
  schemes: Partial<Record<Scheme, PreviousDefault>>;
}

const previousSchema = z.object({
  previous: z.string().optional(),
  userEntry: z.string().optional(),
  backupFile: z.string().optional(),
});

const stateSchema = z.object({
  version: z.literal(1),
  platform: z.enum(["linux", "darwin", "win32"]),
  location: z.string(),
  schemes: z.object({
    tel: previousSchema.optional(),
    callto: previousSchema.optional(),
    sip: previousSchema.optional(),
  }),
});

export function handlerStatePath(env: NodeJS.ProcessEnv): string {
  return path.join(appPaths(env).stateDir, "handler-previous.json");
}

export async function readHandlerState(env: NodeJS.ProcessEnv): Promise<HandlerState | undefined> {
  const file = handlerStatePath(env);
  const text = await readIfExists(file);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const result = stateSchema.safeParse(parsed);
  if (!result.success) {
    // Guessing would risk "restoring" the wrong handler; the user decides.
    throw new ConfigError(
      `${file} is not a valid handler record: delete it, then run the command again (the previous defaults it held are lost).`,
    );
  }
  return result.data;
}

export async function writeHandlerState(
  env: NodeJS.ProcessEnv,
  state: HandlerState,
): Promise<void> {
  await writeSecureFile(handlerStatePath(env), `${JSON.stringify(state, null, 2)}\n`);
}

export async function deleteHandlerState(env: NodeJS.ProcessEnv): Promise<void> {
  await rm(handlerStatePath(env), { force: true });
}
