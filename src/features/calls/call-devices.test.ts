import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  CALL_DEVICE_MAX_AGE_MS,
  callDevicesFile,
  loadCallDevices,
  recordCallDevice,
} from "./call-devices.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function stateFile(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "dial3cx-call-devices-"));
  dirs.push(dir);
  // A state directory not made yet: the first record makes it.
  return callDevicesFile(path.join(dir, "state", "dial3cx"));
}

const account = { pbx: "https://pbx.example.com:5001", extension: "100" };
const outgoing = (id: string, number: string) => ({ id, number, incoming: false });

describe("call devices", () => {
  it("records a call's device in an owner-only file and finds it by id", async () => {
    const file = await stateFile();
    await recordCallDevice(file, {
      account,
      id: "7",
      dial: "004930123456",
      device: "Yealink T46S",
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    // The number is not kept in clear.
    expect(await readFile(file, "utf8")).not.toMatch(/123456/);
    const deviceOf = await loadCallDevices(file, account);
    expect(deviceOf(outgoing("7", "004930123456"))).toBe("Yealink T46S");
    expect(deviceOf(outgoing("8", "0301111111"))).toBeUndefined();
  });

  it("without an id, matches an outgoing call by the last 8 digits of its number", async () => {
    const file = await stateFile();
    await recordCallDevice(file, { account, id: null, dial: "004930123456", device: "3CX app" });
    const deviceOf = await loadCallDevices(file, account);
    for (const shown of ["004930123456", "+49 30 123456", "030123456"]) {
      expect(deviceOf(outgoing("1", shown))).toBe("3CX app");
    }
    expect(deviceOf(outgoing("1", "004930123457"))).toBeUndefined();
    expect(deviceOf({ id: "1", number: "004930123456", incoming: true })).toBeUndefined();
    // Another extension's or PBX's calls are not ours.
    expect(
      (await loadCallDevices(file, { ...account, extension: "101" }))(outgoing("1", "030123456")),
    ).toBeUndefined();
    expect(
      (await loadCallDevices(file, { ...account, pbx: "https://other" }))(
        outgoing("1", "030123456"),
      ),
    ).toBeUndefined();
  });

  it("an id line wins over a later number line; the newest number line wins", async () => {
    const file = await stateFile();
    await recordCallDevice(file, { account, id: "5", dial: "123", device: "Desk" });
    await recordCallDevice(file, { account, id: null, dial: "123", device: "Softphone" });
    await recordCallDevice(file, { account, id: null, dial: "124", device: "Old" });
    await recordCallDevice(file, { account, id: null, dial: "124", device: "New" });
    const deviceOf = await loadCallDevices(file, account);
    expect(deviceOf(outgoing("5", "123"))).toBe("Desk");
    expect(deviceOf(outgoing("6", "123"))).toBe("Softphone");
    expect(deviceOf(outgoing("9", "124"))).toBe("New");
    // A call whose number has no digits is never matched by number.
    await recordCallDevice(file, { account, id: null, dial: "*", device: "Star" });
    expect((await loadCallDevices(file, account))(outgoing("3", "anonymous"))).toBeUndefined();
  });

  it("forgets lines after 12 hours and keeps at most 100 once over 200, skipping garbage", async () => {
    const file = await stateFile();
    const now = Date.now();
    await recordCallDevice(file, {
      account,
      id: "1",
      dial: "123",
      device: "Stale",
      now: now - CALL_DEVICE_MAX_AGE_MS - 1,
    });
    await writeFile(file, "not json\n{}\n", { flag: "a" });
    await recordCallDevice(file, { account, id: "2", dial: "123", device: "Fresh", now });
    const deviceOf = await loadCallDevices(file, account, now);
    expect(deviceOf(outgoing("1", "123"))).toBeUndefined();
    expect(deviceOf(outgoing("2", "123"))).toBe("Fresh");
    // The expired line is gone from the file, and the rewrite is owner-only too.
    expect((await readFile(file, "utf8")).trim().split("\n")).toHaveLength(1);
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    for (let i = 0; i < 201; i++) {
      await recordCallDevice(file, {
        account,
        id: String(100 + i),
        dial: "1",
        device: `D${i}`,
        now,
      });
    }
    const trimmed = await loadCallDevices(file, account, now);
    expect((await readFile(file, "utf8")).trim().split("\n")).toHaveLength(100);
    expect(trimmed(outgoing("300", "1"))).toBe("D200");
    expect(trimmed(outgoing("101", "1"))).toBe("D1"); // still in memory for this read
    expect((await loadCallDevices(file, account, now))(outgoing("101", "1"))).toBeUndefined();
  });

  it("never fails the call: a state directory that cannot be made records nothing", async () => {
    const file = await stateFile();
    await recordCallDevice(file, { account, id: "1", dial: "1", device: "A" });
    // The "directory" is a file: ENOTDIR even for root.
    const blocked = callDevicesFile(file);
    await expect(
      recordCallDevice(blocked, { account, id: "2", dial: "1", device: "B" }),
    ).resolves.toBeUndefined();
    expect((await loadCallDevices(blocked, account))(outgoing("2", "1"))).toBeUndefined();
  });
});
