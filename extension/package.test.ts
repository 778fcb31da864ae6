// What `npm run build` and `npm run package:extension` produce: one manifest per browser from one
// source (Chromium's service worker, Firefox's background scripts and gecko id), no remote code,
// a reproducible zip, and a Firefox build that `web-ext lint` passes without errors or warnings
// (offline: addons-linter ships its rules). Reads dist/extension as the suite's global setup
// built it, and never rewrites it (the browser test loads it at the same time).
import { readdirSync, readFileSync } from "node:fs";
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { lintExtension, zipDirectory } from "../scripts/package-extension.mjs";

const manifest = (target: string) =>
  JSON.parse(readFileSync(`dist/extension/${target}/manifest.json`, "utf8"));

describe("the built extension", { timeout: 180_000 }, () => {
  it("has one manifest per browser, version from package.json, no remote code", () => {
    const { version } = JSON.parse(readFileSync("package.json", "utf8"));
    const chromium = manifest("chromium");
    const firefox = manifest("firefox");
    expect(chromium).toMatchObject({
      manifest_version: 3,
      version,
      background: { service_worker: "background.js" },
    });
    expect(firefox).toMatchObject({
      manifest_version: 3,
      version,
      background: { scripts: ["background.js"] },
      browser_specific_settings: { gecko: { id: "dial3cx@dial3cx" } },
    });
    for (const m of [chromium, firefox]) {
      expect(m.content_security_policy).toBeUndefined();
      expect(m.externally_connectable).toBeUndefined();
      expect(m.web_accessible_resources).toBeUndefined();
    }
    for (const file of readdirSync("dist/extension/chromium").filter((f) => f.endsWith(".js"))) {
      const code = readFileSync(`dist/extension/chromium/${file}`, "utf8");
      expect(code, file).not.toMatch(/importScripts\(|<script[^>]+src=["']https?:/);
    }
  });

  it("zips reproducibly", () => {
    const first = zipDirectory("dist/extension/chromium");
    const second = zipDirectory("dist/extension/chromium");
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(true);
    const files = unzipSync(first);
    expect(Object.keys(files).sort()).toEqual(readdirSync("dist/extension/chromium").sort());
    expect(Buffer.from(files["manifest.json"]!).toString()).toBe(
      readFileSync("dist/extension/chromium/manifest.json", "utf8"),
    );
  });

  it("passes web-ext lint (Firefox build)", async () => {
    const report = await lintExtension("dist/extension/firefox");
    expect([...report.errors, ...report.warnings]).toEqual([]);
    expect(report.summary).toMatchObject({ errors: 0, warnings: 0 });
  });
});
