// What can be completed where: the command tree read from commander (commands, options, value
// kinds, arguments), the name lookups (devices, contacts) and the shell text all writers share.

export type Shell = "bash" | "zsh" | "fish";
export const SHELLS: readonly Shell[] = ["bash", "zsh", "fish"];

/** What can follow an option or stand for an argument. */
export type ValueSpec =
  | { kind: "text"; label: string }
  | { kind: "choices"; choices: string[] }
  | { kind: "files" }
  | { kind: "devices" }
  | { kind: "contacts" };

export interface OptionSpec {
  short?: string;
  long?: string;
  description: string;
  /** Undefined for a flag without a value. */
  value?: ValueSpec;
}

export interface ArgumentSpec {
  name: string;
  required: boolean;
  variadic: boolean;
  value: ValueSpec;
}

export interface CommandSpec {
  name: string;
  description: string;
  /** Names from the program down, without the program's: [] for the program, ["contacts", "search"]. */
  path: string[];
  options: OptionSpec[];
  args: ArgumentSpec[];
  commands: CommandSpec[];
}

/** The parts of a commander Command the generator reads (structural, so any flavour fits). */
export interface CommandLike {
  name(): string;
  description(): string;
  readonly commands: readonly CommandLike[];
  readonly options: readonly OptionLike[];
  readonly registeredArguments: readonly ArgumentLike[];
}

interface OptionLike {
  flags: string;
  description: string;
  short?: string;
  long?: string;
  required: boolean;
  optional: boolean;
  hidden: boolean;
  argChoices?: string[];
}

interface ArgumentLike {
  name(): string;
  required: boolean;
  variadic: boolean;
  argChoices?: string[];
}

/** Arguments whose values are contact names: "<command path> <argument name>". */
const CONTACT_ARGUMENTS = new Set(["call number"]);

const HELP_OPTION: OptionSpec = {
  short: "-h",
  long: "--help",
  description: "display help for command",
};

export function commandSpec(program: CommandLike): CommandSpec {
  const spec = toSpec(program, []);
  // commander's implicit `help [command]`.
  if (spec.commands.length > 0 && !spec.commands.some((c) => c.name === "help")) {
    spec.commands.push({
      name: "help",
      description: "display help for command",
      path: ["help"],
      options: [],
      args: [
        {
          name: "command",
          required: false,
          variadic: false,
          value: { kind: "choices", choices: spec.commands.map((c) => c.name) },
        },
      ],
      commands: [],
    });
  }
  return spec;
}

function toSpec(command: CommandLike, path: string[]): CommandSpec {
  const options = command.options.filter((o) => !o.hidden).map(optionSpec);
  if (!options.some((o) => o.long === "--help")) options.push(HELP_OPTION);
  return {
    name: command.name(),
    description: oneLine(command.description()),
    path,
    options,
    args: command.registeredArguments.map((a) => argumentSpec(a, path)),
    commands: command.commands.map((c) => toSpec(c, [...path, c.name()])),
  };
}

function optionSpec(option: OptionLike): OptionSpec {
  const spec: OptionSpec = { description: oneLine(option.description) };
  if (option.short) spec.short = option.short;
  if (option.long) spec.long = option.long;
  if (option.required || option.optional) spec.value = optionValue(option);
  return spec;
}

function optionValue(option: OptionLike): ValueSpec {
  if (option.argChoices?.length) return { kind: "choices", choices: [...option.argChoices] };
  if (option.long === "--device") return { kind: "devices" };
  const placeholder = /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1] ?? "value";
  if (/^(file|path)$/.test(placeholder)) return { kind: "files" };
  return { kind: "text", label: placeholder.replace(/[^A-Za-z0-9-]+/g, "-").replace(/-+$/, "") };
}

function argumentSpec(argument: ArgumentLike, path: string[]): ArgumentSpec {
  const name = argument.name();
  let value: ValueSpec = { kind: "text", label: name };
  if (argument.argChoices?.length) value = { kind: "choices", choices: [...argument.argChoices] };
  else if (CONTACT_ARGUMENTS.has(`${path.join(" ")} ${name}`)) value = { kind: "contacts" };
  // `call`'s words are variadic only so that an unquoted number works; a completed name is one
  // quoted word, and names after a number would be wrong.
  const variadic = argument.variadic && value.kind !== "contacts";
  return { name, required: argument.required, variadic, value };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** Every command of the tree, the program first. */
export function allCommands(spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.commands.flatMap(allCommands)];
}

export function optionNames(option: OptionSpec): string[] {
  return [option.short, option.long].filter((name): name is string => name !== undefined);
}

export interface ScriptOptions {
  /** The session cache: device names are looked up only when it exists. */
  cacheFile: string;
  version: string;
}

// ---------------------------------------------------------------------------------------------
// Shared shell text

/** A word in single quotes for bash, zsh and POSIX sh. */
export function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The path as the scripts key it: command names joined by spaces, "" for the program. */
export function pathKey(spec: CommandSpec): string {
  return spec.path.join(" ");
}

/**
 * The pipelines that list device and contact names, one per line (POSIX sh syntax, which fish
 * reads too). Contacts are those `contacts search` finds for `word` (a shell expression for the
 * word being completed, unquoted): the search folds case and diacritics, so `mul` gets Müller,
 * and the scripts offer these names without filtering them by prefix again.
 */
export function lookupPipelines(options: ScriptOptions) {
  return {
    devices: `dial3cx devices --json 2>/dev/null | grep -o '"name":"[^"]*"' | cut -d'"' -f4`,
    contacts: (word: string) =>
      `dial3cx contacts search --dmenu -- ${word} 2>/dev/null | awk -F '\\t' '!seen[$1]++ { print $1 }'`,
    cacheFile: options.cacheFile,
  };
}

export function header(shell: Shell, options: ScriptOptions, load: string): string[] {
  return [
    `# ${shell} completion for dial3cx ${options.version}, generated by \`dial3cx completion ${shell}\`.`,
    `# ${load}`,
    "",
  ];
}
