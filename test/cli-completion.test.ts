// End to end: `dial3cx completion bash|zsh|fish` from the built CLI, each script loaded into its
// real shell and asked to complete: commands, flags, fixed values (handler actions, --with
// pickers), device names (only with a cached session) and contact names, the last two from a
// stand-in `dial3cx` on PATH. zsh is driven through a pseudo-terminal (zsh/zpty).
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are shell code.
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { describe, test } from "vitest";
import { makeHome, runCli, type TempHome } from "./cli-helpers.js";

const run = promisify(execFile);
const have = async (shell: string) =>
  run(shell, ["-c", "exit 0"]).then(
    () => true,
    () => false,
  );
const [haveBash, haveZsh, haveFish] = await Promise.all(["bash", "zsh", "fish"].map(have));

/** A `dial3cx` that answers the two lookups the scripts make. */
const STUB = `#!/bin/sh
case "$*" in
  "devices --json") echo '[{"id":"1","name":"Yealink T46S","kind":"desk-phone"},{"id":"2","name":"3CX app (Windows)","kind":"softphone"}]' ;;
  "contacts search --dmenu ") printf 'Ada Lovelace\\twork\\t+49 30 123456\\nJürgen Müller\\twork\\t089 1234567\\nJürgen Müller\\tmobile\\t0171 2345678\\n' ;;
  *) exit 1 ;;
esac
`;

interface Setup {
  home: TempHome;
  script: string;
  env: NodeJS.ProcessEnv;
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
  await writeFile(join(bin, "dial3cx"), STUB, { mode: 0o755 });
  if (cached) {
    await mkdir(dirname(home.cacheFile), { recursive: true });
    await writeFile(home.cacheFile, "{}");
  }
  return { home, script, env: { ...home.env, PATH: `${bin}:${process.env.PATH}` } };
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
    // Drop terminal controls and carriage returns.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are what it drops.
    return stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "\n");
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
});
