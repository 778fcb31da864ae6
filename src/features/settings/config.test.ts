import { lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BadInputError, ConfigError } from "../../errors.js";
import {
  type Config,
  loadConfig,
  normalizeIncomingUrl,
  resolveSettings,
  type SettingsFlags,
  saveLoginConfig,
} from "./config.js";

const FINGERPRINT_HEX = "ab".repeat(32);
const FINGERPRINT = Array(32).fill("AB").join(":");

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dial3cx-config-"));
  file = path.join(dir, "config.toml");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The ConfigError loadConfig throws for `source`. */
async function configErrorFor(source: string): Promise<ConfigError> {
  await writeFile(file, source);
  const error = await loadConfig(file).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  const message = (error as ConfigError).message;
  expect(message).not.toContain("\n");
  expect(message.startsWith(`${file}: `)).toBe(true);
  expect(message.endsWith(": fix it or run dial3cx login")).toBe(true);
  return error as ConfigError;
}

describe("loadConfig", () => {
  it("treats a missing file as an empty config", async () => {
    expect(await loadConfig(file)).toEqual({});
  });

  it("reads and normalises every key", async () => {
    await writeFile(
      file,
      [
        "# my settings",
        'pbx = "https://pbx.example.com/"',
        "extension = 100",
        'device = "Yealink T46S"',
        'default_region = "de"',
        'outbound_prefix = "0"',
        'ca = "certs/ca.pem"',
        `fingerprint = "${FINGERPRINT_HEX}"`,
        "insecure = false",
        'password_command = "pass show 3cx"',
        "confirm = true",
        "dedupe_seconds = 2.5",
        'contacts = ["~/contacts", "/abs/dir"]',
        'driver = "webclient"',
      ].join("\n"),
    );
    const expected: Config = {
      pbx: "https://pbx.example.com",
      extension: "100",
      device: "Yealink T46S",
      default_region: "DE",
      outbound_prefix: "0",
      ca: path.join(dir, "certs", "ca.pem"),
      fingerprint: FINGERPRINT,
      insecure: false,
      password_command: "pass show 3cx",
      confirm: true,
      dedupe_seconds: 2.5,
      contacts: [path.join(os.homedir(), "contacts"), "/abs/dir"],
      driver: "webclient",
    };
    expect(await loadConfig(file)).toEqual(expected);
  });

  it("accepts a single contacts directory and a fingerprint with colons", async () => {
    await writeFile(file, `contacts = "/c"\nfingerprint = "${FINGERPRINT.toLowerCase()}"\n`);
    expect(await loadConfig(file)).toEqual({ contacts: ["/c"], fingerprint: FINGERPRINT });
  });

  it("reports a TOML syntax error on one line with its line number, without the text", async () => {
    const error = await configErrorFor('pbx = "https://pbx"\npassword_command = "echo hunter2\n');
    expect(error.message).toMatch(
      /: invalid TOML: [^\n]+ \(line 2\): fix it or run dial3cx login$/,
    );
    expect(error.message).not.toContain("hunter2");
    expect(error.exitCode).toBe(2);
  });

  it("rejects unknown keys, naming them and the known keys, without their values", async () => {
    const error = await configErrorFor('pbx = "https://pbx"\n\npassword = "hunter2"\n');
    expect(error.message).toContain(
      'unknown key "password", known keys are pbx, extension, device',
    );
    expect(error.message).toContain("on_incoming_when (line 3)");
    expect(error.message).not.toContain("hunter2");
  });

  it("finds the line of an unknown table", async () => {
    const error = await configErrorFor('pbx = "https://pbx"\n[server]\nurl = "x"\n');
    expect(error.message).toContain('unknown key "server"');
    expect(error.message).toContain("(line 2)");
  });

  it.each([
    ['extension = "1o0"', 'extension must be digits, like "100" (line 1)'],
    ['pbx = "pbx.example.com"', 'pbx must be a URL like "https://pbx.example.com" (line 1)'],
    ['pbx = "ftp://pbx.example.com"', "pbx must start with https:// or http:// (line 1)"],
    ['pbx = "https://pbx.example.com/webclient"', "pbx must be the address only"],
    ['pbx = "https://100:hunter2@pbx.example.com"', "pbx must not contain a user name or password"],
    ['fingerprint = "AB:CD"', "fingerprint must be a SHA-256 fingerprint: 64 hex digits"],
    ['default_region = "DEU"', 'default_region must be a two-letter region code, like "DE"'],
    ['default_region = "XX"', 'default_region must be a known region code, like "DE" or "US"'],
    ['outbound_prefix = "+"', "outbound_prefix must be digits"],
    ['driver = "sip"', 'driver must be "auto", "webclient" or "callcontrol" (line 1)'],
    ['insecure = "no"', "insecure must be true or false (line 1)"],
    ["dedupe_seconds = -1", "dedupe_seconds must not be negative (line 1)"],
    ['contacts = ["/a", 3]', "contacts must be a list of directories"],
    ["pbx = 3", "pbx must be a string in quotes (line 1)"],
    ['password_command = ""', "password_command must not be empty (line 1)"],
    ['[pbx]\nurl = "https://pbx"', "pbx must be a string in quotes (line 1)"],
    ['device = ""', "device must not be empty (line 1)"],
    ["ca = 1", "ca must be a string in quotes (line 1)"],
    ['confirm = "yes"', "confirm must be true or false (line 1)"],
    ['client_id = "9 0"', 'client_id must be a client id, like "900" (printable, no spaces)'],
    ["client_id = 1.5", 'client_id must be a client id, like "900" (line 1)'],
    ['auth = "token"', 'auth must be "password" or "api-client"'],
    ['allowed_origins = "https://crm"', "allowed_origins must be a list of origins"],
    ['sip_domains = ["pbx example"]', "sip_domains[0] must be host names"],
    ['webhooks = "https://a"', "webhooks must be a list of URLs"],
    ['mcp_calls = "yes"', 'mcp_calls must be "ask", "allow" or "deny" (line 1)'],
    ["mcp_calls = true", 'mcp_calls must be "ask", "allow" or "deny" (line 1)'],
    ["dedupe_seconds = inf", "dedupe_seconds must be a number of seconds (line 1)"],
    // No message of ours: zod's English one (zod/mini has none unless asked for).
    ["extension = -1", "extension Too small: expected number to be >=0 (line 1)"],
    ['webhooks = ["https://a", 1]', "webhooks[1] Invalid input: expected string, received number"],
  ])("rejects %s", async (source, problem) => {
    const error = await configErrorFor(source);
    expect(error.message).toContain(`${file}: ${problem}`);
    expect(error.message).not.toContain("hunter2");
  });

  it("accepts the edges of each type", async () => {
    await writeFile(
      file,
      'extension = 0\ndevice = 0\noutbound_prefix = ""\ndedupe_seconds = 0\ncontacts = []\nclient_id = " 901 "\nwebhooks = []\n',
    );
    expect(await loadConfig(file)).toEqual({
      extension: "0",
      device: "0",
      outbound_prefix: "",
      dedupe_seconds: 0,
      contacts: [],
      client_id: "901",
      webhooks: [],
    });
  });

  it("puts the right line number on a bad value further down", async () => {
    const error = await configErrorFor('pbx = "https://pbx"\n\n  extension = "abc"\n');
    expect(error.message).toContain("extension must be digits");
    expect(error.message).toContain("(line 3)");
  });
});

describe("zod", () => {
  afterEach(() => {
    vi.doUnmock("zod/mini");
    vi.resetModules();
  });

  // Loading zod costs every command ~30 ms: a well-formed file is read without it.
  it("is loaded only for a file with a mistake in it", async () => {
    let loaded = false;
    vi.resetModules();
    vi.doMock("zod/mini", async (importOriginal) => {
      loaded = true;
      return importOriginal();
    });
    const fresh = await import("./config.js");
    await writeFile(
      file,
      'pbx = "https://pbx.example.com"\nextension = 100\ncontacts = "/c"\ndriver = "auto"\n',
    );
    expect(await fresh.loadConfig(file)).toEqual({
      pbx: "https://pbx.example.com",
      extension: "100",
      contacts: ["/c"],
      driver: "auto",
    });
    expect(loaded).toBe(false);
    await writeFile(file, 'extension = "abc"\n');
    await expect(fresh.loadConfig(file)).rejects.toThrow("extension must be digits");
    expect(loaded).toBe(true);
  });
});

describe("resolveSettings", () => {
  const config: Config = {
    pbx: "https://config.example.com",
    extension: "300",
    device: "config-phone",
    ca: "/config/ca.pem",
    fingerprint: FINGERPRINT,
    default_region: "AT",
    insecure: false,
  };
  const env = {
    DIAL3CX_PBX: "https://env.example.com",
    DIAL3CX_EXTENSION: "200",
    DIAL3CX_DEVICE: "env-phone",
    DIAL3CX_CA: "/env/ca.pem",
    DIAL3CX_FINGERPRINT: "cd".repeat(32),
    DIAL3CX_REGION: "ch",
  };
  const flags: SettingsFlags = {
    pbx: "https://flag.example.com:5001",
    extension: "100",
    device: "flag-phone",
    ca: "/flag/ca.pem",
    fingerprint: "ef".repeat(32),
    insecure: true,
  };
  const colonForm = (pair: string) => Array(32).fill(pair).join(":");

  it.each([
    [
      "flags win",
      { flags, env, config },
      {
        pbx: "https://flag.example.com:5001",
        extension: "100",
        device: "flag-phone",
        ca: "/flag/ca.pem",
        fingerprint: colonForm("EF"),
        defaultRegion: "CH",
        insecure: true,
      },
    ],
    [
      "env beats config",
      { env, config },
      {
        pbx: "https://env.example.com",
        extension: "200",
        device: "env-phone",
        ca: "/env/ca.pem",
        fingerprint: colonForm("CD"),
        defaultRegion: "CH",
        insecure: false,
      },
    ],
    [
      "config when nothing else",
      { env: {}, config },
      {
        pbx: "https://config.example.com",
        extension: "300",
        device: "config-phone",
        ca: "/config/ca.pem",
        fingerprint: FINGERPRINT,
        defaultRegion: "AT",
        insecure: false,
      },
    ],
    [
      "empty env vars count as unset",
      { env: { DIAL3CX_PBX: "", DIAL3CX_EXTENSION: "" }, config },
      {
        pbx: "https://config.example.com",
        extension: "300",
      },
    ],
    [
      "a flag for one key only",
      { flags: { extension: "101" }, env, config },
      {
        pbx: "https://env.example.com",
        extension: "101",
        device: "env-phone",
      },
    ],
    [
      "nothing set",
      { env: {} },
      {
        pbx: undefined,
        extension: undefined,
        device: undefined,
        ca: undefined,
        fingerprint: undefined,
        defaultRegion: undefined,
        insecure: false,
      },
    ],
  ])("%s", (_name, input, expected) => {
    expect(resolveSettings(input)).toMatchObject(expected);
  });

  it("fills in defaults and carries the config-only keys", () => {
    expect(resolveSettings({ env: {}, config: {} })).toEqual({
      pbx: undefined,
      extension: undefined,
      device: undefined,
      defaultRegion: undefined,
      outboundPrefix: "",
      ca: undefined,
      fingerprint: undefined,
      insecure: false,
      passwordCommand: undefined,
      confirm: false,
      dedupeSeconds: 3,
      contacts: [],
      driver: "auto",
      auth: "password",
      webhooks: [],
      allowedOrigins: [],
      mcpCalls: "ask",
      sipDomains: [],
      notify: false,
      onIncomingWhen: "ringing",
    });
    const full = resolveSettings({
      env: {},
      config: {
        password_command: "pass x",
        confirm: true,
        dedupe_seconds: 0,
        contacts: ["/c"],
        driver: "callcontrol",
        outbound_prefix: "0",
        mcp_calls: "deny",
        auth: "api-client",
      },
    });
    expect(full).toMatchObject({
      mcpCalls: "deny",
      auth: "api-client",
      passwordCommand: "pass x",
      confirm: true,
      dedupeSeconds: 0,
      contacts: ["/c"],
      driver: "callcontrol",
      outboundPrefix: "0",
    });
  });

  it("resolves a relative --ca against the working directory and expands ~", () => {
    expect(resolveSettings({ flags: { ca: "ca.pem" }, env: {}, cwd: "/work" }).ca).toBe(
      "/work/ca.pem",
    );
    expect(resolveSettings({ env: { HOME: "/home/ann", DIAL3CX_CA: "~/ca.pem" } }).ca).toBe(
      "/home/ann/ca.pem",
    );
  });

  it("rejects a bad flag as a usage error naming the flag", () => {
    const attempt = () => resolveSettings({ flags: { pbx: "https://u:hunter2@pbx" }, env: {} });
    expect(attempt).toThrow(BadInputError);
    expect(attempt).toThrow("--pbx must not contain a user name or password");
    expect(() => resolveSettings({ flags: { extension: "abc" }, env: {} })).toThrow(
      "--extension must be digits",
    );
  });

  it("takes the driver from --driver over the config, and the client id from flag > env > config", () => {
    const config = { driver: "webclient" as const, client_id: "900" };
    expect(resolveSettings({ env: {}, config })).toMatchObject({
      driver: "webclient",
      clientId: "900",
    });
    expect(
      resolveSettings({
        flags: { driver: "callcontrol" },
        env: { DIAL3CX_CLIENT_ID: "901" },
        config,
      }),
    ).toMatchObject({ driver: "callcontrol", clientId: "901" });
    expect(
      resolveSettings({ flags: { clientId: "902" }, env: { DIAL3CX_CLIENT_ID: "901" }, config })
        .clientId,
    ).toBe("902");
    expect(() => resolveSettings({ flags: { driver: "sip" }, env: {} })).toThrow(
      '--driver must be "auto", "webclient" or "callcontrol"',
    );
    expect(() => resolveSettings({ env: { DIAL3CX_CLIENT_ID: "a b" } })).toThrow(
      /^DIAL3CX_CLIENT_ID must be a client id/,
    );
  });

  it("reads client_id quoted or as bare digits", async () => {
    await writeFile(file, 'client_id = 900\ndriver = "callcontrol"\n');
    expect(await loadConfig(file)).toEqual({ client_id: "900", driver: "callcontrol" });
    const error = await configErrorFor('client_id = "has space"\n');
    expect(error.message).toContain("client_id must be a client id");
  });

  it("rejects a bad environment variable as a config error naming it", () => {
    const attempt = () => resolveSettings({ env: { DIAL3CX_FINGERPRINT: "nope" } });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      /^DIAL3CX_FINGERPRINT must be a SHA-256 fingerprint.*: fix or unset the environment variable$/,
    );
  });

  it("rejects an unknown DIAL3CX_REGION naming the variable, not only its shape", () => {
    const attempt = () => resolveSettings({ env: { DIAL3CX_REGION: "xx" } });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      'DIAL3CX_REGION must be a known region code, like "DE" or "US": fix or unset the environment variable',
    );
    expect(resolveSettings({ env: { DIAL3CX_REGION: "de" } }).defaultRegion).toBe("DE");
  });
});

describe("saveLoginConfig", () => {
  it("creates a 0600 file with a header that loadConfig reads back", async () => {
    const nested = path.join(dir, "new", "config.toml");
    const result = await saveLoginConfig(nested, {
      pbx: "https://pbx.example.com/",
      extension: "100",
    });
    expect(result).toEqual({ path: nested });
    const text = await readFile(nested, "utf8");
    expect(text.split("\n")[0]).toMatch(/^# .*dial3cx login.*comments/);
    expect(await loadConfig(nested)).toEqual({ pbx: "https://pbx.example.com", extension: "100" });
    if (process.platform !== "win32") {
      expect((await stat(nested)).mode & 0o777).toBe(0o600);
      expect((await stat(path.dirname(nested))).mode & 0o777).toBe(0o700);
    }
  });

  it("updates only the keys it is given and keeps the others", async () => {
    await writeFile(
      file,
      '# my comment\npbx = "https://old.example.com"\nextension = "100"\ncontacts = ["/c"]\nconfirm = true\nfingerprint = "' +
        FINGERPRINT +
        '"\n',
    );
    await saveLoginConfig(file, {
      pbx: "https://new.example.com",
      device: "desk",
      fingerprint: null,
    });
    expect(await loadConfig(file)).toEqual({
      pbx: "https://new.example.com",
      extension: "100",
      contacts: ["/c"],
      confirm: true,
      device: "desk",
    });
    expect(await readFile(file, "utf8")).not.toContain("# my comment");
  });

  it("normalises values and refuses bad ones without touching the file", async () => {
    await writeFile(file, 'extension = "100"\n');
    await saveLoginConfig(file, {
      fingerprint: FINGERPRINT_HEX,
      default_region: "de",
      ca: "rel/ca.pem",
    });
    expect(await loadConfig(file)).toMatchObject({
      fingerprint: FINGERPRINT,
      default_region: "DE",
      ca: path.resolve("rel/ca.pem"),
    });
    const before = await readFile(file, "utf8");
    await expect(saveLoginConfig(file, { pbx: "pbx.example.com" })).rejects.toThrow(BadInputError);
    await expect(saveLoginConfig(file, { extension: "abc" })).rejects.toThrow(
      "extension must be digits",
    );
    expect(await readFile(file, "utf8")).toBe(before);
  });

  it("keeps a file that is not valid TOML as .bak and writes a fresh one", async () => {
    await writeFile(file, 'pbx = "https://pbx\n');
    const result = await saveLoginConfig(file, {
      pbx: "https://pbx.example.com",
      extension: "100",
    });
    expect(result).toEqual({ path: file, backupPath: `${file}.bak` });
    expect(await readFile(`${file}.bak`, "utf8")).toBe('pbx = "https://pbx\n');
    expect(await loadConfig(file)).toEqual({ pbx: "https://pbx.example.com", extension: "100" });
  });

  it.skipIf(process.platform === "win32")(
    "writes through a symlinked config and keeps the link",
    async () => {
      const dotfiles = path.join(dir, "dotfiles");
      await mkdir(dotfiles);
      const real = path.join(dotfiles, "config.toml");
      await writeFile(real, "confirm = true\n");
      await symlink(real, file);
      const result = await saveLoginConfig(file, { extension: "100" });
      expect(result.path).toBe(real);
      expect((await lstat(file)).isSymbolicLink()).toBe(true);
      expect(await loadConfig(file)).toEqual({ confirm: true, extension: "100" });
    },
  );
});

describe("incoming-call settings", () => {
  it("reads notify, on_incoming and on_incoming_when", () => {
    const settings = resolveSettings({
      env: {},
      config: {
        notify: true,
        on_incoming: "https://crm.example.com/search?phone={e164}&name={name}",
        on_incoming_when: "answered",
      },
    });
    expect(settings).toMatchObject({
      notify: true,
      onIncoming: "https://crm.example.com/search?phone={e164}&name={name}",
      onIncomingWhen: "answered",
    });
  });

  it.each([
    ["http://crm.example.com/?p={e164}", "plain http only on loopback"],
    ["file:///etc/passwd", "must be an https:// URL"],
    ["https://crm.example.com/?p={phone}", "unknown placeholder {phone}"],
    ["https://user:pw@crm.example.com/", "user name or password"],
    ["not a url {number}", "must be a URL"],
  ])("refuses on_incoming %j", (template, problem) => {
    const checked = normalizeIncomingUrl(template);
    expect("problem" in checked && checked.problem).toContain(problem);
  });

  it("accepts https and loopback http templates", () => {
    for (const template of [
      "https://crm.example.com/search?phone={number}",
      "http://127.0.0.1:8080/call?n={e164}",
      "http://localhost/x?n={name}",
      "http://[::1]:9000/?n={number}",
    ]) {
      expect(normalizeIncomingUrl(template)).toEqual({ value: template });
    }
  });
});

describe("incoming-call settings in config.toml", () => {
  it("names on_incoming and the problem in the error, and reads a good file", async () => {
    await writeFile(file, 'on_incoming = "http://crm.example.com/?p={e164}"\n');
    const error = await loadConfig(file).catch((e: Error) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("on_incoming");
    expect((error as Error).message).toContain("plain http only on loopback");
    await writeFile(
      file,
      'notify = true\non_incoming = "https://crm.example.com/?p={e164}"\non_incoming_when = "answered"\n',
    );
    expect(await loadConfig(file)).toEqual({
      notify: true,
      on_incoming: "https://crm.example.com/?p={e164}",
      on_incoming_when: "answered",
    });
  });
});
