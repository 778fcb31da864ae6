// Which device each call dial3cx placed rings on: the PBX's connection info (LocalConnection)
// names no device, so whoever places a call (the CLI's paths, the gateway) appends a line to
// `$XDG_STATE_HOME/dial3cx/call-devices.jsonl` (0600 in a 0700 directory), and `status` and the
// gateway's GET /v1/calls read it back to say which device a call is on.
//
// Decisions:
// - One small append per call, after the MakeCall went out: the warm fast path pays a single
//   write and no read. Failing to record never fails the call (the device is only shown).
// - A line holds the PBX, the extension, the PBX's call id when the placing side knew it, and a
//   key of the dialled number: a hash of its last 8 digits with the PBX and extension (as
//   dial-dedupe.ts keeps numbers, not in clear; with so few digits it hides the number from a
//   glance, not from someone who hashes every number).
// - The fast path and the quick call do not wait for the call's id (no events). Their lines match
//   a call by number instead: an outgoing call whose number (as the PBX shows it) ends in the same
//   8 digits (so 004930123456, +4930123456 and 030123456 meet, whatever the PBX's outbound rules
//   show) and that was placed within the last 12 hours; the newest such line wins. A line with an
//   id matches that id only, and a call's id line comes before any number line.
// - Lines older than 12 hours are dropped, and at most 100 kept: a reader that finds more than 200
//   lines (or the oldest one expired) rewrites the file. A call placed by another process during
//   that rewrite may lose its line (its device is then not shown), never the call.
import { createHash } from "node:crypto";
import { appendFile, mkdir } from "node:fs/promises";
import path from "node:path";
import {
  isErrnoCode,
  readIfExists,
  SECURE_DIR_MODE,
  writeSecureFile,
} from "../settings/secure-file.js";
import type { CallInfo } from "./client.js";

export const CALL_DEVICES_FILE = "call-devices.jsonl";
export const CALL_DEVICE_MAX_AGE_MS = 12 * 3600_000;
const KEEP_LINES = 100;
const REWRITE_ABOVE_LINES = 200;
const NUMBER_DIGITS = 8;

export function callDevicesFile(stateDir: string): string {
  return path.join(stateDir, CALL_DEVICES_FILE);
}

export interface CallAccount {
  pbx?: string;
  extension?: string;
}

export interface PlacedCallDevice {
  account: CallAccount;
  /** The PBX's call id, when the placing side learnt it. */
  id: string | null;
  /** What was dialled (any form: only its digits count). */
  dial: string;
  /** The device's name, as `devices` shows it. */
  device: string;
  now?: number;
}

interface Line {
  at: number;
  pbx: string;
  extension: string;
  id: string | null;
  number: string;
  device: string;
}

/** Appends the call's line. Never throws: the call is placed whether or not this is kept. */
export async function recordCallDevice(file: string, placed: PlacedCallDevice): Promise<void> {
  const line: Line = {
    at: placed.now ?? Date.now(),
    pbx: placed.account.pbx ?? "",
    extension: placed.account.extension ?? "",
    id: placed.id,
    number: numberKey(placed.account, placed.dial),
    device: placed.device,
  };
  const text = `${JSON.stringify(line)}\n`;
  try {
    await appendFile(file, text, { mode: 0o600 });
  } catch (error) {
    if (!isErrnoCode(error, "ENOENT")) return;
    try {
      await mkdir(path.dirname(file), { recursive: true, mode: SECURE_DIR_MODE });
      await appendFile(file, text, { mode: 0o600 });
    } catch {
      // Not shown later; nothing else depends on it.
    }
  }
}

/** The device of each of `calls` that this account's lines know (by id, else by number). */
export type CallDeviceLookup = (
  call: Pick<CallInfo, "id" | "number" | "incoming">,
) => string | undefined;

/** Reads the lines for one account (pruning the file when due). Unreadable lines are skipped. */
export async function loadCallDevices(
  file: string,
  account: CallAccount,
  now = Date.now(),
): Promise<CallDeviceLookup> {
  let text: string | undefined;
  try {
    text = await readIfExists(file);
  } catch {
    text = undefined;
  }
  const all = (text ?? "").split("\n").flatMap(parseLine);
  const fresh = all.filter(
    (line) => now - line.at >= -60_000 && now - line.at < CALL_DEVICE_MAX_AGE_MS,
  );
  if (all.length > REWRITE_ABOVE_LINES || (fresh.length < all.length && all.length > 0)) {
    const kept = fresh.slice(-KEEP_LINES);
    await writeSecureFile(file, kept.map((line) => `${JSON.stringify(line)}\n`).join("")).catch(
      () => undefined,
    );
  }
  const mine = fresh.filter(
    (line) => line.pbx === (account.pbx ?? "") && line.extension === (account.extension ?? ""),
  );
  const byId = new Map<string, string>();
  const byNumber = new Map<string, string>();
  // Later lines win: a later call with the same id or number is the one on the line now.
  for (const line of mine) {
    if (line.id !== null) byId.set(line.id, line.device);
    else byNumber.set(line.number, line.device);
  }
  return (call) => {
    const known = byId.get(call.id);
    if (known !== undefined || call.incoming || !/\d/.test(call.number)) return known;
    return byNumber.get(numberKey(account, call.number));
  };
}

function parseLine(text: string): Line[] {
  if (text.trim() === "") return [];
  try {
    const value = JSON.parse(text) as Partial<Line>;
    const ok =
      typeof value.at === "number" &&
      typeof value.pbx === "string" &&
      typeof value.extension === "string" &&
      (value.id === null || typeof value.id === "string") &&
      typeof value.number === "string" &&
      typeof value.device === "string";
    return ok ? [value as Line] : [];
  } catch {
    return [];
  }
}

function numberKey(account: CallAccount, number: string): string {
  const digits = number.replace(/\D/g, "").slice(-NUMBER_DIGITS);
  const text = `${account.pbx ?? ""}\n${account.extension ?? ""}\n${digits}`;
  return createHash("sha256").update(text, "utf8").digest("hex").slice(0, 24);
}
