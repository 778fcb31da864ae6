import { mkdtemp, readdir, rm, stat, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { claimDial, recentDialsDir } from "./dial-dedupe.js";

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function stateDir(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "dial3cx-dedupe-"));
  roots.push(root);
  return path.join(root, "state");
}

const identity = { pbx: "https://pbx.example.com", extension: "100", dial: "004930123456" };

describe("claimDial", () => {
  it("lets the first claim dial and calls the second within the window a duplicate", async () => {
    const dir = recentDialsDir(await stateDir());
    const first = await claimDial({ dir, identity, windowMs: 3000 });
    const second = await claimDial({ dir, identity, windowMs: 3000 });
    expect(first.duplicate).toBe(false);
    expect(second).toMatchObject({ duplicate: true, ageMs: expect.any(Number) });
    expect(second.ageMs).toBeLessThan(3000);
  });

  it("the window runs from the outcome (settle), not from the claim", async () => {
    const dir = recentDialsDir(await stateDir());
    let clock = 1_000_000_000_000;
    const now = () => clock;
    const first = await claimDial({ dir, identity, windowMs: 3000, now });
    // Back-date the claim as if the click came 5 s ago; the slow PBX answered only now.
    const clicked = new Date(clock - 5000);
    const [marker] = await readdir(dir);
    await utimes(path.join(dir, marker!), clicked, clicked);
    await first.settle();
    clock += 1000;
    const retry = await claimDial({ dir, identity, windowMs: 3000, now });
    expect(retry.duplicate).toBe(true);
  });

  it("exactly one of many simultaneous claims dials", async () => {
    const dir = recentDialsDir(await stateDir());
    const claims = await Promise.all(
      Array.from({ length: 25 }, () => claimDial({ dir, identity, windowMs: 3000 })),
    );
    expect(claims.filter((c) => !c.duplicate)).toHaveLength(1);
  });

  it("exactly one dials when they all find the last dial stale", async () => {
    const dir = recentDialsDir(await stateDir());
    await claimDial({ dir, identity, windowMs: 3000 });
    const [marker] = await readdir(dir);
    const old = new Date(Date.now() - 60_000);
    await utimes(path.join(dir, marker!), old, old);
    const claims = await Promise.all(
      Array.from({ length: 25 }, () => claimDial({ dir, identity, windowMs: 3000 })),
    );
    expect(claims.filter((c) => !c.duplicate)).toHaveLength(1);
    // The stale generation is gone, the new one stays.
    expect(await readdir(dir)).toHaveLength(1);
  });

  it("dials again once the window has passed", async () => {
    const dir = recentDialsDir(await stateDir());
    let now = Date.now();
    await claimDial({ dir, identity, windowMs: 3000, now: () => now });
    now += 2900;
    expect((await claimDial({ dir, identity, windowMs: 3000, now: () => now })).duplicate).toBe(
      true,
    );
    now += 200;
    expect((await claimDial({ dir, identity, windowMs: 3000, now: () => now })).duplicate).toBe(
      false,
    );
  });

  it("a released claim (call not placed) does not block the next click", async () => {
    const dir = recentDialsDir(await stateDir());
    const first = await claimDial({ dir, identity, windowMs: 3000 });
    await first.release();
    expect((await claimDial({ dir, identity, windowMs: 3000 })).duplicate).toBe(false);
  });

  it("tells numbers, extensions and PBXs apart", async () => {
    const dir = recentDialsDir(await stateDir());
    await claimDial({ dir, identity, windowMs: 3000 });
    for (const other of [
      { ...identity, dial: "004930123457" },
      { ...identity, extension: "101" },
      { ...identity, pbx: "https://other.example.com" },
    ]) {
      expect((await claimDial({ dir, identity: other, windowMs: 3000 })).duplicate).toBe(false);
    }
  });

  it("a window of 0 turns deduplication off and writes nothing", async () => {
    const state = await stateDir();
    const dir = recentDialsDir(state);
    for (let i = 0; i < 2; i++) {
      expect((await claimDial({ dir, identity, windowMs: 0 })).duplicate).toBe(false);
    }
    await expect(stat(dir)).rejects.toThrow(/ENOENT/);
  });

  it("keeps the record private and the number out of it", async () => {
    const dir = recentDialsDir(await stateDir());
    await claimDial({ dir, identity, windowMs: 3000 });
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const names = await readdir(dir);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^[0-9a-f]{32}\.0$/);
    // With the outcome, the prune stamp: empty and private too.
    await (await claimDial({ dir, identity: { ...identity, dial: "5" }, windowMs: 3000 })).settle();
    expect((await stat(path.join(dir, ".pruned"))).mode & 0o777).toBe(0o600);
    expect(names[0]).not.toContain("30123456");
    expect((await stat(path.join(dir, names[0]!))).mode & 0o777).toBe(0o600);
  });

  it("prunes other numbers' markers after a week, not before", async () => {
    const dir = recentDialsDir(await stateDir());
    await claimDial({ dir, identity: { ...identity, dial: "111111" }, windowMs: 3000 });
    await claimDial({ dir, identity: { ...identity, dial: "222222" }, windowMs: 3000 });
    const [a, b] = (await readdir(dir)).map((name) => path.join(dir, name));
    const eightDays = new Date(Date.now() - 8 * 24 * 3600_000);
    const sixDays = new Date(Date.now() - 6 * 24 * 3600_000);
    await utimes(a!, eightDays, eightDays);
    await utimes(b!, sixDays, sixDays);
    // Pruned once the outcome is known, not on the way to the call.
    const claim = await claimDial({ dir, identity, windowMs: 3000 });
    expect(await readdir(dir)).toHaveLength(3);
    await claim.settle();
    const left = (await readdir(dir)).map((name) => path.join(dir, name));
    expect(left).not.toContain(a);
    expect(left).toContain(b);
    expect(left.filter((file) => !file.endsWith(".pruned"))).toHaveLength(2);
  });

  it("looks for old markers at most once a day, however many numbers were dialled", async () => {
    const dir = recentDialsDir(await stateDir());
    let now = Date.now();
    const clock = () => now;
    const dial = async (number: string) => {
      const claim = await claimDial({
        dir,
        identity: { ...identity, dial: number },
        windowMs: 3000,
        now: clock,
      });
      await claim.settle();
    };
    for (let i = 0; i < 50; i++) await dial(String(1000 + i));
    const markers = async () => (await readdir(dir)).filter((name) => !name.startsWith("."));
    const old = new Date(now - 8 * 24 * 3600_000);
    for (const name of await markers()) await utimes(path.join(dir, name), old, old);
    // Pruned today already (by the first settle): the week-old markers stay for now.
    await dial("2000");
    expect(await markers()).toHaveLength(51);
    now += 25 * 3600_000;
    await dial("2001");
    // A day later: only the markers of the last two dials are left.
    expect(await markers()).toHaveLength(2);
  });
});
