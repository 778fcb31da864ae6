// The doctor's report: what a check result says (status, detail, the fix, the error's code and
// exit code), how a check's outcome or failure becomes one, and the verdict (ok, exit code, which
// driver `auto` would pick). Rendering it is the CLI's job.
import { Dial3cxError, type ErrorCode } from "../../errors.js";
import type { Settings } from "../settings/config.js";

export type CheckId =
  | "settings"
  | "reachable"
  | "tls"
  | "version"
  | "login"
  | "session"
  | "websocket"
  | "devices"
  | "webclient"
  | "callcontrol"
  | "gateway";

export type CheckStatus = "pass" | "fail" | "skip";

export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a failure (or a skipped check worth acting on). */
  fix?: string;
  /** Failures: the error's code and CLI exit code. */
  code?: ErrorCode | "internal";
  exitCode?: number;
  ms?: number;
}

export type SelectedDriver = "webclient" | "callcontrol" | null;

export interface DoctorReport {
  ok: boolean;
  exitCode: number;
  driver: { configured: Settings["driver"] | null; selected: SelectedDriver };
  checks: CheckResult[];
}

export const TITLES: Record<CheckId, string> = {
  settings: "Settings",
  reachable: "PBX reachable",
  tls: "TLS",
  version: "PBX version",
  login: "Login",
  session: "MyPhone session",
  websocket: "Websocket",
  devices: "Devices",
  webclient: "Web-client driver",
  callcontrol: "Call Control driver",
  gateway: "Gateway",
};

/** A failed check: the error, and the fix to name for it (if any). */
export class CheckFailed extends Error {
  constructor(
    readonly error: unknown,
    readonly fix?: string,
  ) {
    super(error instanceof Error ? error.message : String(error));
  }
}

/** A check's outcome: a pass (detail), a skip (detail and maybe a fix), or it throws. */
export type Outcome = string | { skip: string; fix?: string };

/** Runs one check and turns its outcome, or its failure, into a result. */
export async function runCheck(id: CheckId, check: () => Promise<Outcome>): Promise<CheckResult> {
  const started = performance.now();
  const base = { id, title: TITLES[id] };
  try {
    const outcome = await check();
    const ms = Math.round(performance.now() - started);
    if (typeof outcome === "string") return { ...base, status: "pass", detail: outcome, ms };
    return {
      ...base,
      status: "skip",
      detail: outcome.skip,
      ...(outcome.fix ? { fix: outcome.fix } : {}),
    };
  } catch (thrown) {
    const ms = Math.round(performance.now() - started);
    const error = thrown instanceof CheckFailed ? thrown.error : thrown;
    const fix = thrown instanceof CheckFailed ? thrown.fix : undefined;
    const typed = error instanceof Dial3cxError;
    return {
      ...base,
      status: "fail",
      detail: error instanceof Error ? error.message : String(error),
      ...(fix ? { fix } : {}),
      code: typed ? error.code : "internal",
      exitCode: typed ? error.exitCode : 1,
      ms,
    };
  }
}

/** Awaits one step; a failure becomes a CheckFailed with the fix `fixFor` names (if any). */
export async function step<T>(
  work: Promise<T>,
  fixFor: (error: unknown) => string | undefined,
): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw new CheckFailed(error, fixFor(error));
  }
}

/** The verdict: ok and the exit code follow the first failure. */
export function finish(
  checks: CheckResult[],
  settings: Settings | undefined,
  selected: SelectedDriver,
): DoctorReport {
  const failed = checks.find((c) => c.status === "fail");
  return {
    ok: !failed,
    exitCode: failed?.exitCode ?? 0,
    driver: { configured: settings?.driver ?? null, selected },
    checks,
  };
}

/** The driver `auto` (or the configured one) would use, given which checks passed. */
export function selectedDriver(
  settings: Settings,
  callControlOk: boolean,
  webClientOk: boolean | undefined,
): SelectedDriver {
  if (settings.driver === "webclient") return webClientOk ? "webclient" : null;
  if (settings.driver === "callcontrol") return callControlOk ? "callcontrol" : null;
  if (callControlOk) return "callcontrol";
  return webClientOk ? "webclient" : null;
}
