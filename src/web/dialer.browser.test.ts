// The dialer page in a real browser: playwright-core drives Debian's Chromium (never a downloaded
// one) against the simulator and a gateway on loopback. Token once, dial, watch the call go from
// dialing to connected, hang up, see it end; errors inline; contact search; and a cross-site form
// POST or no-cors fetch from another origin that must not place a call. Saves screenshots under
// test-artifacts/. Without Chromium the suite fails in CI and is skipped (with a note) elsewhere.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { http, startTestGateway, type TestGateway } from "../gateway/testing.js";

const CHROMIUM = process.env.DIAL3CX_CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
const NUMBER = "+49 30 123456";
/** For expect.poll: generous, as the suite runs beside many others. */
const SOON = { timeout: 10_000 };

const chromiumMissing = !existsSync(CHROMIUM);
if (chromiumMissing && !process.env.CI) {
  console.warn(
    `dialer.browser.test: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium, or set DIAL3CX_CHROMIUM).`,
  );
}

if (chromiumMissing && process.env.CI) {
  describe("the dialer page in CI", () => {
    it("needs Chromium", () => {
      throw new Error(
        `Chromium is required for the dialer page test and is not at ${CHROMIUM}: install Debian's chromium package (.ci/run does), or set DIAL3CX_CHROMIUM.`,
      );
    });
  });
}

describe.skipIf(chromiumMissing)("the dialer page in Chromium", { timeout: 60_000 }, () => {
  let env: TestGateway;
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    // Long enough to see "dialing" before the far end answers.
    env = await startTestGateway({ sim: { answerAfterMs: 2000 } });
    profile = await mkdtemp(path.join(tmpdir(), "dial3cx-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 960, height: 640 },
    });
    await mkdir(ARTIFACTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await env?.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await http(env.sim.url, "POST", "/__sim/reset");
  });

  /** A page of the gateway with the token already entered. */
  async function signedInPage(): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${env.gateway.url}/`);
    if (await page.locator("#token-view").isVisible()) {
      await page.getByLabel("API token").fill(await env.token());
      await page.getByRole("button", { name: "Save token" }).click();
    }
    await expect.poll(() => page.locator("#live").textContent(), SOON).toBe("Live");
    return page;
  }

  it("asks for the token once, places a call, follows it live and hangs it up", async () => {
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      // The wrong token below is answered 401 on purpose; Chromium logs that as an error.
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
        pageErrors.push(message.text());
      }
    });
    await page.goto(`${env.gateway.url}/`);

    await expect.poll(() => page.locator("#token-view").isVisible(), SOON).toBe(true);
    await page.getByLabel("API token").fill("not-the-token");
    await page.getByRole("button", { name: "Save token" }).click();
    await expect.poll(() => page.locator("#token-error").textContent(), SOON).toMatch(/not accept/);

    await page.getByLabel("API token").fill(await env.token());
    await page.getByRole("button", { name: "Save token" }).click();
    await expect
      .poll(() => page.locator("#who").textContent(), SOON)
      .toBe("Extension 100 · Erika Mustermann");
    await expect.poll(() => page.locator("#live").textContent(), SOON).toBe("Live");
    const deviceNames = await page.locator("#device option").allTextContents();
    expect(deviceNames[0]).toBe("Default device");
    expect(deviceNames.length).toBe(3);

    await page.getByLabel("Number", { exact: true }).fill(NUMBER);
    await page.getByRole("button", { name: "Call", exact: true }).click();
    const row = page.locator("li.call").first();
    await expect.poll(() => row.getAttribute("data-state"), SOON).toBe("dialing");
    expect(await row.locator(".call-name").textContent()).toBe("Ada Lovelace");
    // The event stream may show the call (with the dialled digits, 004930123456) before the
    // POST answer says how it was typed; the row then takes that form.
    await expect.poll(() => row.locator(".call-number").textContent(), SOON).toBe(NUMBER);
    await expect.poll(() => row.getAttribute("data-state"), SOON).toBe("connected");
    expect(await row.locator(".state").textContent()).toBe("connected");
    await page.screenshot({ path: path.join(ARTIFACTS, "dialer.png") });
    // A wide window puts the calls beside the dial box.
    const dialBox = (await page.locator(".dial-card").boundingBox())!;
    const callsBox = (await page.locator(".calls-card").boundingBox())!;
    expect(callsBox.x).toBeGreaterThanOrEqual(dialBox.x + dialBox.width);

    await row.getByRole("button", { name: /Hang up/ }).click();
    await expect.poll(() => row.getAttribute("data-state"), SOON).toBe("ended");
    expect(await row.getByRole("button", { name: /Hang up/ }).count()).toBe(0);

    const simCalls = await env.simCalls();
    expect(simCalls).toHaveLength(1);
    expect(simCalls[0]).toMatchObject({ extension: "100", destination: "004930123456" });
    expect(simCalls[0]!.state).not.toMatch(/dialing|connected/);
    expect(pageErrors).toEqual([]);

    // The token was kept: a new page goes straight to the dialer.
    await page.reload();
    await expect.poll(() => page.locator("#dialer-view").isVisible(), SOON).toBe(true);
    expect(await page.locator("#token-view").isVisible()).toBe(false);
    await page.close();
  });

  it("shows the gateway's own message for a number it cannot dial, next to the box", async () => {
    const page = await signedInPage();
    const expected = await env.call("POST", "/v1/calls", { body: { to: "hello" } });
    expect(expected.status).toBe(400);

    await page.getByLabel("Number", { exact: true }).fill("hello");
    await page.getByRole("button", { name: "Call", exact: true }).click();
    await expect
      .poll(() => page.locator("#dial-error").textContent(), SOON)
      .toBe(expected.json.error.message);
    expect(await page.locator("#dial-error").getAttribute("role")).toBe("alert");
    expect(await env.simCalls()).toEqual([]);
    await page.close();
  });

  it("searches contacts and puts the chosen number in the dial box", async () => {
    const page = await signedInPage();
    await page.getByLabel("Search by name or number").fill("lovelace");
    const first = page.locator("#contacts button.contact").first();
    await expect
      .poll(() => first.locator(".contact-name").textContent(), SOON)
      .toBe("Ada Lovelace");
    await first.click();
    expect(await page.getByLabel("Number", { exact: true }).inputValue()).toMatch(
      /^\+?[\d ]*30 ?123456$/,
    );
    // Page code as a string: this file is type-checked without the DOM library.
    expect(await page.evaluate("document.activeElement?.id")).toBe("number");
    await page.screenshot({ path: path.join(ARTIFACTS, "dialer-contacts.png") });
    await page.close();
  });

  it("fits a narrow window", async () => {
    const page = await signedInPage();
    await page.setViewportSize({ width: 360, height: 720 });
    await page.getByLabel("Number", { exact: true }).fill("0171 2345678");
    await page.getByRole("button", { name: "Call", exact: true }).click();
    await expect.poll(() => page.locator("li.call").count(), SOON).toBe(1);
    const overflow = await page.evaluate(
      "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    );
    expect(overflow).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, "dialer-narrow.png"), fullPage: true });
    await page.getByRole("button", { name: /Hang up/ }).click();
    await expect.poll(() => page.locator("li.call").getAttribute("data-state"), SOON).toBe("ended");
    await page.close();
  });

  it("places no call for a cross-site form POST or no-cors fetch from another origin", async () => {
    const target = `${env.gateway.url}/v1/calls`;
    const logsBefore = env.logs.length;
    const attacker = await serveAttackerPage(target);
    try {
      const page = await context.newPage();
      await page.goto(attacker.url);
      // The form navigates the page to the gateway's answer once the fetch has settled.
      await page.waitForURL(target, { timeout: 10_000 });
      expect(await page.evaluate("document.body.textContent")).toContain("forbidden_origin");
      await page.close();
    } finally {
      await attacker.close();
    }
    // Both requests reached the gateway and were refused before anything ran.
    const refused = env.logs
      .slice(logsBefore)
      .map((line) => JSON.parse(line) as { method?: string; path?: string; status?: number })
      .filter((entry) => entry.method === "POST" && entry.path === "/v1/calls");
    expect(refused.map((entry) => entry.status)).toEqual([403, 403]);
    expect(await env.simCalls()).toEqual([]);
  });

  it("shows an incoming call with the caller's name, and missed ones with Call back", async () => {
    const page = await signedInPage();
    const ring = async (body: Record<string, unknown>) =>
      (await http(env.sim.url, "POST", "/__sim/calls", { body: { to: "100", ...body } })).json as {
        id: number;
      };
    // From a number in the PBX phone book: the row names the caller while it rings.
    const { id } = await ring({ from: "+44 20 7946 0958" });
    const row = page.locator(`li.call[data-call-id="${id}"]`);
    await expect.poll(() => row.getAttribute("data-state"), SOON).toBe("ringing");
    await expect.poll(() => row.locator(".call-name").textContent(), SOON).toBe("Charles Babbage");
    expect(await row.locator(".call-direction").textContent()).toBe("incoming");
    await page.screenshot({ path: path.join(ARTIFACTS, "dialer-incoming.png") });
    await http(env.sim.url, "POST", `/__sim/calls/${id}/hangup`);

    // Missed: one from a number (Call back), one from "anonymous" (no button).
    await ring({ from: "anonymous", hangupAfter: 10 });
    const missed = page.locator("#missed li");
    await expect.poll(() => missed.count(), SOON).toBe(2);
    const [newest, older] = [missed.nth(0), missed.nth(1)];
    expect(await newest.locator(".call-name").textContent()).toBe("anonymous");
    expect(await newest.locator("button").count()).toBe(0);
    expect(await older.locator(".call-name").textContent()).toBe("Charles Babbage");
    expect(await older.locator(".call-number").textContent()).toBe("+44 20 7946 0958");
    await page.screenshot({ path: path.join(ARTIFACTS, "dialer-missed.png") });

    await older.getByRole("button", { name: "Call back Charles Babbage" }).click();
    await expect
      .poll(async () => (await env.simCalls()).filter((c) => !("incoming" in c)), SOON)
      .toEqual([expect.objectContaining({ destination: "00442079460958", state: "dialing" })]);
    await expect.poll(() => page.locator("#dial-note").textContent(), SOON).toMatch(/^Calling /);
    await page.close();
  });
});

/**
 * A page on another origin (another loopback port) that fires a no-cors fetch and then submits
 * a text/plain form whose body looks like JSON: the classic CSRF tricks against a local API.
 */
async function serveAttackerPage(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const html = `<!doctype html><html><body>
<form id="f" method="POST" action="${target}" enctype="text/plain">
<input type="hidden" name='{"to":"+4930999999","x":"' value='"}'>
</form>
<script>
fetch(${JSON.stringify(target)}, {
  method: "POST", mode: "no-cors", headers: {"content-type": "text/plain"},
  body: JSON.stringify({to: "+4930999998"})
}).catch(() => undefined).finally(() => document.getElementById("f").submit());
</script></body></html>`;
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
