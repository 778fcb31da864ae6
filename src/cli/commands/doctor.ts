// `dial3cx doctor [--json]`: the flags, the report as text (one line per check, marked ✓ ✗ or –,
// then the driver `auto` picks) or as JSON, and the exit code: 0 when every configured check
// passes, else that of the first failure. The checks themselves: features/doctor/.
import {
  type CheckStatus,
  type DoctorOptions,
  type DoctorReport,
  diagnose,
} from "../../features/doctor/index.js";
import { type ConnectionFlags, type Io, loadContext, readAll, writeJson } from "../context.js";

export type {
  CheckId,
  CheckResult,
  CheckStatus,
  DoctorOptions,
  DoctorReport,
} from "../../features/doctor/index.js";

export interface DoctorFlags extends ConnectionFlags {
  /** --driver auto|webclient|callcontrol */
  driver?: string;
  /** --client-id (the API key comes from DIAL3CX_API_KEY or the keyring only) */
  clientId?: string;
}

const MARKS: Record<CheckStatus, string> = { pass: "✓", fail: "✗", skip: "–" };

export async function runDoctor(
  flags: DoctorFlags,
  io: Io,
  options: DoctorOptions = {},
): Promise<number> {
  const report = await diagnose(
    {
      loadSettings: async () => (await loadContext(flags, io)).settings,
      env: io.env,
      stdinPassword: flags.passwordStdin ? () => readAll(io.stdin) : undefined,
      securityCode: flags.code,
    },
    options,
  );
  if (flags.json) writeJson(io, report);
  else io.stdout.write(renderReport(report));
  return report.exitCode;
}

export function renderReport(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.title.length));
  const lines = report.checks.map((check) => {
    // Error messages name their own fix; with a fix of ours, their first sentence is enough.
    const detail = check.fix ? firstSentence(check.detail) : check.detail;
    const fix = check.fix ? ` → ${check.fix}` : "";
    return `${MARKS[check.status]} ${check.title.padEnd(width)}  ${detail}${fix}`;
  });
  const { configured, selected } = report.driver;
  if (configured) {
    const used = selected ? (selected === "callcontrol" ? "Call Control" : "web client") : "none";
    lines.push(`Driver: ${configured}${configured === "auto" ? ` → ${used}` : ""}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Up to the first ". " followed by a capital letter (so "e.g. x" and "1.2" stay whole). */
function firstSentence(text: string): string {
  const end = text.search(/\.\s+[A-Z]/);
  return end === -1 ? text : text.slice(0, end + 1);
}
