// Clicked twice: browsers and mail clients sometimes start the tel: handler twice for one click,
// and people double-click links. The same number within `dedupe_seconds` is dialled once, even
// when two handler processes start at the same moment. The record of recent dials lives in
// `$XDG_STATE_HOME/dial3cx/recent-dials/` (dir 0700, files 0600, empty).
//
// How, without a lock: each number has numbered marker files `<key>.<generation>`, where the key
// is a hash of PBX, extension and dialled digits (no number in clear on disk) and the newest
// marker's mtime is the time of the last dial. A process that finds no fresh marker creates the
// next generation with O_EXCL ("wx"): of two processes that saw the same stale marker only one
// can create the next one; the other gets EEXIST, looks again, and finds it fresh.
//
// Decisions:
// - A claim is released (its marker removed) when the call is not placed after all (cancelled
//   or failed), so clicking again right away retries instead of being ignored.
// - A claim is settled (its marker's mtime set to now) when the outcome is known, or unknown
//   (the call may have been placed): the window runs from the PBX's answer, not from the click,
//   so a slow PBX does not let a repeat through.
// - Markers older than a week are pruned, at most once a day (a `.pruned` stamp's mtime) and only
//   once the outcome is known (settle, release): looking at every marker on every click cost a
//   click one stat per number dialled that week. Pruning every marker of a number could let two
//   processes that click that very number during the prune both dial; the window is a few
//   microseconds once a week, and the price is one extra call.
import { createHash } from "node:crypto";
import { mkdir, open, readdir, stat, unlink, utimes } from "node:fs/promises";
import path from "node:path";
import { isErrnoCode } from "../settings/secure-file.js";

export const RECENT_DIALS_DIR = "recent-dials";
const PRUNE_AFTER_MS = 7 * 24 * 3600_000;
const PRUNE_EVERY_MS = 24 * 3600_000;
const PRUNED_STAMP = ".pruned";
const MAX_ATTEMPTS = 20;

export interface DialClaim {
  /** Another process dialled this number within the window: do not dial. */
  duplicate: boolean;
  /** With `duplicate`: how long ago the other dial was. */
  ageMs?: number;
  /** Forgets this claim (the call was not placed). A no-op for duplicates. */
  release(): Promise<void>;
  /** The call was placed (or may have been): the window starts now. A no-op for duplicates. */
  settle(): Promise<void>;
}

export interface ClaimOptions {
  /** The directory of markers (recentDialsDir). */
  dir: string;
  /** What makes two dials the same: PBX, extension and dialled digits. */
  identity: { pbx?: string; extension?: string; dial: string };
  windowMs: number;
  now?: () => number;
}

export function recentDialsDir(stateDir: string): string {
  return path.join(stateDir, RECENT_DIALS_DIR);
}

/** Claims the right to dial; `duplicate` when this number was claimed within the window. */
export async function claimDial(options: ClaimOptions): Promise<DialClaim> {
  const noop = async () => undefined;
  if (options.windowMs <= 0) return { duplicate: false, release: noop, settle: noop };
  const now = options.now ?? Date.now;
  const key = markerKey(options.identity);
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const names = await readdir(options.dir);
    const newest = newestGeneration(names, key);
    if (newest !== undefined) {
      const mtime = await mtimeOf(path.join(options.dir, markerName(key, newest)));
      // Gone meanwhile: a newer generation replaced it, look again.
      if (mtime === undefined) continue;
      const ageMs = now() - mtime;
      if (ageMs < options.windowMs)
        return { duplicate: true, ageMs: Math.max(0, ageMs), release: noop, settle: noop };
    }
    const next = (newest ?? -1) + 1;
    const file = path.join(options.dir, markerName(key, next));
    if (!(await createExclusive(file))) continue;
    await removeOlderGenerations(options.dir, names, key, next);
    const prune = () => pruneDaily(options.dir, now()).catch(() => undefined);
    return {
      duplicate: false,
      release: async () => {
        await unlink(file).catch(() => undefined);
        await prune();
      },
      settle: async () => {
        const at = new Date(now());
        await utimes(file, at, at).catch(() => undefined);
        await prune();
      },
    };
  }
  // Dozens of processes racing for one number: dial rather than drop the click.
  return { duplicate: false, release: noop, settle: noop };
}

function markerKey(identity: ClaimOptions["identity"]): string {
  const text = `${identity.pbx ?? ""}\n${identity.extension ?? ""}\n${identity.dial}`;
  return createHash("sha256").update(text, "utf8").digest("hex").slice(0, 32);
}

function markerName(key: string, generation: number): string {
  return `${key}.${generation}`;
}

function generationOf(name: string, key: string): number | undefined {
  if (!name.startsWith(`${key}.`)) return undefined;
  const suffix = name.slice(key.length + 1);
  return /^\d{1,15}$/.test(suffix) ? Number(suffix) : undefined;
}

function newestGeneration(names: readonly string[], key: string): number | undefined {
  let newest: number | undefined;
  for (const name of names) {
    const generation = generationOf(name, key);
    if (generation !== undefined && (newest === undefined || generation > newest))
      newest = generation;
  }
  return newest;
}

async function mtimeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mtimeMs;
  } catch (error) {
    if (isErrnoCode(error, "ENOENT")) return undefined;
    throw error;
  }
}

/** True when this process created the file; false when it already existed. */
async function createExclusive(file: string): Promise<boolean> {
  try {
    const handle = await open(file, "wx", 0o600);
    await handle.close();
    return true;
  } catch (error) {
    if (isErrnoCode(error, "EEXIST")) return false;
    throw error;
  }
}

/** This number's older generations: the newest one is the record. */
async function removeOlderGenerations(
  dir: string,
  names: readonly string[],
  key: string,
  current: number,
): Promise<void> {
  for (const name of names) {
    const generation = generationOf(name, key);
    if (generation !== undefined && generation < current) {
      await unlink(path.join(dir, name)).catch(() => undefined);
    }
  }
}

/** Other numbers' markers not touched for a week, looked for at most once a day. */
async function pruneDaily(dir: string, now: number): Promise<void> {
  const stamp = path.join(dir, PRUNED_STAMP);
  const last = await mtimeOf(stamp);
  if (last !== undefined && now - last < PRUNE_EVERY_MS) return;
  // Stamped first: processes that finish together do not all prune.
  if (last === undefined) await createExclusive(stamp).catch(() => undefined);
  const at = new Date(now);
  await utimes(stamp, at, at);
  const names = (await readdir(dir)).filter((name) => name !== PRUNED_STAMP);
  await Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name);
      const mtime = await mtimeOf(file).catch(() => undefined);
      if (mtime !== undefined && now - mtime > PRUNE_AFTER_MS)
        await unlink(file).catch(() => undefined);
    }),
  );
}
