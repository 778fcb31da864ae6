// The man page: generated from the commander definitions of the built CLI at build time, one
// section per command with its own help text, the exit codes as README says them, and installed
// through package.json's `man`.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "vitest";
// @ts-expect-error: a plain .mjs build script without types
import { buildMan } from "../scripts/build-man.mjs";
import { cliBin } from "./cli-helpers.js";

describe("dial3cx.1", () => {
  test("has every command's help, the exit codes, and renders cleanly", async ({
    expect,
    onTestFinished,
  }) => {
    const dir = await mkdtemp(join(tmpdir(), "dial3cx-man-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const page = (buildMan as (out: string, bin: string) => string)(
      join(dir, "dial3cx.1"),
      await cliBin(),
    );
    const text = await readFile(page, "utf8");
    expect(text).toMatch(/^\.TH DIAL3CX 1 /);
    const sections = [...text.matchAll(/^\.SS "dial3cx ([^"]+)"$/gm)].map((m) => m[1]);
    expect(sections).toEqual([
      "call",
      "devices",
      "status",
      "watch",
      "hangup",
      "history",
      "callback",
      "login",
      "logout",
      "handler",
      "serve",
      "doctor",
      "sim",
      "open",
      "contacts search",
      "pick",
      "mcp",
      "completion",
      "demo",
    ]);
    expect(text).toContain("--show-webhook-secret");
    expect(text).not.toContain("--webhook <url");
    expect(text).toMatch(/\.SH EXIT STATUS\n0 success · 1 nothing found/);
    if (existsSync("/usr/bin/groff")) {
      const rendered = execFileSync("groff", ["-man", "-Tutf8", "-ww", page], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      expect(rendered).toContain("dial3cx call");
    }
  });

  test("package.json installs it from where the build writes it", ({ expect }) => {
    const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(manifest.man).toBe("./dist/man/dial3cx.1");
    expect(manifest.files).toContain("dist");
    const build = readFileSync(new URL("../scripts/build.mjs", import.meta.url), "utf8");
    expect(build).toMatch(/buildMan\(\)/);
  });
});
