// End to end: contacts in the CLI against the simulator's phone book and vCard address books the
// tests write (2.1, 3.0, 4.0): `contacts search`, `call "<name>"`, `pick` with stand-in pickers,
// names on `watch` lines, and `call` handing over to a running gateway.
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "vitest";
import {
  fixtureContact,
  writeVCardFixtures,
} from "../src/features/contacts/vcard.bench-fixture.js";
import {
  accountEnv,
  httpRequests,
  MAKE_CALL,
  makeHome,
  parseJsonLines,
  runCli,
  startCli,
  startSimAndHome,
} from "./cli-helpers.js";
import {
  configureAddressBooks,
  StandIns,
  startEnvGateway,
  writeConfig,
} from "./desktop-helpers.js";

describe.concurrent("dial3cx contacts search", () => {
  test("vCards and the PBX phone book, folded: muller finds Müller", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    await configureAddressBooks(home);
    const env = accountEnv(home, sim);

    const muller = await runCli(["contacts", "search", "muller", "--dmenu"], { env });
    expect(muller).toMatchObject({ code: 0, stderr: "" });
    expect(muller.stdout).toBe(
      "Jürgen Müller\twork\t089 1234567\nJürgen Müller\tmobile\t0171 2345678\n",
    );

    const mueller = await runCli(["contacts", "search", "mueller", "--dmenu"], { env });
    expect(mueller).toMatchObject({ code: 0, stderr: "", stdout: muller.stdout });

    const bronte = await runCli(["contacts", "search", "bronte"], { env });
    expect(bronte).toMatchObject({ code: 0, stderr: "" });
    expect(bronte.stdout.split("\n").filter(Boolean)).toEqual([
      "Anne Brontë       home       +49 40 555125",
      "Charlotte Brontë  work       +49 40 555123",
      "Charlotte Brontë  mobile     +49 160 5550001",
      "Emily Brontë      work       +49-40-555124",
    ]);

    const json = await runCli(["contacts", "search", "+49 30 123456", "--json"], { env });
    expect(json).toMatchObject({ code: 0, stderr: "" });
    const [matches] = parseJsonLines(json.stdout) as [Array<Record<string, unknown>>];
    // The vCard (national form) and the phone book have the same person and number: listed once,
    // in the form with the country code.
    expect(matches).toEqual([
      expect.objectContaining({
        name: "Ada Lovelace",
        organization: "Analytical Engines Ltd",
        number: "+49 30 123456",
        source: "pbx",
        match: "number",
      }),
    ]);
    const dmenu = await runCli(["contacts", "search", "ada", "--dmenu"], { env });
    expect(dmenu.stdout).toBe("Ada Lovelace\twork\t+49 30 123456\n");
  });

  test("not logged in: the vCards alone, with a note on stderr", async ({
    expect,
    onTestFinished,
  }) => {
    const home = await makeHome(onTestFinished);
    await configureAddressBooks(home);
    const run = await runCli(["contacts", "search", "emily", "--dmenu"], { env: home.env });
    expect(run).toMatchObject({ code: 0, stdout: "Emily Brontë\twork\t+49-40-555124\n" });
    expect(run.stderr).toBe(
      "dial3cx: Not logged in: vCard contacts only (run `dial3cx login` for the PBX phone book).\n",
    );
  });

  test("nothing found exits 1; --json with --dmenu is a usage error", async ({
    expect,
    onTestFinished,
  }) => {
    const { env } = await startSimAndHome(onTestFinished);
    const none = await runCli(["contacts", "search", "zzyzx"], { env });
    expect(none).toMatchObject({ code: 1, stdout: "", stderr: 'No contact matches "zzyzx".\n' });
    // Letters scattered over "Pizzeria Napoli" in the phone book are no match.
    const scattered = await runCli(["contacts", "search", "zzzz"], { env });
    expect(scattered).toMatchObject({
      code: 1,
      stdout: "",
      stderr: 'No contact matches "zzzz".\n',
    });
    const both = await runCli(["contacts", "search", "a", "--json", "--dmenu"], { env });
    expect(both).toMatchObject({ code: 2 });
  });

  test('"" lists everyone, for pickers and completion', async ({ expect, onTestFinished }) => {
    const home = await makeHome(onTestFinished);
    const books = join(home.dir, "many");
    await writeVCardFixtures(books, 300);
    await writeConfig(home, `contacts = [${JSON.stringify(books)}]\n`);
    const run = await runCli(["contacts", "search", "", "--dmenu"], { env: home.env });
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines).toHaveLength(600);
    const { name, work } = fixtureContact(7);
    expect(lines).toContain(`${name}\twork\t${work}`);
  });
});

describe.concurrent('dial3cx call "<name>"', () => {
  test("a name with one number calls it", async ({ expect, onTestFinished }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    await configureAddressBooks(home);
    const env = accountEnv(home, sim);
    // In the vCards (030 123456) and the phone book (+49 30 123456): the same number.
    const ada = await runCli(["call", "ada lovelace"], { env });
    expect(ada).toMatchObject({ code: 0, stderr: "" });
    expect(ada.stdout).toBe("Calling Ada Lovelace (+49 30 123456) on Yealink T46S (ext 100)\n");
    const emily = await runCli(["call", "Emily"], { env });
    expect(emily).toMatchObject({ code: 0, stderr: "" });
    expect(emily.stdout).toBe("Calling Emily Brontë (+49 40 555124) on Yealink T46S (ext 100)\n");
    expect((await sim.calls()).map((c) => c.destination)).toEqual(["004930123456", "004940555124"]);
  });

  test("a name with several numbers lists them and dials nothing (exit 2)", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    const run = await runCli(["call", "Jürgen Müller"], { env });
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toBe(
      [
        'dial3cx: "Jürgen Müller" matches 2 numbers: call one of them by number, or add its type (dial3cx call "Jürgen Müller work").',
        "  Jürgen Müller  work       089 1234567",
        "  Jürgen Müller  mobile     0171 2345678",
        "",
      ].join("\n"),
    );
    const json = await runCli(["call", "Müller", "--json"], { env });
    expect(json).toMatchObject({ code: 2 });
    expect(parseJsonLines(json.stdout)).toEqual([
      {
        error: { code: "bad_number", message: expect.stringMatching(/matches 2 numbers/) },
        matches: [
          { name: "Jürgen Müller", numberType: "work", number: "089 1234567" },
          { name: "Jürgen Müller", numberType: "mobile", number: "0171 2345678" },
        ],
      },
    ]);
    expect(await sim.calls()).toEqual([]);
    // The number's type after the name picks one.
    const mobile = await runCli(["call", "Jürgen Müller mobile"], { env });
    expect(mobile).toMatchObject({ code: 0, stderr: "" });
    expect(mobile.stdout).toBe(
      "Calling Jürgen Müller (+49 171 2345678) on Yealink T46S (ext 100)\n",
    );
    expect((await sim.calls()).map((c) => c.destination)).toEqual(["01712345678"]);
  });

  test("no match says no contact matches and how to check; a URI is never a name", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    const nobody = await runCli(["call", "Nobody Here"], { env });
    expect(nobody).toMatchObject({ code: 2, stdout: "" });
    expect(nobody.stderr).toBe(
      'dial3cx: No contact matches "Nobody Here", and it is not a number: check the name (dial3cx contacts search "Nobody Here") or type the digits.\n',
    );
    const before = (await sim.requests()).length;
    const flowers = await runCli(["call", "tel:+1-800-FLOWERS"], { env });
    expect(flowers).toMatchObject({ code: 2 });
    expect(flowers.stderr).toMatch(/^dial3cx: Cannot dial "\+1-800-FLOWERS": it contains letters/);
    // Refused as a number before anything was sent, not even a phone-book lookup.
    expect((await sim.requests()).slice(before)).toEqual([]);
    expect(await sim.calls()).toEqual([]);
  });

  test("not logged in and no vCards: the number's error, nothing looked up", async ({
    expect,
    onTestFinished,
  }) => {
    const home = await makeHome(onTestFinished);
    const run = await runCli(["call", "Ada"], { env: home.env });
    expect(run).toMatchObject({ code: 2 });
    expect(run.stderr).toMatch(/^dial3cx: Cannot dial "Ada": it contains letters/);
  });
});

describe.concurrent("dial3cx pick", () => {
  test("fzf picks a line, and that number is called", async ({ expect, onTestFinished }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const standIns = new StandIns(home);
    const fzf = await standIns.add("fzf", { pickLineWith: "Grace Hopper" });
    const env = standIns.env(accountEnv(home, sim));
    const run = await runCli(["pick"], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toBe("Calling Grace Hopper (+1 212 555 0147) on Yealink T46S (ext 100)\n");
    expect((await sim.calls()).map((c) => c.destination)).toEqual(["0012125550147"]);
    const [argv] = await fzf.runs();
    expect(argv).toContain("--prompt=Call> ");
  });

  test("nothing picked exits 1 and dials nothing", async ({ expect, onTestFinished }) => {
    const { sim, home, env } = await startSimAndHome(onTestFinished);
    const standIns = new StandIns(home);
    await standIns.add("fzf", { exitCode: 130 });
    const run = await runCli(["pick"], { env: standIns.env(env) });
    expect(run).toMatchObject({ code: 1, stdout: "", stderr: "Nothing picked: no call.\n" });
    expect(await sim.calls()).toEqual([]);
  });

  test("rofi on a display; a number typed into it is dialled", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const standIns = new StandIns(home);
    await standIns.add("fzf", { exitCode: 2 });
    const rofi = await standIns.add("rofi", { stdout: "0171 2345678\n" });
    const env = standIns.env({ ...accountEnv(home, sim), DISPLAY: ":0" });
    const run = await runCli(["pick"], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toBe("Calling Jürgen Müller (+49 171 2345678) on Yealink T46S (ext 100)\n");
    expect(await rofi.runs()).toEqual([["-dmenu", "-i", "-p", "Call"]]);
    expect((await sim.calls()).map((c) => c.destination)).toEqual(["01712345678"]);
  });

  test("--with names a picker that is not installed: usage error", async ({
    expect,
    onTestFinished,
  }) => {
    const home = await makeHome(onTestFinished);
    const run = await runCli(["pick", "--with", "dmenu"], {
      env: { ...home.env, PATH: join(home.dir, "empty") },
    });
    expect(run).toMatchObject({
      code: 2,
      stderr: "dial3cx: dmenu is not installed (not found on PATH).\n",
    });
  });
});

describe.concurrent("reverse lookup and the gateway", () => {
  test("watch names the other party from the vCards", async ({ expect, onTestFinished }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    await configureAddressBooks(home);
    const env = accountEnv(home, sim);
    const watch = await startCli(["watch"], { env });
    onTestFinished(() => {
      watch.child.kill("SIGKILL");
    });
    // Logged in and listening once it says so.
    await waitForStderr(watch.child, /Watching extension 100/);
    expect((await runCli(["call", "+49 40 555125"], { env })).code).toBe(0);
    const line = await watch.line((l) => l.includes("Anne"));
    expect(line).toMatch(/ to Anne Brontë \(\d+\)$/);
    watch.child.kill("SIGINT");
    await watch.result;
  });

  test("call hands over to a running gateway (one MakeCall); --no-gateway does not", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const env = { ...accountEnv(home, sim), XDG_RUNTIME_DIR: join(home.dir, "run") };
    await startEnvGateway(env, onTestFinished);
    const before = (await sim.requests()).length;
    const run = await runCli(["call", "+49 30 123456", "--json"], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(parseJsonLines(run.stdout)).toEqual([
      {
        to: "004930123456",
        toE164: "+4930123456",
        display: "+49 30 123456",
        device: "Yealink T46S",
        contact: null,
        extension: "100",
        state: "dialing",
        via: "gateway",
        id: expect.any(String),
        duplicate: false,
      },
    ]);
    const viaGateway = httpRequests((await sim.requests()).slice(before));
    expect(viaGateway).toEqual([expect.objectContaining({ messageId: MAKE_CALL })]);

    const middle = (await sim.requests()).length;
    const direct = await runCli(["call", "124", "--no-gateway"], { env });
    expect(direct).toMatchObject({ code: 0, stdout: "Calling 124 on Yealink T46S (ext 100)\n" });
    const own = httpRequests((await sim.requests()).slice(middle)).map((r) => r.path);
    expect(own).toContain("/webclient/api/Login/GetAccessToken");
  });
});

function waitForStderr(child: import("node:child_process").ChildProcess, pattern: RegExp) {
  return new Promise<void>((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`no ${pattern} on stderr: ${text}`)), 10_000);
    child.stderr?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

describe.concurrent("dial3cx pick: a picker that fails", () => {
  test("rofi that cannot open the display is an error naming rofi and its message", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home, env } = await startSimAndHome(onTestFinished);
    const bin = join(home.dir, "broken-bin");
    await mkdir(bin, { recursive: true });
    const rofi = join(bin, "rofi");
    await writeFile(
      rofi,
      "#!/bin/sh\ncat >/dev/null\necho 'Cannot open display: :0' >&2\nexit 1\n",
    );
    await chmod(rofi, 0o755);
    const run = await runCli(["pick", "--with", "rofi"], {
      env: { ...env, DISPLAY: ":0", PATH: `${bin}:${env.PATH}` },
    });
    expect(run).toMatchObject({
      code: 2,
      stdout: "",
      stderr:
        "dial3cx: The picker rofi failed (exit 1): Cannot open display: :0; fix it, or choose another with --with.\n",
    });
    expect(await sim.calls()).toEqual([]);
  });

  test("fzf's error exit (2) is an error too, its cancel (130) is not", async ({
    expect,
    onTestFinished,
  }) => {
    const { home, env } = await startSimAndHome(onTestFinished);
    const standIns = new StandIns(home);
    await standIns.add("fzf", { exitCode: 2 });
    const run = await runCli(["pick", "--with", "fzf"], { env: standIns.env(env) });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^dial3cx: The picker fzf failed \(exit 2\)/);
  });
});
