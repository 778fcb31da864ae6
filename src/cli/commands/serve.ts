// `dial3cx serve`: runs the local gateway (REST API + SSE + webhooks over warm PBX sessions) in the
// foreground until SIGINT/SIGTERM; `--show-token` prints the API token(s) and exits;
// `--install-unit` writes a systemd user unit that runs it. Settings come from the same sources
// as every other command (flags > DIAL3CX_* > config.toml), or many extensions from --accounts.
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { BadInputError } from "../../errors.js";
import type { SecretStore } from "../../features/settings/secrets.js";
import { readIfExists, writeSecureFile } from "../../features/settings/secure-file.js";
import {
  type AccountSpec,
  accountFromSettings,
  ensureTokens,
  ensureWebhookSecret,
  extensionOrigin,
  type Gateway,
  type GatewayOptions,
  readAccountsFile,
  startGateway,
  tokensFile,
  webhookSecretFile,
} from "../../gateway/index.js";
import { dial3cxBin } from "../../package-root.js";
import { type ConnectionFlags, type Io, loadContext, readAll } from "../context.js";

export interface ServeFlags extends ConnectionFlags {
  /** "address:port", default 127.0.0.1:7070. */
  listen?: string;
  /** Unix socket path; false (--no-socket) for none; true or unset for the default. */
  socket?: string | boolean;
  /** TOML or JSON file of extensions to serve. */
  accounts?: string;
  tlsCert?: string;
  tlsKey?: string;
  allowPlainHttp?: boolean;
  /** Web origins allowed to call the API (adds to the config's allowed_origins). */
  allowedOrigin?: string[];
  /** Browser extensions (Chromium ids, Firefox UUIDs) allowed to call the API. */
  allowExtension?: string[];
  /** Extra Host names to answer to (a DNS name in front of a non-loopback --listen). */
  allowedHost?: string[];
  showToken?: boolean;
  /** Print the webhook signing secret (created on first use) and exit. */
  showWebhookSecret?: boolean;
  installUnit?: boolean;
  /** A desktop notification for each incoming call (also `notify = true`). */
  notify?: boolean;
}

export interface ServeOptions {
  /** Stops the gateway like a signal would (tests). */
  signal?: AbortSignal;
  /** Password store for the accounts; the OS keyring by default. */
  store?: SecretStore;
  /** Tweaks for tests: rate limit, webhook retries, log stream... */
  gateway?: Partial<GatewayOptions>;
  /** Told the gateway once it listens (tests). */
  onReady?: (gateway: Gateway) => void;
}

export async function runServe(
  flags: ServeFlags,
  io: Io,
  options: ServeOptions = {},
): Promise<number> {
  if (flags.installUnit) return installUnit(flags, io);
  // Webhook URLs and a password_command in a file others can read: refused, like the token file.
  const context = await loadContext(flags, io, { exposedSecrets: "refuse" });
  if (flags.showWebhookSecret) {
    io.stdout.write(`${await ensureWebhookSecret(webhookSecretFile(context.paths))}\n`);
    return 0;
  }
  const specs = await accountSpecs(flags, io, context.settings);
  if (flags.showToken) return showTokens(specs, context.paths, io);

  const gateway = await startGateway({
    accounts: specs,
    paths: context.paths,
    env: io.env,
    store: options.store,
    listen: flags.listen,
    socket: flags.socket === true ? undefined : flags.socket,
    tls: await readTlsPair(flags),
    allowPlainHttp: flags.allowPlainHttp,
    allowedOrigins: [
      ...context.settings.allowedOrigins,
      ...(flags.allowedOrigin ?? []),
      ...(flags.allowExtension ?? []).map(extensionOrigin),
    ],
    allowedHosts: flags.allowedHost,
    // Only from the config (0600): a URL on the command line, which may carry a secret, would be
    // readable by every local user in the process list, so there is no --webhook flag.
    webhooks: context.settings.webhooks,
    logStream: io.stderr === process.stderr ? undefined : io.stderr,
    onNote: (note) => io.stderr.write(`dial3cx serve: ${note}\n`),
    notify: flags.notify === true,
    ...options.gateway,
  });
  io.stdout.write(`${readyLine(gateway)}\n`);
  if (gateway.socketPath) io.stdout.write(`unix socket: ${gateway.socketPath}\n`);
  options.onReady?.(gateway);
  await untilStopped(options.signal);
  await gateway.stop();
  return 0;
}

function readyLine(gateway: Gateway): string {
  const list = gateway.extensions;
  const served =
    list.length === 1
      ? `extension ${list[0]}`
      : list.length <= 5
        ? `extensions ${list.join(", ")}`
        : `${list.length} extensions`;
  return `dial3cx gateway listening on ${gateway.url} (${served}) · token: dial3cx serve --show-token`;
}

async function accountSpecs(
  flags: ServeFlags,
  io: Io,
  settings: Parameters<typeof accountFromSettings>[0],
): Promise<AccountSpec[]> {
  if (!flags.accounts) {
    const stdinPassword = flags.passwordStdin ? () => readAll(io.stdin) : undefined;
    return [accountFromSettings(settings, { stdinPassword, securityCode: flags.code })];
  }
  if (flags.passwordStdin || flags.code) {
    throw new BadInputError(
      "--password-stdin and --code do not go with --accounts: give each account a password_command or password_env",
      "usage",
    );
  }
  return readAccountsFile(path.resolve(flags.accounts), settings);
}

/** One served extension: the bare token (for `TOKEN=$(dial3cx serve --show-token)`); else ext=token lines. */
async function showTokens(
  specs: AccountSpec[],
  paths: GatewayOptions["paths"],
  io: Io,
): Promise<number> {
  const extensions = specs.map((spec) => spec.settings.extension!);
  const tokens = await ensureTokens(tokensFile(paths), extensions);
  if (extensions.length === 1) {
    io.stdout.write(`${tokens.get(extensions[0]!)}\n`);
  } else {
    for (const [extension, token] of tokens) io.stdout.write(`${extension}=${token}\n`);
  }
  return 0;
}

async function readTlsPair(flags: ServeFlags): Promise<GatewayOptions["tls"]> {
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new BadInputError("--tls-cert and --tls-key go together", "usage");
  }
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) return undefined;
  const read = async (file: string, flag: string) => {
    try {
      return await readFile(file, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "read error";
      throw new BadInputError(`cannot read ${flag} ${file} (${code})`, "usage");
    }
  };
  return {
    cert: await read(flags.tlsCert, "--tls-cert"),
    key: await read(flags.tlsKey, "--tls-key"),
  };
}

// ---------------------------------------------------------------------------------------------
// systemd user unit

export function unitPath(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  const configHome =
    xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME || os.homedir(), ".config");
  return path.join(configHome, "systemd", "user", "dial3cx.service");
}

async function installUnit(flags: ServeFlags, io: Io): Promise<number> {
  if (flags.passwordStdin || flags.code) {
    throw new BadInputError(
      "--password-stdin and --code cannot go in a unit: store the password with dial3cx login (or set password_command)",
      "usage",
    );
  }
  const file = unitPath(io.env);
  const replaced = (await readIfExists(file)) !== undefined;
  // 0600 all the same: it names this user's files and PBX. systemd --user reads it as this user.
  await writeSecureFile(file, unitText(serveArguments(flags)));
  io.stdout.write(
    [
      `${replaced ? "Rewrote" : "Wrote"} ${file}`,
      "Start it now and at every login:",
      ...(replaced ? ["  systemctl --user daemon-reload"] : []),
      "  systemctl --user enable --now dial3cx",
      "",
    ].join("\n"),
  );
  return 0;
}

/** The flags to repeat in ExecStart, with file paths made absolute. */
function serveArguments(flags: ServeFlags): string[] {
  const args = ["serve"];
  const add = (flag: string, value: string | undefined, isPath = false) => {
    if (value !== undefined) args.push(flag, isPath ? path.resolve(value) : value);
  };
  add("--listen", flags.listen);
  if (flags.socket === false) args.push("--no-socket");
  else if (typeof flags.socket === "string") add("--socket", flags.socket, true);
  add("--accounts", flags.accounts, true);
  add("--tls-cert", flags.tlsCert, true);
  add("--tls-key", flags.tlsKey, true);
  if (flags.allowPlainHttp) args.push("--allow-plain-http");
  for (const origin of flags.allowedOrigin ?? []) add("--allowed-origin", origin);
  for (const id of flags.allowExtension ?? []) add("--allow-extension", id);
  for (const host of flags.allowedHost ?? []) add("--allowed-host", host);
  add("--pbx", flags.pbx);
  add("--extension", flags.extension);
  add("--ca", flags.ca, true);
  add("--fingerprint", flags.fingerprint);
  if (flags.insecure) args.push("--insecure");
  if (flags.notify) args.push("--notify");
  return args;
}

export function unitText(serveArgs: string[]): string {
  const execStart = [process.execPath, dial3cxBin(), ...serveArgs].map(systemdQuote).join(" ");
  return [
    "# Written by `dial3cx serve --install-unit`; run that again to rewrite it.",
    "[Unit]",
    "Description=dial3cx click-to-call gateway for 3CX",
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${execStart}`,
    "Restart=on-failure",
    // Slow enough that a gateway failing at start never hammers the PBX with logins.
    "RestartSec=30",
    "# Exit 2: bad settings; 3: the PBX refused the login. Restarting cannot fix either, and",
    "# repeated failed logins get the address blocked by 3CX.",
    "RestartPreventExitStatus=2 3",
    "NoNewPrivileges=yes",
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ].join("\n");
}

/** One ExecStart word: % and $ escaped for systemd, in double quotes when it needs them. */
export function systemdQuote(word: string): string {
  const escaped = word.replaceAll("%", "%%").replaceAll("$", "$$$$");
  // Whitespace splits words, quotes and backslashes are syntax, a lone ";" separates commands.
  if (escaped !== "" && !/[\s"'\\;]/.test(escaped)) return escaped;
  return `"${escaped.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

// ---------------------------------------------------------------------------------------------

function untilStopped(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      signal?.removeEventListener("abort", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    if (signal?.aborted) stop();
    else signal?.addEventListener("abort", stop);
  });
}
