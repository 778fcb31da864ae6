// The doctor feature: checks every step of a call's path (settings, network, TLS, PBX version,
// login, session, websocket, devices, both drivers) and reports each with the fix for a failure.
// checks.ts runs the checks, report.ts shapes the result; the probes live in the drivers
// (drivers/probe.ts, drivers/webclient/diagnostics.ts), the rendering in the CLI. May use the
// drivers, errors.ts and the calls and settings features; never a front end.
export { type DoctorInput, type DoctorOptions, diagnose } from "./checks.js";
export type {
  CheckId,
  CheckResult,
  CheckStatus,
  DoctorReport,
  SelectedDriver,
} from "./report.js";
