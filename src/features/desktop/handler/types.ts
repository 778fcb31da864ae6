// What the handler installers share across platforms: the URL schemes dial3cx can take over,
// parsing of the `--schemes` flag, and the shapes of the install, uninstall and status reports.
import { BadInputError } from "../../../errors.js";

export const SCHEMES = ["tel", "callto", "sip"] as const;
export type Scheme = (typeof SCHEMES)[number];

export type HandlerPlatform = "linux" | "darwin" | "win32";

/** Parses `tel,callto,sip` (any order, case-insensitive, spaces allowed); undefined means all. */
export function parseSchemes(value: string | undefined): Scheme[] {
  if (value === undefined) return [...SCHEMES];
  const wanted = value
    .split(",")
    .map((part) => part.trim().toLowerCase())
    .filter((part) => part !== "");
  if (wanted.length === 0) {
    throw new BadInputError(`--schemes needs at least one of: ${SCHEMES.join(", ")}.`, "usage");
  }
  for (const part of wanted) {
    if (!isScheme(part)) {
      throw new BadInputError(
        `Unknown scheme "${part}" in --schemes: use any of ${SCHEMES.join(", ")}.`,
        "usage",
      );
    }
  }
  // Keep the canonical order so the desktop file and reports do not depend on how it was typed.
  return SCHEMES.filter((scheme) => wanted.includes(scheme));
}

export function isScheme(value: string): value is Scheme {
  return (SCHEMES as readonly string[]).includes(value);
}

export interface InstallOptions {
  /** Absolute path of the dial3cx command (bin/dial3cx.js of this package). */
  exePath: string;
  schemes: Scheme[];
  /** Ask before dialling (`dial3cx open --confirm`). */
  confirm?: boolean;
  env: NodeJS.ProcessEnv;
}

export interface SchemeChange {
  scheme: Scheme;
  /** The default handler before install, when there was one. */
  previous?: string;
  /** The default handler after install, as the platform reports it ("" when none). */
  now: string;
  /** Whether that is dial3cx: false means the platform kept another default (see notes). */
  isDial3cx: boolean;
}

export interface HandlerReport {
  platform: HandlerPlatform;
  /** What was written: the desktop file, the applet bundle or the registry key. */
  location: string;
  schemes: SchemeChange[];
  /** Things the user should know: a missing optional tool, a default that did not take. */
  notes: string[];
}

export type UninstallAction =
  /** The previous default was put back. */
  | "restored"
  /** dial3cx's entry was removed; the system default (if any) applies again. */
  | "removed"
  /** Another handler had taken over since; nothing was changed. */
  | "left";

export interface SchemeRestore {
  scheme: Scheme;
  action: UninstallAction;
  /** The default recorded at install, when there was one. */
  previous?: string;
  /** The default handler after uninstall, when there is one. */
  now?: string;
}

export interface UninstallReport {
  platform: HandlerPlatform;
  /** Files or keys deleted. */
  removed: string[];
  schemes: SchemeRestore[];
  notes: string[];
}

export interface SchemeStatus {
  scheme: Scheme;
  /** The current default handler, when there is one. */
  current?: string;
  isDial3cx: boolean;
}

export interface HandlerStatus {
  platform: HandlerPlatform;
  /** Where dial3cx's handler lives (or would live). */
  location: string;
  installed: boolean;
  schemes: SchemeStatus[];
}
