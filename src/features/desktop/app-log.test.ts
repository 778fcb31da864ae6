import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LOG_ROTATE_BYTES, openAppLog } from "./app-log.js";

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function logFile(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "dial3cx-log-"));
  roots.push(root);
  return path.join(root, "state", "dial3cx", "dial3cx.log");
}

describe("openAppLog", () => {
  it("appends JSON lines to a 0600 file in a 0700 directory", async () => {
    const file = await logFile();
    for (const message of ["first", "second"]) {
      const log = await openAppLog(file);
      log.logger.info({ number: "+49 30 123456" }, message);
      await log.close();
    }
    const lines = (await readFile(file, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.msg)).toEqual(["first", "second"]);
    expect(lines[0]).toMatchObject({ name: "dial3cx", number: "+49 30 123456", pid: process.pid });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
  });

  it("tightens the mode of an existing file", async () => {
    const file = await logFile();
    await (await openAppLog(file)).close();
    await chmod(file, 0o644);
    const log = await openAppLog(file);
    await log.close();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("redacts fields named like secrets", async () => {
    const file = await logFile();
    const log = await openAppLog(file);
    log.logger.info(
      { password: "hunter2", token: "d3x_abc", nested: { authorization: "Bearer x", apiKey: "k" } },
      "secrets",
    );
    await log.close();
    const text = await readFile(file, "utf8");
    for (const secret of ["hunter2", "d3x_abc", "Bearer x", '"k"'])
      expect(text).not.toContain(secret);
    expect(JSON.parse(text)).toMatchObject({
      password: "[redacted]",
      nested: { apiKey: "[redacted]" },
    });
  });

  it("keeps one older generation once the file is large", async () => {
    const file = await logFile();
    await (await openAppLog(file)).close();
    await writeFile(file, `${"x".repeat(LOG_ROTATE_BYTES)}\n`);
    const log = await openAppLog(file);
    log.logger.info("fresh");
    await log.close();
    expect((await stat(`${file}.1`)).size).toBeGreaterThan(LOG_ROTATE_BYTES);
    expect(JSON.parse(await readFile(file, "utf8")).msg).toBe("fresh");
    expect((await stat(`${file}.1`)).mode & 0o777).toBe(0o600);
  });

  it("writes pino's line format: level, time, pid, name, the fields, msg", async () => {
    const file = await logFile();
    const log = await openAppLog(file);
    log.logger.warn("plain");
    log.logger.error({ code: "network", ms: 12 }, "failed");
    await log.close();
    const lines = (await readFile(file, "utf8")).trim().split("\n");
    const [plain, failed] = lines.map((l) => JSON.parse(l));
    expect(Object.keys(plain)).toEqual(["level", "time", "pid", "name", "msg"]);
    expect(plain).toMatchObject({ level: 40, pid: process.pid, name: "dial3cx", msg: "plain" });
    expect(Object.keys(failed)).toEqual(["level", "time", "pid", "name", "code", "ms", "msg"]);
    expect(failed.level).toBe(50);
    expect(Math.abs(failed.time - Date.now())).toBeLessThan(60_000);
  });
});
