// The content script's marker on its own, in a real Chromium page (no extension: marker.ts is
// bundled with esbuild and run in the page). What these pin: the marker asks for the user's
// selection once per selection change, not once per text node (Chromium lays the page out to
// answer getSelection after our insertions: that was most of the marking cost), text under a
// selection is left alone until the selection goes away, and a batch ends at its time budget
// even when the page is one long run of numbers. Without Chromium: skipped locally, fails in CI
// (extension.browser.test.ts says so).
import { existsSync } from "node:fs";
import { build } from "esbuild";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CHROMIUM = process.env.DIAL3CX_CHROMIUM ?? "/usr/bin/chromium";
const SOON = { timeout: 20_000, interval: 100 };

interface MarkerHarness {
  start(region: string): void;
  stop(): void;
  idle: number;
  /** How many numbers each batch marked. */
  batches: number[];
  selectionReads: number;
}

declare global {
  interface Window {
    dial3cxMarker: MarkerHarness;
  }
}

/** marker.ts in the page, with a count of the page's getSelection calls. */
async function harness(): Promise<string> {
  const out = await build({
    stdin: {
      contents: `
        import { NumberMarker } from "./src/marker.ts";
        const read = Document.prototype.getSelection;
        let marker;
        const h = {
          idle: 0, batches: [], selectionReads: 0,
          start(region) {
            marker = new NumberMarker(document, {
              region,
              onBatch: (ms, marked) => h.batches.push(marked),
              onIdle: () => { h.idle += 1; },
            });
            marker.start();
          },
          stop() { marker.stop(); },
        };
        Document.prototype.getSelection = function () { h.selectionReads += 1; return read.call(this); };
        window.dial3cxMarker = h;`,
      resolveDir: new URL(".", import.meta.url).pathname,
      loader: "ts",
    },
    bundle: true,
    format: "iife",
    write: false,
    logLevel: "warning",
  });
  return out.outputFiles[0]!.text;
}

describe.skipIf(!existsSync(CHROMIUM))("the number marker in Chromium", { timeout: 60_000 }, () => {
  let browser: Browser;
  let script: string;

  beforeAll(async () => {
    script = await harness();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless=new", "--no-sandbox", "--disable-gpu"],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  async function page(body: string): Promise<Page> {
    const tab = await browser.newPage();
    await tab.setContent(`<!doctype html><html><body>${body}</body></html>`);
    await tab.addScriptTag({ content: script });
    return tab;
  }

  it("reads the selection once, not once per number it marks", async () => {
    const rows = Array.from({ length: 300 }, (_, i) => `<p>Tel. +49 30 ${1000000 + i}</p>`);
    const tab = await page(rows.join(""));
    await tab.evaluate(() => window.dial3cxMarker.start("DE"));
    await expect.poll(() => tab.evaluate(() => window.dial3cxMarker.idle), SOON).toBe(1);
    expect(await tab.locator(".dial3cx-number").count()).toBe(300);
    expect(await tab.evaluate(() => window.dial3cxMarker.selectionReads)).toBeLessThanOrEqual(1);
    await tab.close();
  });

  it("leaves text under the user's selection alone until the selection goes away", async () => {
    const tab = await page(`<p id="a">Tel. +49 30 123456</p><div id="later"></div>`);
    await tab.evaluate(() => window.dial3cxMarker.start("DE"));
    await expect.poll(() => tab.locator("#a .dial3cx-number").count(), SOON).toBe(1);
    // The user selects across the place where the page then adds a number.
    await tab.evaluate(() => {
      const later = document.getElementById("later")!;
      later.textContent = "Neu: +49 89 1234567";
      getSelection()!.selectAllChildren(later);
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await tab.locator("#later .dial3cx-number").count()).toBe(0);
    expect(await tab.evaluate(() => getSelection()!.toString())).toBe("Neu: +49 89 1234567");
    await tab.evaluate(() => getSelection()!.removeAllRanges());
    await expect.poll(() => tab.locator("#later .dial3cx-number").count(), SOON).toBe(1);
    await tab.close();
  });

  it("ends a batch at its budget even on one long run of numbers", async () => {
    // One text node of 2,000 numbers: marking it all at once would be one long task.
    const line = Array.from({ length: 2000 }, (_, i) => `Tel. +49 30 ${1000000 + i}`).join("; ");
    const tab = await page(`<p id="long">${line}</p>`);
    await tab.evaluate(() => window.dial3cxMarker.start("DE"));
    await expect.poll(() => tab.evaluate(() => window.dial3cxMarker.idle), SOON).toBe(1);
    expect(await tab.locator("#long .dial3cx-number").count()).toBe(2000);
    const batches = await tab.evaluate(() => window.dial3cxMarker.batches);
    expect(Math.max(...batches)).toBeLessThan(2000);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(2000);
    expect(await tab.locator("#long").textContent()).toBe(line);
    await tab.close();
  });
});
