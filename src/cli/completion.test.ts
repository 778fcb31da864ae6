import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Argument, Command, Option } from "@commander-js/extra-typings";
import { afterEach, describe, expect, it } from "vitest";
import { commandSpec, completionScript, SHELLS } from "./completion/index.js";

const run = promisify(execFile);
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function program(description = "Ring your phone") {
  const root = new Command("dial3cx").version("1.0.0", "-V, --version");
  root
    .command("call")
    .description(description)
    .argument("<number>", "what to call")
    .option("--device <name>", "which device")
    .option("--ca <file>", "CA file")
    .option("--wait", "follow the call")
    .option("--no-gateway", "not through the gateway");
  root.command("secret").option("--hidden-one").addOption(new Option("--x <y>").hideHelp());
  root
    .command("handler")
    .addArgument(new Argument("<action>").choices(["install", "uninstall", "status"]))
    .addOption(new Option("--with <picker>").choices(["fzf", "rofi"]));
  const contacts = root.command("contacts").description("Contacts");
  contacts.command("search").argument("[text...]");
  return root;
}

describe("commandSpec", () => {
  it("reads commands, options, value kinds and arguments from commander", () => {
    const spec = commandSpec(program());
    expect(spec.options.map((o) => [o.short, o.long])).toEqual([
      ["-V", "--version"],
      ["-h", "--help"],
    ]);
    const call = spec.commands.find((c) => c.name === "call")!;
    expect(call.path).toEqual(["call"]);
    expect(call.options).toEqual([
      { long: "--device", description: "which device", value: { kind: "devices" } },
      { long: "--ca", description: "CA file", value: { kind: "files" } },
      { long: "--wait", description: "follow the call" },
      { long: "--no-gateway", description: "not through the gateway" },
      { short: "-h", long: "--help", description: "display help for command" },
    ]);
    expect(call.args).toEqual([
      { name: "number", required: true, variadic: false, value: { kind: "contacts" } },
    ]);
    const handler = spec.commands.find((c) => c.name === "handler")!;
    expect(handler.args[0]!.value).toEqual({
      kind: "choices",
      choices: ["install", "uninstall", "status"],
    });
    expect(handler.options[0]!.value).toEqual({ kind: "choices", choices: ["fzf", "rofi"] });
    const secret = spec.commands.find((c) => c.name === "secret")!;
    expect(secret.options.map((o) => o.long)).toEqual(["--hidden-one", "--help"]);
    const search = spec.commands.find((c) => c.name === "contacts")!.commands[0]!;
    expect(search.path).toEqual(["contacts", "search"]);
    expect(search.args[0]).toMatchObject({ variadic: true, required: false });
  });

  it("adds commander's help command, completing command names", () => {
    const help = commandSpec(program()).commands.at(-1)!;
    expect(help.name).toBe("help");
    expect(help.args[0]!.value).toEqual({
      kind: "choices",
      choices: ["call", "secret", "handler", "contacts"],
    });
  });
});

describe("completionScript", () => {
  const hostile = `Ring 'your' "phone" [now]: $(touch /tmp/pwned) \`id\` \\ ok`;

  it.for(SHELLS)("%s: descriptions with quotes and brackets still parse", async (shell) => {
    const available = await run(shell, ["-c", "exit 0"]).then(
      () => true,
      () => false,
    );
    if (!available) return;
    const dir = await mkdtemp(path.join(tmpdir(), "dial3cx-completion-"));
    dirs.push(dir);
    const file = path.join(dir, `script.${shell}`);
    const script = completionScript(shell, program(hostile), {
      cacheFile: path.join(dir, "it's here", "session.json"),
      version: "1.0.0",
    });
    await writeFile(file, script);
    await run(shell, ["-n", file]);
  });

  it("bakes the session cache path in, quoted", () => {
    const script = completionScript("bash", program(), {
      cacheFile: "/home/o'brien/.local/state/dial3cx/session.json",
      version: "1.0.0",
    });
    expect(script).toContain(`[[ -f '/home/o'\\''brien/.local/state/dial3cx/session.json' ]]`);
    expect(script).toContain("complete -F _dial3cx dial3cx");
  });
});
