// Call history: the entry shape front ends show (`dial3cx history`, `GET /v1/history`, the MCP
// server), how a PBX history record and a journal line become one, and the local journal, a file
// of the calls this machine's dial3cx saw end (JSON lines, owner-only). The journal is the
// fallback when the PBX will not give its history (no 106/204 on the build, or a driver without
// it, such as Call Control).
import { createHash } from "node:crypto";
import { appendFile, chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { DriverHistoryEntry } from "../../drivers/driver.js";
import { isErrnoCode, SECURE_DIR_MODE, SECURE_FILE_MODE } from "../settings/secure-file.js";

export interface CallHistoryEntry {
  /** "unknown" when the PBX gave no kind [?]. */
  direction: "incoming" | "outgoing" | "unknown";
  /** An incoming call nobody answered. */
  missed: boolean;
  /** The other party's number exactly as the PBX shows it (may be `anonymous`, "" or a SIP URI). */
  number: string;
  /** The PBX's name for the other party, when it gave one. */
  name?: string;
  /** When the call started (ISO 8601), when known. */
  time?: string;
  /** Talk time, when known (the PBX's history does not carry it [R]; the journal does). */
  durationSeconds?: number;
  /** Where the entry comes from: the PBX's history, or this machine's journal. */
  source: "pbx" | "journal";
}

export interface CallHistoryOptions {
  /** At most this many entries, newest first (default 20, at most 500). */
  limit?: number;
  /** Missed calls only. */
  missed?: boolean;
  /** Told when the PBX's history could not be read and the journal is used instead. */
  onFallback?: (reason: Error) => void;
}

export const DEFAULT_HISTORY_LIMIT = 20;
export const MAX_HISTORY_LIMIT = 500;

export function fromDriverHistory(entry: DriverHistoryEntry): CallHistoryEntry {
  const out: CallHistoryEntry = {
    direction:
      entry.kind === "outgoing" ? "outgoing" : entry.kind === "unknown" ? "unknown" : "incoming",
    missed: entry.kind === "missed",
    number: entry.number,
    source: "pbx",
  };
  if (entry.name) out.name = entry.name;
  if (entry.startedAt) out.time = entry.startedAt.toISOString();
  return out;
}

/** One finished call as the journal stores it. */
export interface JournalEntry {
  direction: "incoming" | "outgoing";
  missed: boolean;
  number: string;
  name?: string;
  /** ms since the epoch. */
  startedAt: number;
  answeredAt?: number;
  endedAt: number;
}

export function fromJournal(entry: JournalEntry): CallHistoryEntry {
  const out: CallHistoryEntry = {
    direction: entry.direction,
    missed: entry.missed,
    number: entry.number,
    time: new Date(entry.startedAt).toISOString(),
    source: "journal",
  };
  if (entry.name) out.name = entry.name;
  if (entry.answeredAt !== undefined) {
    out.durationSeconds = Math.max(0, Math.round((entry.endedAt - entry.answeredAt) / 1000));
  }
  return out;
}

/** Where finished calls are written and read back. */
export interface CallJournal {
  record(entry: JournalEntry): Promise<void>;
  /** Newest first. */
  read(limit: number, missedOnly: boolean): Promise<JournalEntry[]>;
}

/**
 * The journal of one account: `calls-<extension>-<hash of the PBX URL>.jsonl` in the state
 * directory, so that several accounts (a gateway's) never mix their calls.
 */
export function callJournalFile(
  stateDir: string,
  account: { pbx?: string | undefined; extension?: string | undefined },
): string {
  const pbx = createHash("sha256")
    .update(account.pbx ?? "")
    .digest("hex")
    .slice(0, 10);
  const extension = (account.extension ?? "").replace(/[^0-9A-Za-z]/g, "") || "none";
  return path.join(stateDir, `calls-${extension}-${pbx}.jsonl`);
}

/** The journal keeps this many calls; older ones go when it is rewritten. */
const JOURNAL_KEEP = 1000;

/**
 * A JSON-lines journal, mode 0600 in a 0700 directory (caller numbers and names are personal
 * data). Appends are single writes, so concurrent processes (`serve` and `watch`) do not interleave
 * lines; when the file has grown past twice JOURNAL_KEEP lines it is cut back to the newest ones.
 */
export class FileCallJournal implements CallJournal {
  constructor(readonly file: string) {}

  async record(entry: JournalEntry): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: SECURE_DIR_MODE });
    await appendFile(this.file, `${JSON.stringify(entry)}\n`, { mode: SECURE_FILE_MODE });
    await chmod(this.file, SECURE_FILE_MODE);
    const lines = await this.lines();
    if (lines.length > 2 * JOURNAL_KEEP) {
      await writeFile(this.file, `${lines.slice(-JOURNAL_KEEP).join("\n")}\n`, {
        mode: SECURE_FILE_MODE,
      });
    }
  }

  async read(limit: number, missedOnly: boolean): Promise<JournalEntry[]> {
    const entries: JournalEntry[] = [];
    for (const line of await this.lines()) {
      const entry = parseJournalLine(line);
      if (entry && (!missedOnly || entry.missed)) entries.push(entry);
    }
    return entries.sort((a, b) => b.startedAt - a.startedAt).slice(0, limit);
  }

  private async lines(): Promise<string[]> {
    try {
      return (await readFile(this.file, "utf8")).split("\n").filter((line) => line.trim() !== "");
    } catch (error) {
      if (isErrnoCode(error, "ENOENT")) return [];
      throw error;
    }
  }
}

/** A journal line, or undefined when it is not one (a torn or hand-edited line is skipped). */
function parseJournalLine(line: string): JournalEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object") return undefined;
  const v = value as Record<string, unknown>;
  if (v.direction !== "incoming" && v.direction !== "outgoing") return undefined;
  if (typeof v.number !== "string" || typeof v.missed !== "boolean") return undefined;
  if (typeof v.startedAt !== "number" || typeof v.endedAt !== "number") return undefined;
  const entry: JournalEntry = {
    direction: v.direction,
    missed: v.missed,
    number: v.number,
    startedAt: v.startedAt,
    endedAt: v.endedAt,
  };
  if (typeof v.name === "string" && v.name) entry.name = v.name;
  if (typeof v.answeredAt === "number") entry.answeredAt = v.answeredAt;
  return entry;
}
