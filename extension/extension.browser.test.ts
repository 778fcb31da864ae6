// The browser extension in a real Chromium (Debian's, driven by playwright-core, never a
// downloaded one), loaded unpacked from dist/extension/chromium, against `dial3cx serve` (run as
// the CLI runs it, with --allow-extension <id>) on the simulator. Numbers on a local page are
// marked exactly where they should be; a click places exactly one call with the right digits
// and shows its states; the context menu's handler, the popup and the options page's Test work;
// a wrong token and a stopped gateway say so; and a page's own script can neither read the
// token nor place a call through the extension. Without Chromium: skipped locally, fails in CI.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Page, type Worker } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runServe } from "../src/cli/commands/serve.js";
import type { Io } from "../src/cli/context.js";
import { readTokens, tokensFile } from "../src/features/settings/gateway-tokens.js";
import { memoryStore } from "../src/features/settings/secrets.js";
import type { Gateway } from "../src/gateway/index.js";
import { http, type SimCall, tempHome } from "../src/gateway/testing.js";
import {
  defaultScenario,
  parseScenario,
  type Simulator,
  startSimulator,
} from "../src/sim/index.js";

const CHROMIUM = process.env.DIAL3CX_CHROMIUM ?? "/usr/bin/chromium";
const EXTENSION_DIR = fileURLToPath(new URL("../dist/extension/chromium", import.meta.url));
/** Generous: two cores shared with the rest of the suite. */
const SOON = { timeout: 20_000, interval: 100 };

const chromiumMissing = !existsSync(CHROMIUM);
if (chromiumMissing && !process.env.CI) {
  console.warn(`extension.browser.test: skipped, no Chromium at ${CHROMIUM}.`);
}
if (chromiumMissing && process.env.CI) {
  describe("the browser extension in CI", () => {
    it("needs Chromium", () => {
      throw new Error(`Chromium is required for the extension test and is not at ${CHROMIUM}.`);
    });
  });
}

const PAGE = `<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>CRM</title></head>
<body>
  <p id="para">Ruf uns an: +49 30 123456, heute.</p>
  <table><tr><td>Büro</td><td id="cell">030 7654321</td></tr></table>
  <ul><li id="item">Mobil +49 171 1234567</li></ul>
  <input id="input" value="+49 30 111111">
  <textarea id="textarea">+49 30 222222</textarea>
  <div id="editable" contenteditable="true">+49 30 333333</div>
  <code id="code">+49 30 444444</code>
  <pre id="pre">+49 30 555555</pre>
  <a id="link" href="/elsewhere">+49 30 666666</a>
  <a id="tel" href="tel:+49-30-8888888">Hotline</a>
  <p id="bad">Datum 2024-01-15, IBAN DE89 3704 0044 0532 0130 00, Bestellnummer 2024-000123, Version 20.0.8</p>
  <div id="later"></div>
  <script>
    setTimeout(() => {
      const p = document.createElement("p");
      p.id = "dynamic";
      p.textContent = "Neu: +49 89 1234567";
      document.getElementById("later").append(p);
    }, 400);
  </script>
</body></html>`;

/** What the service worker exposes for this test: the context menu's click handler. */
interface MenuHooks {
  onMenuClick: (info: { menuItemId: string; selectionText: string }) => Promise<unknown>;
  menuId: string;
}

interface Serve {
  gateway: Gateway;
  token: string;
  log: () => string;
  stop: () => Promise<void>;
}

/** `dial3cx serve` as the CLI runs it, in a throw-away home, on the simulator. */
async function serve(sim: Simulator, allowExtension: string[]): Promise<Serve> {
  const home = await tempHome({ DIAL3CX_PBX: sim.url, DIAL3CX_EXTENSION: "100" });
  const err: string[] = [];
  const stderr = new PassThrough();
  stderr.on("data", (chunk: Buffer) => err.push(chunk.toString()));
  const io: Io = { stdout: new PassThrough(), stderr, stdin: new PassThrough(), env: home.env };
  const stop = new AbortController();
  let ready!: (gateway: Gateway) => void;
  const started = new Promise<Gateway>((resolve) => {
    ready = resolve;
  });
  const exit = runServe({ listen: "127.0.0.1:0", socket: false, allowExtension }, io, {
    signal: stop.signal,
    store: memoryStore(),
    onReady: ready,
  });
  const gateway = await Promise.race([
    started,
    exit.then(() => {
      throw new Error(`dial3cx serve ended: ${err.join("")}`);
    }),
  ]);
  const token = (await readTokens(tokensFile(home.paths))).get("100")!;
  return {
    gateway,
    token,
    log: () => err.join(""),
    stop: async () => {
      stop.abort();
      await exit;
      await home.remove();
    },
  };
}

describe.skipIf(chromiumMissing)("the browser extension in Chromium", { timeout: 120_000 }, () => {
  let sim: Simulator;
  let main: Serve;
  let context: BrowserContext;
  let worker: Worker;
  let extensionId: string;
  let profile: string;
  let pages: Server;
  let pagesUrl: string;

  let mainStopped = false;
  const simCalls = async () => (await http(sim.url, "GET", "/__sim/calls")).json as SimCall[];
  const posts = () => (main.log().match(/"method":"POST","path":"\/v1\/calls"/g) ?? []).length;

  beforeAll(async () => {
    profile = await mkdtemp(path.join(tmpdir(), "dial3cx-ext-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--disable-extensions-except=${EXTENSION_DIR}`,
        `--load-extension=${EXTENSION_DIR}`,
      ],
    });
    worker =
      context.serviceWorkers()[0] ??
      (await context.waitForEvent("serviceworker", { timeout: 60_000 }));
    extensionId = new URL(worker.url()).host;
    // The far end answers after 1.5 s, so a click shows "dialing" before "connected".
    // The history the popup shows: a missed call to call back, and an anonymous one (no button).
    const scenario = parseScenario({
      ...defaultScenario,
      history: [
        { extension: "100", kind: "missed", number: "+44 20 7946 0958", minutesAgo: 5 },
        { extension: "100", kind: "received", number: "anonymous", minutesAgo: 9 },
      ],
    });
    sim = await startSimulator({ port: 0, answerAfterMs: 1500, scenario });
    main = await serve(sim, [extensionId]);
    pages = createServer((request, response) => {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      const other: Record<string, string> = {
        "/forged": FORGED,
        "/frames": FRAMES,
        "/inner": INNER,
      };
      response.end(other[request.url ?? ""] ?? PAGE);
    });
    await new Promise<void>((resolve) => pages.listen(0, "127.0.0.1", resolve));
    pagesUrl = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;

    const options = await optionsPage();
    await options.getByLabel("Gateway URL").fill(main.gateway.url);
    await options.getByLabel("Token").fill(main.token);
    await options.getByLabel(/Region/).fill("DE");
    await options.getByRole("button", { name: "Save" }).click();
    await options.locator("#result", { hasText: "Saved." }).waitFor({ timeout: SOON.timeout });
    await options.close();
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (!mainStopped) await main?.stop();
    await sim?.stop();
    await new Promise((resolve) => (pages ? pages.close(resolve) : resolve(undefined)));
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  beforeEach(async () => {
    // Each test dials numbers of its own, so no dedupe window carries over.
    await http(sim.url, "POST", "/__sim/reset");
  });

  async function optionsPage(): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`chrome-extension://${extensionId}/options.html`);
    return page;
  }

  async function crmPage(): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${pagesUrl}/crm`);
    await expect.poll(() => page.locator("#dynamic .dial3cx-number").count(), SOON).toBe(1);
    return page;
  }

  it("marks exactly the numbers in text, also in content added later", async () => {
    const page = await crmPage();
    const marked = await page
      .locator(".dial3cx-number")
      .evaluateAll((spans) =>
        spans.map((s) => [s.parentElement?.id, s.textContent, s.getAttribute("aria-label")]),
      );
    expect(marked).toEqual([
      ["para", "+49 30 123456", "Call +49 30 123456"],
      ["cell", "030 7654321", "Call +49 30 7654321"],
      ["item", "+49 171 1234567", "Call +49 171 1234567"],
      ["dynamic", "+49 89 1234567", "Call +49 89 1234567"],
    ]);
    // Keyboard: focusable, announced as a link.
    const first = page.locator("#para .dial3cx-number");
    expect(await first.getAttribute("tabindex")).toBe("0");
    expect(await first.getAttribute("role")).toBe("link");
    // Everything else untouched, text and all.
    expect(await page.locator("#input").inputValue()).toBe("+49 30 111111");
    expect(await page.locator("#textarea").inputValue()).toBe("+49 30 222222");
    for (const id of ["editable", "code", "pre", "link", "bad"]) {
      expect(await page.locator(`#${id}`).evaluate((e) => e.children.length), id).toBe(0);
    }
    expect(await page.locator("#para").textContent()).toBe("Ruf uns an: +49 30 123456, heute.");
    await page.close();
  });

  it("places exactly one call for a click (and a double click), and shows how it goes", async () => {
    const page = await crmPage();
    const postsBefore = posts();
    const number = page.locator("#para .dial3cx-number");
    await number.click();
    await number.click();
    await expect.poll(() => number.getAttribute("data-dial3cx-state"), SOON).toBe("dialing");
    await expect.poll(() => number.getAttribute("data-dial3cx-state"), SOON).toBe("connected");
    const calls = await simCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ extension: "100", destination: "004930123456" });
    expect(posts()).toBe(postsBefore + 1);
    await http(main.gateway.url, "DELETE", `/v1/calls/${calls[0]!.id}`, { token: main.token });
    await expect.poll(() => number.getAttribute("data-dial3cx-state"), SOON).toBe("ended");
    // A national number, read with the region from the options; Enter works like a click.
    const cell = page.locator("#cell .dial3cx-number");
    await cell.focus();
    await page.keyboard.press("Enter");
    await expect.poll(async () => (await simCalls()).length, SOON).toBe(2);
    expect((await simCalls())[1]).toMatchObject({ destination: "0049307654321" });
    expect(posts()).toBe(postsBefore + 2);
    await page.close();
  });

  it("calls the selection from the context menu's handler", async () => {
    // Headless Chromium cannot open the context menu; the test calls the handler the menu's
    // onClicked listener calls, with what Chromium would pass it.
    const reply = await worker.evaluate(async () => {
      const hooks = (globalThis as unknown as { dial3cx: MenuHooks }).dial3cx;
      return hooks.onMenuClick({ menuItemId: hooks.menuId, selectionText: " Tel. 030 7777777 " });
    });
    expect(reply).toMatchObject({ ok: true, call: { toE164: "+49307777777" } });
    await expect.poll(async () => (await simCalls()).length, SOON).toBe(1);
    expect((await simCalls())[0]).toMatchObject({ destination: "0049307777777" });
    // Whatever reaches the gateway is validated there: its message comes back.
    const refused = await worker.evaluate(async () => {
      const hooks = (globalThis as unknown as { dial3cx: MenuHooks }).dial3cx;
      return hooks.onMenuClick({ menuItemId: hooks.menuId, selectionText: "call me maybe" });
    });
    expect(refused).toMatchObject({ ok: false });
    expect((refused as { message: string }).message).not.toBe("");
    expect(await simCalls()).toHaveLength(1);
  });

  it("dials and hangs up from the popup", async () => {
    const popup = await context.newPage();
    await popup.goto(`chrome-extension://${extensionId}/popup.html`);
    await expect
      .poll(() => popup.locator("#who").textContent(), SOON)
      .toBe("Extension 100 · Erika Mustermann");
    await expect.poll(() => popup.locator("#device option").count(), SOON).toBe(3);
    await popup.getByLabel("Device").selectOption({ index: 1 });
    const device = await popup.locator("#device").inputValue();
    await popup.getByLabel("Number").fill("+49 40 1234567");
    await popup.getByRole("button", { name: "Call", exact: true }).click();
    await expect.poll(() => popup.locator("#message").textContent(), SOON).toMatch(/^Calling /);
    await expect.poll(async () => (await simCalls()).length, SOON).toBe(1);
    const call = (await simCalls())[0]!;
    expect(call.destination).toBe("0049401234567");
    const row = popup.locator("#calls li");
    await expect.poll(() => row.count(), SOON).toBe(1);
    expect(device).not.toBe("");
    await row.getByRole("button", { name: "Hang up" }).click();
    await expect.poll(() => row.count(), SOON).toBe(0);
    await expect
      .poll(async () => (await simCalls())[0]?.state, SOON)
      .not.toMatch(/dialing|ringing|connected/);
    // Bad input: the gateway's message, nothing dialled.
    await popup.getByLabel("Number").fill("not a number");
    await popup.getByRole("button", { name: "Call", exact: true }).click();
    await expect.poll(() => popup.locator("#message").getAttribute("class"), SOON).toMatch(/error/);
    expect(await simCalls()).toHaveLength(1);
    await popup.close();
  });

  it("shows the recent calls in the popup and calls one back", async () => {
    const popup = await context.newPage();
    await popup.goto(`chrome-extension://${extensionId}/popup.html`);
    const recent = popup.getByRole("list", { name: "Recent calls" }).locator("li");
    await expect.poll(() => recent.count(), SOON).toBe(2);
    expect(await recent.nth(0).textContent()).toMatch(
      /^Charles Babbage · \+44 20 7946 0958missed · \d/,
    );
    expect(await recent.nth(1).textContent()).toMatch(/^anonymousincoming · /);
    // Only a number is called back: the anonymous call has no button.
    expect(await recent.nth(1).getByRole("button").count()).toBe(0);
    await recent.nth(0).getByRole("button", { name: "Call back Charles Babbage" }).click();
    await expect.poll(async () => (await simCalls()).length, SOON).toBe(1);
    expect((await simCalls())[0]).toMatchObject({ destination: "00442079460958" });
    await expect.poll(() => popup.locator("#message").textContent(), SOON).toMatch(/^Calling /);
    await http(main.gateway.url, "DELETE", `/v1/calls/${(await simCalls())[0]!.id}`, {
      token: main.token,
    });
    // The ended call joins the list at the top.
    await expect.poll(() => recent.count(), SOON).toBe(3);
    expect(await recent.nth(0).textContent()).toMatch(/outgoing · /);
    await popup.close();
  });

  it("Test shows the extension, device and version, or what is wrong", async () => {
    const options = await optionsPage();
    const result = options.locator("#result");
    const postsBefore = posts();
    await options.getByRole("button", { name: "Test" }).click();
    await expect
      .poll(() => result.textContent(), SOON)
      .toMatch(
        /^Works: extension 100 \(Erika Mustermann\), device .+, gateway \d+\.\d+\.\d+, browser extension \d+\.\d+\.\d+\.$/,
      );
    // The test asks POST /v1/check, which places nothing; no call request at all.
    expect(main.log()).toMatch(/"method":"POST","path":"\/v1\/check","status":200/);
    expect(posts()).toBe(postsBefore);
    await options.getByLabel("Token").fill("d3x_wrong");
    await options.getByRole("button", { name: "Test" }).click();
    await expect.poll(() => result.textContent(), SOON).toMatch(/^Token refused/);
    await options.getByLabel("Token").fill("");
    await options.getByLabel("Gateway URL").fill("http://127.0.0.1:9");
    await options.getByRole("button", { name: "Test" }).click();
    await expect
      .poll(() => result.textContent(), SOON)
      .toBe("Gateway not running at http://127.0.0.1:9: run `dial3cx serve`.");
    // A gateway started without --allow-extension refuses the extension's origin.
    const other = await serve(sim, []);
    try {
      await options.getByLabel("Gateway URL").fill(other.gateway.url);
      await options.getByLabel("Token").fill(other.token);
      await options.getByRole("button", { name: "Test" }).click();
      await expect
        .poll(() => result.textContent(), SOON)
        .toBe(
          `The gateway does not allow this extension yet: run \`dial3cx serve --allow-extension ${extensionId}\`.`,
        );
    } finally {
      await other.stop();
    }
    expect(await options.locator("#allow-command").textContent()).toBe(
      `dial3cx serve --allow-extension ${extensionId}`,
    );
    await options.close();
  });

  it("gives a page's own script no way to the token or to a call", async () => {
    const page = await crmPage();
    const postsBefore = posts();
    const attempts = await page.evaluate(
      async ({ id, gatewayUrl }) => {
        const tried: Record<string, string> = {};
        const span = document.querySelector(".dial3cx-number") as HTMLElement;
        span.click();
        span.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true }));
        span.focus();
        span.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
        const runtime = (
          globalThis as {
            chrome?: { runtime?: { sendMessage?: (...args: unknown[]) => Promise<unknown> } };
          }
        ).chrome?.runtime;
        try {
          await runtime!.sendMessage!(id, { type: "call", number: "+49 30 999999" });
          tried.sendMessage = "sent";
        } catch (error) {
          tried.sendMessage = `refused: ${(error as Error).message}`;
        }
        try {
          const answer = await fetch(`${gatewayUrl}/v1/calls`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ to: "+49 30 999999" }),
          });
          tried.fetch = String(answer.status);
        } catch (error) {
          tried.fetch = `refused: ${(error as Error).message}`;
        }
        tried.html = document.documentElement.outerHTML;
        tried.storage = JSON.stringify({ ...localStorage });
        return tried;
      },
      { id: extensionId, gatewayUrl: main.gateway.url },
    );
    expect(attempts.sendMessage).toMatch(/^refused/);
    expect(attempts.fetch).toMatch(/^refused/);
    expect(attempts.html).not.toContain(main.token);
    expect(attempts.storage).not.toContain(main.token);
    // A forged button (our class name, the page's number) is not a button, even clicked for real.
    const forged = await context.newPage();
    await forged.goto(`${pagesUrl}/forged`);
    await forged.locator("#forged").click();
    // The token is not in storage.local, which content scripts can read.
    const stored = await worker.evaluate(async () =>
      JSON.stringify(await chrome.storage.local.get(null)),
    );
    expect(stored).not.toContain(main.token);
    expect(stored).toContain("gatewayUrl");
    // Give anything that slipped through time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await simCalls()).toEqual([]);
    expect(posts()).toBe(postsBefore);
    await page.close();
    await forged.close();
  });

  it("asks for access to a gateway on another computer, and warns about plain http", async () => {
    // Headless Chromium cannot show the permission prompt, so the test answers it: the page's
    // chrome.permissions.request is replaced by one that records the request and says no, then yes.
    const options = await optionsPage();
    const result = options.locator("#result");
    await options.evaluate(() => {
      const w = window as unknown as { asked: unknown[]; answer: boolean };
      w.asked = [];
      w.answer = false;
      chrome.permissions.request = (async (permissions: unknown) => {
        w.asked.push(permissions);
        return w.answer;
      }) as typeof chrome.permissions.request;
    });
    const asked = () => options.evaluate(() => (window as unknown as { asked: unknown[] }).asked);
    const storedUrl = () =>
      worker.evaluate(
        async () =>
          ((await chrome.storage.local.get("settings")).settings as { gatewayUrl: string })
            .gatewayUrl,
      );
    await options.getByLabel("Gateway URL").fill("http://10.11.12.13:7070");
    await options.getByRole("button", { name: "Save" }).click();
    await expect
      .poll(() => result.textContent(), SOON)
      .toMatch(/^Not saved\. Not allowed to reach 10\.11\.12\.13:7070: /);
    expect(await asked()).toEqual([{ origins: ["http://10.11.12.13/*"] }]);
    expect(await storedUrl()).toBe(main.gateway.url);
    // Allowed: saved, with the warning that the token would cross the network in clear.
    await options.evaluate(() => {
      (window as unknown as { answer: boolean }).answer = true;
    });
    await options.getByRole("button", { name: "Save" }).click();
    await expect
      .poll(() => result.textContent(), SOON)
      .toMatch(
        /^Saved\. Warning: http:\/\/10\.11\.12\.13:7070 is another computer over plain http/,
      );
    expect(await result.getAttribute("class")).toMatch(/warning/);
    expect(await storedUrl()).toBe("http://10.11.12.13:7070");
    // Back to the gateway on this computer: nothing to ask, no warning.
    await options.getByLabel("Gateway URL").fill(main.gateway.url);
    await options.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => result.textContent(), SOON).toBe("Saved.");
    expect(await asked()).toHaveLength(2);
    expect(await storedUrl()).toBe(main.gateway.url);
    await options.close();
  });

  it("marks and calls numbers in same-origin and srcdoc frames, telling only that frame", async () => {
    const page = await context.newPage();
    await page.goto(`${pagesUrl}/frames`);
    const inner = page.frameLocator("#inner");
    const srcdoc = page.frameLocator("#srcdoc");
    await expect.poll(() => inner.locator(".dial3cx-number").count(), SOON).toBe(1);
    await expect.poll(() => srcdoc.locator(".dial3cx-number").count(), SOON).toBe(1);
    await expect.poll(() => page.locator(".dial3cx-number").count(), SOON).toBe(1);
    expect(await inner.locator(".dial3cx-number").textContent()).toBe("+49 30 1357913");
    expect(await srcdoc.locator(".dial3cx-number").textContent()).toBe("+49 30 2468024");
    // Each frame counts its own refs from r1: a call's states go to the frame that clicked only.
    const top = page.locator("#top .dial3cx-number");
    await top.click();
    await expect.poll(() => top.getAttribute("data-dial3cx-state"), SOON).toBe("connected");
    await top.evaluate((span) => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver(() => seen.push(span.getAttribute("data-dial3cx-state") ?? "")).observe(
        span,
        { attributeFilter: ["data-dial3cx-state"] },
      );
    });
    const framed = inner.locator(".dial3cx-number");
    await framed.click();
    await expect.poll(() => framed.getAttribute("data-dial3cx-state"), SOON).toBe("connected");
    expect(await page.evaluate(() => (window as unknown as { seen: string[] }).seen)).toEqual([]);
    await srcdoc.locator(".dial3cx-number").click();
    await expect.poll(async () => (await simCalls()).length, SOON).toBe(3);
    expect((await simCalls()).map((call) => call.destination)).toEqual([
      "0049309753197",
      "0049301357913",
      "0049302468024",
    ]);
    for (const call of await simCalls()) {
      await http(main.gateway.url, "DELETE", `/v1/calls/${call.id}`, { token: main.token });
    }
    await page.close();
  });

  it("takes over tel: links when the option is on", async () => {
    const options = await optionsPage();
    await options.getByLabel(/tel:, callto: and sip: links/).check();
    await options.getByRole("button", { name: "Save" }).click();
    await options.locator("#result", { hasText: "Saved." }).waitFor({ timeout: SOON.timeout });
    await options.close();
    const page = await crmPage();
    await page.locator("#tel").click();
    await expect.poll(async () => (await simCalls()).length, SOON).toBe(1);
    expect((await simCalls())[0]).toMatchObject({ destination: "0049308888888" });
    await expect
      .poll(() => page.locator("#tel").getAttribute("data-dial3cx-state"), SOON)
      .toMatch(/dialing|ringing|connected/);
    expect(page.url()).toBe(`${pagesUrl}/crm`);
    await page.close();
  });

  // Last: it stops the gateway.
  it("says how to start the gateway when a click finds it stopped", async () => {
    const page = await crmPage();
    await main.stop();
    mainStopped = true;
    const number = page.locator("#item .dial3cx-number");
    await number.click();
    await expect.poll(() => number.getAttribute("data-dial3cx-state"), SOON).toBe("error");
    expect(await number.getAttribute("title")).toBe(
      `Gateway not running at ${main.gateway.url}: run \`dial3cx serve\`.`,
    );
    expect(await number.getAttribute("aria-label")).toMatch(/^Call \+49 171 1234567 \(error: /);
    expect(await simCalls()).toEqual([]);
    await page.close();
  });
});

const FORGED = `<!doctype html><html><body>
  <p><span id="forged" class="dial3cx-number" role="link" tabindex="0">Support</span></p>
</body></html>`;

const FRAMES = `<!doctype html><html><body>
  <p id="top">Zentrale +49 30 9753197</p>
  <iframe id="inner" src="/inner"></iframe>
  <iframe id="srcdoc" srcdoc="<p>Support: +49 30 2468024</p>"></iframe>
</body></html>`;

const INNER = `<!doctype html><html><body><p>Vertrieb: +49 30 1357913</p></body></html>`;
