// Shared set-up for the desktop-integration end-to-end tests: a config file, vCard address books
// in the layout vdirsyncer writes (cards in vCard 2.1, 3.0 and 4.0), stand-ins for notify-send
// and friends first on PATH, and a gateway on a unix socket in the test's runtime directory.
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  type StandIn,
  type StandInBehaviour,
  writeStandIn,
} from "../src/features/desktop/desktop-testing.js";
import { resolveSettings } from "../src/features/settings/config.js";
import { appPaths } from "../src/features/settings/paths.js";
import { memoryStore } from "../src/features/settings/secrets.js";
import { accountFromSettings, type Gateway, startGateway } from "../src/gateway/index.js";
import type { Cleanup, TempHome } from "./cli-helpers.js";

export async function writeConfig(home: TempHome, toml: string): Promise<void> {
  await mkdir(dirname(home.configFile), { recursive: true });
  // 0600 as `dial3cx login` writes it: a password_command or webhooks readable by others warn.
  await writeFile(home.configFile, toml, { mode: 0o600 });
  await chmod(home.configFile, 0o600);
}

/** One contact in each vCard version, as address books "work" and "private" under `dir`. */
export const CARDS = {
  "work/charlotte.vcf": [
    "BEGIN:VCARD",
    "VERSION:3.0",
    "UID:charlotte",
    "FN:Charlotte Brontë",
    "N:Brontë;Charlotte;;;",
    "TEL;TYPE=WORK,VOICE:+49 40 555123",
    "TEL;TYPE=CELL:+49 160 5550001",
    "END:VCARD",
  ],
  "work/emily.vcf": [
    "BEGIN:VCARD",
    "VERSION:4.0",
    "UID:emily",
    "FN:Emily Brontë",
    "TEL;VALUE=uri;TYPE=work:tel:+49-40-555124",
    "END:VCARD",
  ],
  "private/anne.vcf": [
    "BEGIN:VCARD",
    "VERSION:2.1",
    "FN:Anne Brontë",
    "N:Brontë;Anne;;;",
    "TEL;HOME;VOICE:+49 40 555125",
    "END:VCARD",
  ],
  // The same person the PBX phone book has, written nationally.
  "private/ada.vcf": [
    "BEGIN:VCARD",
    "VERSION:3.0",
    "UID:ada",
    "FN:Ada Lovelace",
    "TEL;TYPE=WORK:030 123456",
    "END:VCARD",
  ],
} as const;

/** Writes CARDS under `<home>/contacts` and returns that directory. */
export async function writeAddressBooks(home: TempHome): Promise<string> {
  const dir = join(home.dir, "contacts");
  for (const [file, lines] of Object.entries(CARDS)) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), `${lines.join("\r\n")}\r\n`);
  }
  return dir;
}

/** Writes CARDS and a config whose `contacts` reads them; returns their directory. */
export async function configureAddressBooks(home: TempHome): Promise<string> {
  const books = await writeAddressBooks(home);
  await writeConfig(home, `contacts = [${JSON.stringify(books)}]\n`);
  return books;
}

/** A directory of stand-ins, put first on PATH by `withStandIns`. */
export class StandIns {
  readonly dir: string;

  constructor(home: TempHome) {
    this.dir = join(home.dir, "stand-ins");
  }

  add(name: string, behaviour: StandInBehaviour = {}): Promise<StandIn> {
    return writeStandIn(this.dir, name, behaviour);
  }

  env(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    return { ...env, PATH: `${this.dir}:${env.PATH ?? ""}` };
  }
}

/** The summaries of the notifications shown, oldest first. */
export async function notificationTexts(notifySend: StandIn): Promise<string[]> {
  return (await notifySend.runs()).map((argv) => argv[argv.indexOf("--") + 1] ?? "");
}

export async function readLog(home: TempHome): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(appPaths(home.env).logFile, "utf8");
  return text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * A gateway for the account in `env` (DIAL3CX_PBX, _EXTENSION, _PASSWORD), listening on the unix
 * socket under env.XDG_RUNTIME_DIR (and loopback TCP), with that env's tokens file.
 */
export async function startEnvGateway(env: NodeJS.ProcessEnv, cleanup: Cleanup): Promise<Gateway> {
  const settings = resolveSettings({ env });
  const gateway = await startGateway({
    accounts: [accountFromSettings(settings)],
    paths: appPaths(env),
    env,
    store: memoryStore(),
    listen: "127.0.0.1:0",
    logStream: { write: () => undefined },
  });
  cleanup(() => gateway.stop());
  return gateway;
}
