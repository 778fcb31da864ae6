// End to end: `dial3cx completion bash|zsh|fish` from the built CLI, each script loaded into its
// real shell and asked to complete: commands, flags, fixed values (handler actions, --with
// pickers), device names (only with a cached session) and contact names, the last two from a
// stand-in `dial3cx` on PATH. zsh is driven through a pseudo-terminal (zsh/zpty).
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are shell code.
import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { describe, test } from "vitest";
import { cliBin, makeHome, runCli, type TempHome } from "./cli-helpers.js";

const run = promisify(execFile);
const have = async (shell: string) =>
  run(shell, ["-c", "exit 0"]).then(
    () => true,
    () => false,
  );
const [haveBash, haveZsh, haveFish] = await Promise.all(["bash", "zsh", "fish"].map(have));

/**
 * A `dial3cx` that answers the two lookups the scripts make, and logs each run to `runs.log`:
 * fixed device names, and contact names from the real CLI's `contacts search` over the vCards
 * below, so the candidates depend on the word and are folded as search folds them.
 */
function stub(cli: string, log: string): string {
  const node = JSON.stringify(process.execPath);
  return `#!/bin/sh
printf '%s\\n' "$*" >> ${JSON.stringify(log)}
case "$1 $2 $3 $4" in
  "devices --json  ") echo '[{"id":"1","name":"Yealink T46S","kind":"desk-phone"},{"id":"2","name":"3CX app (Windows)","kind":"softphone"}]' ;;
  "contacts search --dmenu --") exec ${node} ${JSON.stringify(cli)} "$@" ;;
  *) exit 1 ;;
esac
`;
}

const VCARDS: Record<string, string[]> = {
  "ada.vcf": ["FN:Ada Lovelace", "TEL;TYPE=WORK:+49 30 123456", "TEL;TYPE=CELL:+49 171 1234567"],
  "mueller.vcf": ["FN:Jürgen Müller", "TEL;TYPE=WORK:089 1234567", "TEL;TYPE=CELL:0171 2345678"],
  "obrien.vcf": ["FN:Seán O'Brien", "TEL;TYPE=WORK:+353 1 2345678"],
};

interface Setup {
  home: TempHome;
  script: string;
  env: NodeJS.ProcessEnv;
  /** The stand-in's runs so far, one argument line each. */
  runs(): Promise<string[]>;
}

async function setUp(
  shell: "bash" | "zsh" | "fish",
  cleanup: Parameters<typeof makeHome>[0],
  { cached = true } = {},
): Promise<Setup> {
  const home = await makeHome(cleanup);
  const generated = await runCli(["completion", shell], { env: home.env });
  if (generated.code !== 0) throw new Error(generated.stderr);
  const script = join(home.dir, `dial3cx.${shell}`);
  await writeFile(script, generated.stdout);
  const bin = join(home.dir, "bin");
  await mkdir(bin);
  const log = join(home.dir, "runs.log");
  await writeFile(join(bin, "dial3cx"), stub(await cliBin(), log), { mode: 0o755 });
  const cards = join(home.dir, "cards");
  await mkdir(cards);
  for (const [file, lines] of Object.entries(VCARDS)) {
    const card = ["BEGIN:VCARD", "VERSION:3.0", ...lines, "END:VCARD", ""].join("\r\n");
    await writeFile(join(cards, file), card);
  }
  await mkdir(dirname(home.configFile), { recursive: true });
  await writeFile(home.configFile, `contacts = [${JSON.stringify(cards)}]\n`, { mode: 0o600 });
  if (cached) {
    await mkdir(dirname(home.cacheFile), { recursive: true });
    await writeFile(home.cacheFile, "{}");
  }
  const runs = () =>
    readFile(log, "utf8").then(
      (text) => text.split("\n").filter(Boolean),
      () => [],
    );
  return { home, script, env: { ...home.env, PATH: `${bin}:${process.env.PATH}` }, runs };
}

describe.runIf(haveBash).concurrent("bash completion", () => {
  /** The words bash would offer for the command line `words` (the last one being completed). */
  async function complete(setup: Setup, words: string[]): Promise<string[]> {
    const program = [
      `source ${JSON.stringify(setup.script)}`,
      'COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _dial3cx',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join("\n");
    const { stdout } = await run("bash", ["-c", program, "bash", "dial3cx", ...words], {
      env: setup.env,
    });
    return stdout.split("\n").filter(Boolean);
  }

  test("passes bash -n and completes commands, flags and fixed values", async ({
    expect,
    onTestFinished,
  }) => {
    const setup = await setUp("bash", onTestFinished);
    await run("bash", ["-n", setup.script]);
    expect(await complete(setup, ["ha"])).toEqual(["hangup", "handler"]);
    expect(await complete(setup, [""])).toEqual(
      expect.arrayContaining(["call", "open", "pick", "contacts", "completion", "handler"]),
    );
    expect(await complete(setup, ["handler", ""])).toEqual(["install", "uninstall", "status"]);
    expect(await complete(setup, ["call", "--w"])).toEqual(["--wait"]);
    expect(await complete(setup, ["call", "--no"])).toEqual(["--no-gateway"]);
    expect(await complete(setup, ["pick", "--with", ""])).toEqual(["fzf", "rofi", "dmenu"]);
    expect(await complete(setup, ["pick", "--with", "=", "r"])).toEqual(["rofi"]);
    expect(await complete(setup, ["contacts", ""])).toEqual(["search"]);
    expect(await complete(setup, ["contacts", "search", "--dm"])).toEqual(["--dmenu"]);
    expect(await complete(setup, ["completion", "f"])).toEqual(["fish"]);
    expect(await complete(setup, ["sim", "--pbx-version", ""])).toEqual(["20", "18"]);
  });

  test("completes device and contact names", async ({ expect, onTestFinished }) => {
    const setup = await setUp("bash", onTestFinished);
    expect(await complete(setup, ["call", "--device", ""])).toEqual([
      "Yealink T46S",
      "3CX app (Windows)",
    ]);
    expect(await complete(setup, ["call", "--device", "Yea"])).toEqual(["Yealink T46S"]);
    expect(await complete(setup, ["call", "J"])).toEqual(["Jürgen Müller"]);
    // After an option's value, the argument is still the first one.
    expect(await complete(setup, ["call", "--pbx", "x", "Ad"])).toEqual(["Ada Lovelace"]);
    // A number being typed gets no names; a second argument neither.
    expect(await complete(setup, ["call", "0"])).toEqual([]);
    expect(await complete(setup, ["call", "123", ""])).toEqual([]);
  });

  test("completes contact names as search finds them: case and accents folded", async ({
    expect,
    onTestFinished,
  }) => {
    const setup = await setUp("bash", onTestFinished);
    // Not prefixes of the names: the search's matches replace the word.
    expect(await complete(setup, ["call", "ada"])).toEqual(["Ada Lovelace"]);
    expect(await complete(setup, ["call", "mul"])).toEqual(["Jürgen Müller"]);
    expect(await complete(setup, ["call", "mueller"])).toEqual(["Jürgen Müller"]);
    expect(await complete(setup, ["call", "obri"])).toEqual(["Seán O'Brien"]);
    // Typed quotes and escapes are not part of the name searched.
    expect(await complete(setup, ["call", "'sean o"])).toEqual(["Seán O'Brien"]);
    expect(await complete(setup, ["call", "Ada\\ L"])).toEqual(["Ada Lovelace"]);
    expect(await complete(setup, ["call", ""])).toEqual([
      "Ada Lovelace",
      "Jürgen Müller",
      "Seán O'Brien",
    ]);
    expect(await complete(setup, ["call", "zzz"])).toEqual([]);
    expect(await setup.runs()).toEqual([
      "contacts search --dmenu -- ada",
      "contacts search --dmenu -- mul",
      "contacts search --dmenu -- mueller",
      "contacts search --dmenu -- obri",
      "contacts search --dmenu -- sean o",
      "contacts search --dmenu -- Ada L",
      "contacts search --dmenu -- ",
      "contacts search --dmenu -- zzz",
    ]);
  });

  test("runs nothing for commands, flags and numbers", async ({ expect, onTestFinished }) => {
    const setup = await setUp("bash", onTestFinished);
    expect(await complete(setup, ["ca"])).toEqual(["call", "callback"]);
    expect(await complete(setup, ["call", "--de"])).toEqual(["--device"]);
    expect(await complete(setup, ["call", "+49"])).toEqual([]);
    expect(await complete(setup, ["call", "'030"])).toEqual([]);
    expect(await setup.runs()).toEqual([]);
  });

  test("asks for no device names without a cached session", async ({ expect, onTestFinished }) => {
    const setup = await setUp("bash", onTestFinished, { cached: false });
    expect(await complete(setup, ["call", "--device", ""])).toEqual([]);
  });
});

describe.runIf(haveFish).concurrent("fish completion", () => {
  async function complete(setup: Setup, line: string): Promise<string[]> {
    const { stdout } = await run(
      "fish",
      [
        "--no-config",
        "-c",
        `source ${JSON.stringify(setup.script)}; complete -C ${JSON.stringify(line)}`,
      ],
      { env: setup.env },
    );
    return stdout
      .split("\n")
      .filter(Boolean)
      .map((entry) => entry.split("\t")[0]!);
  }

  test("passes fish -n and completes commands, flags, values and names", async ({
    expect,
    onTestFinished,
  }) => {
    const setup = await setUp("fish", onTestFinished);
    await run("fish", ["--no-config", "-n", setup.script]);
    expect(await complete(setup, "dial3cx ha")).toEqual(["handler", "hangup"]);
    expect(await complete(setup, "dial3cx handler ")).toEqual(["install", "status", "uninstall"]);
    expect(await complete(setup, "dial3cx handler install ")).toEqual([]);
    expect(await complete(setup, "dial3cx call --w")).toEqual(["--wait"]);
    expect(await complete(setup, "dial3cx pick --with ")).toEqual(["dmenu", "fzf", "rofi"]);
    expect(await complete(setup, "dial3cx contacts ")).toEqual(["search"]);
    expect(await complete(setup, "dial3cx contacts search --dm")).toEqual(["--dmenu"]);
    expect(await complete(setup, "dial3cx call --device ")).toEqual([
      "3CX app (Windows)",
      "Yealink T46S",
    ]);
    expect(await complete(setup, "dial3cx call J")).toEqual(["Jürgen Müller"]);
    expect(await complete(setup, "dial3cx call 0")).toEqual([]);
  });

  test("completes contact names the search finds, as far as fish's own matching lets it", async ({
    expect,
    onTestFinished,
  }) => {
    const setup = await setUp("fish", onTestFinished);
    expect(await complete(setup, "dial3cx call ada")).toEqual(["Ada Lovelace"]);
    expect(await complete(setup, "dial3cx call love")).toEqual(["Ada Lovelace"]);
    expect(await complete(setup, "dial3cx call mül")).toEqual(["Jürgen Müller"]);
    expect(await complete(setup, 'dial3cx call "seán o')).toEqual(["Seán O'Brien"]);
    // A known limitation (README, completion): fish filters the candidates again by its own
    // matching (prefix, substring, subsequence, ignoring case but not accents) and has no way to
    // turn that off, so the search's Müller for `mul` is dropped.
    expect(await complete(setup, "dial3cx call mul")).toEqual([]);
    expect(await complete(setup, "dial3cx call --wa")).toEqual(["--wait"]);
    expect(await setup.runs()).toEqual([
      "contacts search --dmenu -- ada",
      "contacts search --dmenu -- love",
      "contacts search --dmenu -- mül",
      "contacts search --dmenu -- seán o",
      "contacts search --dmenu -- mul",
    ]);
  });
});

describe.runIf(haveZsh).concurrent("zsh completion", () => {
  /**
   * Types `line` and Tab twice into an interactive zsh on a pseudo-terminal and returns what it
   * shows once that matches the zsh glob `until` (or after 5 s). A real shell with compinit.
   */
  async function complete(setup: Setup, line: string, until: string): Promise<string> {
    const driver = join(setup.home.dir, "drive.zsh");
    await writeFile(
      driver,
      [
        "zmodload zsh/zpty",
        "zpty z 'TERM=dumb zsh -f -i'",
        `zpty -w z 'PS1="READY> "; autoload -Uz compinit; compinit -u -D; source ${setup.script}; setopt NO_BEEP; LISTMAX=1000'`,
        `zpty -n -w z "$1"$'\\t\\t'`,
        "local out chunk; integer i",
        "for (( i = 0; i < 100; i++ )); do",
        "  zpty -r -t z chunk && out+=$chunk",
        "  [[ $out == ${~2} ]] && break",
        "  sleep 0.05",
        "done",
        'print -r -- "$out"',
        "zpty -d z",
      ].join("\n"),
    );
    const { stdout } = await run("zsh", ["-f", driver, line, until], {
      env: setup.env,
      timeout: 15_000,
    });
    // Drop terminal controls and carriage returns, and apply backspaces (the dumb terminal's way
    // of replacing the word typed).
    // biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are what it drops.
    const text = stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "\n");
    const screen: string[] = [];
    let cursor = 0;
    for (const char of text) {
      if (char === "\b") cursor = Math.max(0, cursor - 1);
      else if (char === "\n") {
        screen.push(char);
        cursor = screen.length;
      } else screen[cursor++] = char;
    }
    return screen.join("");
  }

  test("passes zsh -n and registers itself with compinit", async ({ expect, onTestFinished }) => {
    const setup = await setUp("zsh", onTestFinished);
    await run("zsh", ["-n", setup.script]);
    const { stdout } = await run(
      "zsh",
      [
        "-f",
        "-c",
        `autoload -Uz compinit && compinit -u -D; source ${setup.script}; print -r -- $_comps[dial3cx]`,
      ],
      { env: setup.env },
    );
    expect(stdout.trim()).toBe("_dial3cx");
  });

  test("completes handler actions, --with pickers and contact names", async ({
    expect,
    onTestFinished,
  }) => {
    const setup = await setUp("zsh", onTestFinished);
    const actions = await complete(setup, "dial3cx handler ", "*install*status*uninstall*");
    expect(actions).toMatch(/install\s+status\s+uninstall/);
    const pickers = await complete(setup, "dial3cx pick --with ", "*dmenu*fzf*rofi*");
    expect(pickers).toMatch(/dmenu\s+fzf\s+rofi/);
    const contact = await complete(setup, "dial3cx call Ad", "*Ada\\ Lovelace*");
    expect(contact).toContain("dial3cx call Ada\\ Lovelace");
  });

  test("completes contact names as search finds them: case and accents folded", async ({
    expect,
    onTestFinished,
  }) => {
    const setup = await setUp("zsh", onTestFinished);
    const ada = await complete(setup, "dial3cx call ada", "*Ada\\ Lovelace*");
    expect(ada).toContain("dial3cx call Ada\\ Lovelace");
    const muller = await complete(setup, "dial3cx call mul", "*J*rgen\\ M*ller*");
    expect(muller).toContain("dial3cx call Jürgen\\ Müller");
    const obrien = await complete(setup, "dial3cx call obri", "*Se*n\\ O\\\\\\'Brien*");
    expect(obrien).toContain("dial3cx call Seán\\ O\\'Brien");
    const flag = await complete(setup, "dial3cx call --wa", "*--wait*");
    expect(flag).toContain("dial3cx call --wait");
    // No names for a flag (zsh asks for the argument too); the second Tab after `--wait ` may.
    expect((await setup.runs()).slice(0, 3)).toEqual([
      "contacts search --dmenu -- ada",
      "contacts search --dmenu -- mul",
      "contacts search --dmenu -- obri",
    ]);
    expect((await setup.runs()).filter((run) => run.includes("-- -"))).toEqual([]);
  });
});
