// End to end: `dial3cx open --confirm` on a desktop that cannot ask (no zenity, no kdialog, and
// no notification server that shows buttons) says so at once, instead of waiting a minute for an
// answer nobody can give; nothing is dialled.
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "vitest";
import { runCli, startSimAndHome } from "./cli-helpers.js";

describe.concurrent("open --confirm with no way to ask", () => {
  test("refuses at once, with a notification, and dials nothing", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home, env } = await startSimAndHome(onTestFinished);
    // A notify-send that shows plain notifications, and hangs when asked for buttons (as with
    // no notification server that has them). The harness has no session bus.
    const bin = join(home.dir, "bin");
    await mkdir(bin);
    const log = join(home.dir, "notify-send.log");
    const script = [
      "#!/bin/sh",
      `printf '%s\\n' "$*" >> '${log}'`,
      'case "$*" in *--action*) command -p sleep 30 </dev/null >/dev/null 2>&1;; esac',
      "exit 0",
      "",
    ].join("\n");
    await writeFile(join(bin, "notify-send"), script);
    await chmod(join(bin, "notify-send"), 0o755);
    const started = Date.now();
    const run = await runCli(["open", "--confirm", "tel:+49-30-123456"], {
      env: { ...env, PATH: bin },
      timeoutMs: 20_000,
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(run).toMatchObject({
      code: 1,
      stdout:
        "Not calling +49 30 123456: cannot ask for confirmation (install zenity or kdialog, or turn confirm off)\n",
    });
    expect(await sim.requests()).toEqual([]);
  });
});
