// `dial3cx handler install|uninstall|status`: makes dial3cx the handler of tel:, callto: and sip:
// links (so a click rings the desk phone), undoes that, or shows who handles them now. Prints
// what changed in plain words, or the report as JSON with --json.
import { BadInputError } from "../../errors.js";
import {
  type HandlerReport,
  type HandlerStatus,
  handlerStatus,
  installHandler,
  parseSchemes,
  resolveDial3cxExe,
  type SchemeRestore,
  type UninstallReport,
  uninstallHandler,
} from "../../features/desktop/handler/index.js";

export type HandlerAction = "install" | "uninstall" | "status";

export interface HandlerCommandOptions {
  /** Comma-separated subset of tel,callto,sip (install only). */
  schemes?: string;
  /** Ask before dialling (install only). */
  confirm?: boolean;
  json?: boolean;
}

export interface HandlerCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export async function runHandler(
  action: HandlerAction,
  opts: HandlerCommandOptions,
  io: HandlerCommandIo,
): Promise<number> {
  if (action !== "install" && (opts.schemes !== undefined || opts.confirm)) {
    const flag = opts.schemes !== undefined ? "--schemes" : "--confirm";
    throw new BadInputError(`${flag} only applies to \`dial3cx handler install\`.`, "usage");
  }
  const result = await perform(action, opts, io.env);
  if (opts.json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  const lines =
    action === "install"
      ? installLines(result as HandlerReport)
      : action === "uninstall"
        ? uninstallLines(result as UninstallReport)
        : statusLines(result as HandlerStatus);
  io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

async function perform(
  action: HandlerAction,
  opts: HandlerCommandOptions,
  env: NodeJS.ProcessEnv,
): Promise<HandlerReport | UninstallReport | HandlerStatus> {
  switch (action) {
    case "install": {
      // Flags first: a bad --schemes must not cost a package lookup.
      const schemes = parseSchemes(opts.schemes);
      const exePath = await resolveDial3cxExe(env);
      return installHandler({ exePath, schemes, confirm: opts.confirm ?? false, env });
    }
    case "uninstall":
      return uninstallHandler(env);
    case "status":
      return handlerStatus(env);
    default:
      throw new BadInputError(
        `Unknown handler action "${String(action)}": use install, uninstall or status.`,
        "usage",
      );
  }
}

const label = (scheme: string): string => `${scheme}:`.padEnd(8);
const none = "(none)";

export function installLines(report: HandlerReport): string[] {
  const taken = report.schemes.filter((s) => s.isDial3cx).map((s) => `${s.scheme}:`);
  const missed = report.schemes.filter((s) => !s.isDial3cx).map((s) => `${s.scheme}:`);
  const lines = [
    missed.length === 0
      ? `dial3cx now handles ${listText(taken)} links.`
      : `dial3cx is installed, but is not the default for ${listText(missed)} links (see the notes).`,
    `Wrote ${report.location}`,
  ];
  for (const change of report.schemes) {
    const mark = change.isDial3cx ? "" : "  <- not dial3cx";
    const before = change.previous ? `was ${change.previous}` : "no default before";
    lines.push(`  ${label(change.scheme)} ${change.now || none} (${before})${mark}`);
  }
  lines.push(...noteLines(report.notes), "Undo with `dial3cx handler uninstall`.");
  return lines;
}

export function uninstallLines(report: UninstallReport): string[] {
  const lines = report.removed.map((item) => `Removed ${item}`);
  for (const entry of report.schemes) lines.push(`  ${label(entry.scheme)} ${restoreText(entry)}`);
  lines.push(...noteLines(report.notes));
  return lines;
}

function restoreText(entry: SchemeRestore): string {
  const now = entry.now ?? none;
  switch (entry.action) {
    case "restored":
      return `restored ${entry.previous ?? now} (now ${now})`;
    case "removed":
      return `dial3cx removed, now ${now}`;
    case "left":
      return `left alone: handled by ${now}`;
  }
}

export function statusLines(status: HandlerStatus): string[] {
  const lines = [
    status.installed
      ? `dial3cx handler installed: ${status.location}`
      : "dial3cx handler not installed (run `dial3cx handler install`).",
  ];
  for (const scheme of status.schemes) {
    const mark = scheme.isDial3cx ? "  (dial3cx)" : "";
    lines.push(`  ${label(scheme.scheme)} ${scheme.current ?? none}${mark}`);
  }
  return lines;
}

function noteLines(notes: string[]): string[] {
  return notes.map((note) => `Note: ${note}`);
}

function listText(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
