// `dial3cx login` / `logout`: asks for the PBX URL, extension and password (hidden), checks the
// TLS certificate (shows its fingerprint and offers to pin an untrusted one), verifies the login
// (asking for the 2FA code when needed, once), then stores the settings in config.toml and the
// password in the OS keyring. A rejected login is reported, never retried.
import { confirm, input, password as passwordPrompt } from "@inquirer/prompts";
import {
  BadInputError,
  ConfigError,
  Dial3cxError,
  TlsError,
  TwoFactorRequiredError,
} from "../../errors.js";
import {
  accountName,
  forgetSession,
  openAccount,
  rememberSession,
} from "../../features/calls/account.js";
import type { Dial3cxClient } from "../../features/calls/client.js";
import { parsePbxUrl, untrustedCertificate } from "../../features/settings/certificate.js";
import {
  rewriteConfig,
  type Settings,
  salvageConfig,
  saveLoginConfig,
} from "../../features/settings/config.js";
import { appPaths } from "../../features/settings/paths.js";
import {
  KeyringUnavailableError,
  keyringStore,
  memoryStore,
} from "../../features/settings/secrets.js";
import {
  accountOptions,
  type ConnectionFlags,
  type Context,
  type Io,
  loadContext,
  readAll,
  writeJson,
} from "../context.js";

export async function runLogin(flags: ConnectionFlags, io: Io): Promise<number> {
  const interactive = Boolean(io.stdin.isTTY) && !flags.passwordStdin;
  const context = await loadOrRepairContext(flags, io, interactive);
  const settings = context.settings;
  const pbx = await askPbx(settings, flags, interactive);
  const trust = await checkCertificate(pbx, settings, interactive, io);
  const extension =
    flags.extension ??
    (interactive ? await askText("Extension", settings.extension) : settings.extension);
  if (!extension)
    throw new BadInputError("Pass --extension (or run `dial3cx login` in a terminal).", "usage");
  const secret = await askPassword(flags, io, interactive);
  const loginSettings: Settings = { ...settings, pbx: pbx.origin, extension, ...trust };
  const secrets = memoryStore();
  await secrets.set(accountName(loginSettings), secret);
  const verified: Context = { ...context, settings: loginSettings };
  const client = await verifyLogin(
    verified,
    { ...flags, passwordStdin: false },
    secrets,
    interactive,
  );
  try {
    const stored = await storePassword(loginSettings, secret, io);
    const saved = await saveLoginConfig(context.paths.configFile, {
      pbx: pbx.origin,
      extension,
      fingerprint: trust.fingerprint ?? null,
      ca: trust.ca ?? null,
    });
    await rememberSession(client, verified);
    report(client, { pbx: pbx.origin, configFile: saved.path, stored }, flags, io);
    return 0;
  } finally {
    await client.close();
  }
}

/**
 * The context; when config.toml does not load, login is how it gets repaired (every other command
 * sends the user here): it says what is wrong, and rewrites the file with the valid keys only,
 * keeping the old one as config.toml.bak (in a terminal, after asking).
 */
async function loadOrRepairContext(
  flags: ConnectionFlags,
  io: Io,
  interactive: boolean,
): Promise<Context> {
  const configFile = appPaths(io.env).configFile;
  try {
    return await loadContext(flags, io);
  } catch (error) {
    if (!(error instanceof ConfigError) || !error.message.startsWith(configFile)) throw error;
    const { document, dropped } = await salvageConfig(configFile);
    const keys = Object.keys(document);
    const keep = keys.length === 0 ? "no valid keys" : `the valid keys (${keys.join(", ")})`;
    io.stderr.write(
      `${configFile} does not load:\n${dropped.map((line) => `  ${line}\n`).join("")}`,
    );
    if (interactive) {
      const message = `Rewrite it keeping ${keep}? The old file is kept as config.toml.bak.`;
      if (!(await confirm({ message, default: true }))) throw error;
    }
    const rewritten = await rewriteConfig(configFile, document);
    io.stderr.write(
      `Rewrote ${rewritten.path} with ${keep}; the old file is ${rewritten.backupPath}.\n`,
    );
    return loadContext(flags, io);
  }
}

async function askPbx(
  settings: Settings,
  flags: ConnectionFlags,
  interactive: boolean,
): Promise<URL> {
  const text =
    flags.pbx ??
    (interactive
      ? await askText("PBX URL (the 3CX web client address)", settings.pbx)
      : settings.pbx);
  if (!text)
    throw new BadInputError(
      "Pass --pbx https://pbx.example.com:5001 (or run `dial3cx login` in a terminal).",
      "usage",
    );
  return parsePbxUrl(text);
}

async function askText(message: string, current?: string): Promise<string> {
  return (await input({ message, default: current, required: true })).trim();
}

/** Trust as given; else try the system CAs; else show the fingerprint and offer to pin it. */
async function checkCertificate(
  pbx: URL,
  settings: Settings,
  interactive: boolean,
  io: Io,
): Promise<{ fingerprint?: string; ca?: string }> {
  const given = { fingerprint: settings.fingerprint, ca: settings.ca };
  if (pbx.protocol !== "https:" || settings.insecure || given.fingerprint || given.ca) return given;
  const cert = await untrustedCertificate(pbx);
  if (!cert) return {};
  io.stderr.write(
    `The certificate of ${pbx.host} is not trusted by this system (CN=${cert.subject}, valid until ${cert.validTo}).\nSHA-256 fingerprint: ${cert.fingerprint}\nCompare it with the one shown in the 3CX admin console before you trust it.\n`,
  );
  if (!interactive) {
    throw new TlsError(
      `Untrusted certificate: pass --fingerprint ${cert.fingerprint} if it is the PBX's, or --ca FILE.`,
    );
  }
  if (!(await confirm({ message: "Pin this certificate for this PBX?", default: false }))) {
    throw new TlsError(
      "Not logged in: the certificate was not trusted. Pass --ca FILE to trust a CA instead.",
    );
  }
  return { fingerprint: cert.fingerprint };
}

async function verifyLogin(
  context: Context,
  flags: ConnectionFlags,
  secrets: ReturnType<typeof memoryStore>,
  interactive: boolean,
): Promise<Dial3cxClient> {
  const options = accountOptions(context, flags, { events: true, useCache: false, store: secrets });
  try {
    return await openAccount(options);
  } catch (error) {
    if (!(error instanceof TwoFactorRequiredError) || !interactive || flags.code) throw error;
  }
  // Not a retry of a rejected password: 3CX asks for the code in the same request (reference §2).
  const code = await input({
    message: "2FA code from your authenticator app",
    validate: (v) => /^\d{6}$/.test(v.trim()) || "six digits",
  });
  return openAccount({ ...options, securityCode: code.trim() });
}

async function askPassword(flags: ConnectionFlags, io: Io, interactive: boolean): Promise<string> {
  if (flags.passwordStdin) {
    const piped = (await readAll(io.stdin)).replace(/\r?\n$/, "");
    if (piped === "") {
      throw new BadInputError(
        "Standard input was empty: pipe the password into --password-stdin.",
        "usage",
      );
    }
    return piped;
  }
  if (interactive) return passwordPrompt({ message: "Password", mask: true });
  const fromEnv = io.env.DIAL3CX_PASSWORD;
  if (fromEnv) return fromEnv;
  throw new BadInputError(
    "No password: pass --password-stdin, or run `dial3cx login` in a terminal.",
    "usage",
  );
}

type Stored = "keyring" | "not-stored";

async function storePassword(settings: Settings, secret: string, io: Io): Promise<Stored> {
  try {
    await keyringStore().set(accountName(settings), secret);
    return "keyring";
  } catch (error) {
    if (!(error instanceof KeyringUnavailableError)) throw error;
    // Say where later commands will find it, or how to give them one: not what is already done.
    const later = io.env.DIAL3CX_PASSWORD
      ? "Later commands take it from DIAL3CX_PASSWORD, as long as it is set."
      : settings.passwordCommand
        ? "Later commands take it from password_command in config.toml."
        : "Set password_command in config.toml (e.g. `pass show 3cx`) or DIAL3CX_PASSWORD for later commands.";
    io.stderr.write(
      `No OS keyring (Secret Service) is available, so the password was NOT stored. ${later}\n`,
    );
    return "not-stored";
  }
}

function report(
  client: Dial3cxClient,
  info: { pbx: string; configFile: string; stored: Stored },
  flags: ConnectionFlags,
  io: Io,
): void {
  const ext = client.extension();
  const devices = client.devices();
  if (flags.json) {
    writeJson(io, { ...info, extension: ext.extension, devices: devices.map((d) => d.name) });
    return;
  }
  const name = [ext.firstName, ext.lastName].filter(Boolean).join(" ");
  io.stdout.write(
    `${[
      `Logged in as ${ext.extension}${name ? ` (${name})` : ""} on ${info.pbx}.`,
      `Settings saved in ${info.configFile}${info.stored === "keyring" ? "; password stored in the OS keyring." : "."}`,
      `Devices: ${devices.map((d) => d.name).join(", ") || "none registered"}`,
    ].join("\n")}\n`,
  );
}

export async function runLogout(flags: ConnectionFlags, io: Io): Promise<number> {
  const context = await loadContext(flags, io);
  const { settings } = context;
  await forgetSession(context);
  let forgotPassword = false;
  if (settings.pbx && settings.extension) {
    forgotPassword = await keyringStore()
      .delete(accountName(settings))
      .catch((error: unknown) => {
        if (error instanceof Dial3cxError) return false;
        throw error;
      });
  }
  await saveLoginConfig(context.paths.configFile, {
    pbx: null,
    extension: null,
    fingerprint: null,
    ca: null,
  });
  if (flags.json) writeJson(io, { loggedOut: true, passwordRemoved: forgotPassword });
  else
    io.stdout.write(
      `Logged out: session and settings forgotten${forgotPassword ? ", password removed from the keyring" : ""}.\n`,
    );
  return 0;
}
