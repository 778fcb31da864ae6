// `dial3cx serve` as the CLI runs it: the ready line and a graceful stop on a signal,
// --show-token, --install-unit, the config's gateway keys, and flag mistakes.
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { BadInputError } from "../../errors.js";
import { loadConfig, resolveSettings } from "../../features/settings/config.js";
import {
  readTokens,
  tokensFile,
  webhookSecretFile,
} from "../../features/settings/gateway-tokens.js";
import { appPaths } from "../../features/settings/paths.js";
import { http, tempHome } from "../../gateway/testing.js";
import { dial3cxBin } from "../../package-root.js";
import { DEFAULT_DEMO_PASSWORD, startSimulator } from "../../sim/index.js";
import { type Io, loadContext } from "../context.js";
import { runServe, systemdQuote, unitPath } from "./serve.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function captureIo(env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on("data", (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on("data", (chunk: Buffer) => err.push(chunk.toString()));
  const io: Io = { stdout, stderr, stdin: new PassThrough(), env };
  return { io, stdout: () => out.join(""), stderr: () => err.join("") };
}

async function home(extra: NodeJS.ProcessEnv = {}) {
  const h = await tempHome({
    DIAL3CX_PBX: "https://pbx.example.com",
    DIAL3CX_EXTENSION: "100",
    ...extra,
  });
  cleanups.push(h.remove);
  return h;
}

describe("dial3cx serve", () => {
  it("prints the ready line, serves, and stops with exit 0 on SIGTERM", async () => {
    const sim = await startSimulator({ port: 0 });
    cleanups.push(() => sim.stop());
    const h = await home({ DIAL3CX_PBX: sim.url });
    const { io, stdout, stderr } = captureIo(h.env);
    const stop = new AbortController();
    let url = "";
    const exit = runServe({ listen: "127.0.0.1:0" }, io, {
      signal: stop.signal,
      onReady: (gateway) => {
        url = gateway.url;
      },
    });
    await until(() => stdout().includes("\n"));
    expect(stdout()).toMatch(
      /^dial3cx gateway listening on http:\/\/127\.0\.0\.1:\d+ \(extension 100\) · token: dial3cx serve --show-token\nunix socket: .*gateway\.sock\n$/,
    );
    const token = (await readTokens(tokensFile(h.paths))).get("100")!;
    const status = await http(url, "GET", "/v1/status", { token });
    expect(status.json.extension).toBe("100");
    process.emit("SIGTERM");
    expect(await exit).toBe(0);
    await expect(http(url, "GET", "/healthz")).rejects.toThrow();
    // The log went to stderr: one line per request, no password, no token.
    expect(stderr()).toContain('"path":"/v1/status"');
    expect(stderr()).not.toContain(DEFAULT_DEMO_PASSWORD);
    expect(stderr()).not.toContain(token);
  });

  it("--show-token prints the bare token, the same one every time", async () => {
    const h = await home();
    const first = captureIo(h.env);
    expect(await runServe({ showToken: true }, first.io)).toBe(0);
    const token = first.stdout().trim();
    expect(token).toMatch(/^d3x_[A-Za-z0-9_-]{43}$/);
    expect(first.stdout()).toBe(`${token}\n`);
    expect((await stat(tokensFile(h.paths))).mode & 0o777).toBe(0o600);
    const second = captureIo(h.env);
    await runServe({ showToken: true }, second.io);
    expect(second.stdout()).toBe(`${token}\n`);
  });

  it("--show-token --accounts prints one extension=token line each", async () => {
    const h = await home();
    const file = path.join(h.root, "accounts.toml");
    await writeFile(file, '[[account]]\nextension = "101"\n\n[[account]]\nextension = "102"\n');
    const { io, stdout } = captureIo(h.env);
    await runServe({ showToken: true, accounts: file }, io);
    expect(stdout()).toMatch(/^101=d3x_\S+\n102=d3x_\S+\n$/);
  });

  it("--install-unit writes a systemd user unit that runs this dial3cx", async () => {
    const h = await home();
    const { io, stdout } = captureIo(h.env);
    const accounts = path.join(h.root, "accounts.toml");
    expect(
      await runServe(
        {
          installUnit: true,
          listen: "127.0.0.1:7171",
          accounts,
          allowedOrigin: ["https://crm.example.com"],
          allowExtension: ["abcdefghijklmnopabcdefghijklmnop"],
        },
        io,
      ),
    ).toBe(0);
    const file = unitPath(h.env);
    expect(file).toBe(path.join(h.root, "config", "systemd", "user", "dial3cx.service"));
    const unit = await readFile(file, "utf8");
    expect(unit).toContain(
      `ExecStart=${process.execPath} ${dial3cxBin()} serve --listen 127.0.0.1:7171 --accounts ${accounts} --allowed-origin https://crm.example.com --allow-extension abcdefghijklmnopabcdefghijklmnop\n`,
    );
    expect(path.isAbsolute(dial3cxBin())).toBe(true);
    expect(unit).toContain("Restart=on-failure\n");
    expect(unit).toContain("RestartSec=30\n");
    expect(unit).toContain("RestartPreventExitStatus=2 3\n");
    expect(unit).toContain("WantedBy=default.target\n");
    expect(stdout()).toContain(`Wrote ${file}`);
    expect(stdout()).toContain("systemctl --user enable --now dial3cx");
    const again = captureIo(h.env);
    await runServe({ installUnit: true }, again.io);
    expect(again.stdout()).toContain("systemctl --user daemon-reload");
  });

  it("--show-webhook-secret prints the signing secret, the same every time, kept 0600", async () => {
    const h = await home();
    const first = captureIo(h.env);
    expect(await runServe({ showWebhookSecret: true }, first.io)).toBe(0);
    const secret = first.stdout().trim();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    const again = captureIo(h.env);
    await runServe({ showWebhookSecret: true }, again.io);
    expect(again.stdout()).toBe(`${secret}\n`);
    const file = webhookSecretFile(appPaths(h.env));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("refuses flag mistakes in one line", async () => {
    const h = await home();
    const { io } = captureIo(h.env);
    await expect(runServe({ installUnit: true, passwordStdin: true }, io)).rejects.toThrow(
      BadInputError,
    );
    const file = path.join(h.root, "accounts.toml");
    await writeFile(file, '[[account]]\nextension = "101"\n');
    await expect(runServe({ accounts: file, passwordStdin: true }, io)).rejects.toThrow(
      /--password-stdin and --code do not go with --accounts/,
    );
    await expect(runServe({ tlsCert: "/x.pem" }, io)).rejects.toThrow(
      /--tls-cert and --tls-key go together/,
    );
    await expect(runServe({ listen: "0.0.0.0:0", socket: false }, io)).rejects.toThrow(
      /not a loopback address/,
    );
    await expect(
      runServe({ listen: "127.0.0.1:0", socket: false, allowExtension: ["*"] }, io),
    ).rejects.toThrow(/--allow-extension "\*" must be a Chromium extension id/);
  });
});

describe("gateway keys of config.toml", () => {
  it("reads webhooks and allowed_origins with the other settings", async () => {
    const h = await home();
    const file = path.join(h.root, "config.toml");
    await writeFile(
      file,
      'pbx = "https://pbx.example.com"\nwebhooks = ["https://hooks.example.com/a"]\nallowed_origins = ["https://crm.example.com"]\n',
    );
    const settings = resolveSettings({ env: {}, config: await loadConfig(file) });
    expect(settings.webhooks).toEqual(["https://hooks.example.com/a"]);
    expect(settings.allowedOrigins).toEqual(["https://crm.example.com"]);
    await writeFile(file, 'webhooks = "https://hooks.example.com/a"\n');
    await expect(loadConfig(file)).rejects.toThrow(/webhooks.*must be a list of URLs/);
  });
});

describe("secrets in a config file others can read", () => {
  it("the gateway refuses to start; the CLI warns; mode 0600 is fine", async () => {
    const h = await home();
    await mkdir(path.dirname(h.paths.configFile), { recursive: true });
    await writeFile(
      h.paths.configFile,
      'webhooks = ["https://hooks.example.com/secret-token"]\npassword_command = "pass show 3cx"\n',
      { mode: 0o644 },
    );
    await chmod(h.paths.configFile, 0o644);
    const serve = captureIo(h.env);
    const error = await runServe({ listen: "127.0.0.1:0" }, serve.io).then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    expect(error?.code).toBe("config");
    expect(error?.message).toContain("holds webhooks and password_command");
    expect(error?.message).toContain(`chmod 600 ${h.paths.configFile}`);

    const cli = captureIo(h.env);
    await loadContext({}, cli.io);
    expect(cli.stderr()).toMatch(/^dial3cx: warning: .*other users can read it \(mode 0644\)/);

    await chmod(h.paths.configFile, 0o600);
    const quiet = captureIo(h.env);
    await loadContext({}, quiet.io);
    expect(quiet.stderr()).toBe("");
  });
});

describe("systemdQuote", () => {
  it("escapes % and $ and quotes words with spaces or quotes", () => {
    expect(systemdQuote("/usr/bin/node")).toBe("/usr/bin/node");
    expect(systemdQuote("https://h.example/?a=1%20b")).toBe("https://h.example/?a=1%%20b");
    expect(systemdQuote("/home/me/My Files/x")).toBe('"/home/me/My Files/x"');
    expect(systemdQuote('say "hi" $HOME')).toBe('"say \\"hi\\" $$HOME"');
  });
});

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
