// Shell completion scripts for bash, zsh and fish, generated from the commander command tree, so
// commands, flags and fixed values (handler actions, --with pickers, shells…) never drift from
// the CLI. Two kinds of values are looked up when completing: device names (`dial3cx devices
// --json`, only when a session is cached, at most 3 s, silent on failure) and contact names for
// `call` (`dial3cx contacts search --dmenu ""`, likewise bounded and silent).
//
// Decisions:
// - Options whose value placeholder is <file> or <path> complete file names; --device completes
//   device names; other values are free text.
// - A contact name is offered only while the word does not start like a number (digit, +, *, #).
// - The scripts are static text: regenerate them after an upgrade (or load them with
//   `source <(dial3cx completion bash)` from the shell's rc file, which always matches).

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are shell code, whose ${…} is the shell's.

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
function allCommands(spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.commands.flatMap(allCommands)];
}

function optionNames(option: OptionSpec): string[] {
  return [option.short, option.long].filter((name): name is string => name !== undefined);
}

export interface ScriptOptions {
  /** The session cache: device names are looked up only when it exists. */
  cacheFile: string;
  version: string;
}

export function completionScript(shell: Shell, program: CommandLike, options: ScriptOptions) {
  const spec = commandSpec(program);
  switch (shell) {
    case "bash":
      return bashScript(spec, options);
    case "zsh":
      return zshScript(spec, options);
    case "fish":
      return fishScript(spec, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Shared shell text

/** A word in single quotes for bash, zsh and POSIX sh. */
function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The path as the scripts key it: command names joined by spaces, "" for the program. */
function pathKey(spec: CommandSpec): string {
  return spec.path.join(" ");
}

/** The pipelines that list device and contact names, one per line (POSIX sh syntax). */
function lookupPipelines(options: ScriptOptions) {
  return {
    devices: `dial3cx devices --json 2>/dev/null | grep -o '"name":"[^"]*"' | cut -d'"' -f4`,
    contacts: `dial3cx contacts search --dmenu "" 2>/dev/null | cut -f1 | sort -u`,
    cacheFile: options.cacheFile,
  };
}

function header(shell: Shell, options: ScriptOptions, load: string): string[] {
  return [
    `# ${shell} completion for dial3cx ${options.version}, generated by \`dial3cx completion ${shell}\`.`,
    `# ${load}`,
    "",
  ];
}

// ---------------------------------------------------------------------------------------------
// bash

function bashScript(spec: CommandSpec, options: ScriptOptions): string {
  const commands = allCommands(spec);
  const lookups = lookupPipelines(options);
  const caseLines = (entries: Array<[string, string]>, indent = "    "): string[] =>
    entries.map(([pattern, body]) => `${indent}${pattern}) ${body} ;;`);

  const subcommands = commands
    .filter((c) => c.commands.length > 0)
    .map((c): [string, string] => [
      shQuote(pathKey(c)),
      `echo ${c.commands.map((s) => s.name).join(" ")}`,
    ]);
  const optionLists = commands.map((c): [string, string] => [
    shQuote(pathKey(c)),
    `echo ${c.options.flatMap(optionNames).join(" ")}`,
  ]);
  const valued = commands.flatMap((c) =>
    c.options
      .filter((o) => o.value)
      .flatMap(optionNames)
      .map((name) => shQuote(`${pathKey(c)}|${name}`)),
  );
  const optionValues = commands.flatMap((c) =>
    c.options
      .filter((o) => o.value && o.value.kind !== "text")
      .map((o): [string, string] => [
        optionNames(o)
          .map((name) => shQuote(`${pathKey(c)}|${name}`))
          .join("|"),
        bashValues(o.value!),
      ]),
  );
  const argumentValues = commands.flatMap((c) =>
    c.args.flatMap(
      (a, index): Array<[string, string]> =>
        a.value.kind === "text"
          ? []
          : [
              [
                shQuote(`${pathKey(c)}|${a.variadic ? "*" : index}`).replace(/\*'$/, "'*"),
                bashValues(a.value),
              ],
            ],
    ),
  );

  return [
    ...header("bash", options, "Load it with `source <(dial3cx completion bash)` in ~/.bashrc."),
    "__dial3cx_subcommands() {",
    '  case "$1" in',
    ...caseLines(subcommands),
    "  esac",
    "}",
    "",
    "__dial3cx_options() {",
    '  case "$1" in',
    ...caseLines(optionLists),
    "  esac",
    "}",
    "",
    "# Succeeds when option $2 of command path $1 takes a value.",
    "__dial3cx_takes_value() {",
    '  case "$1|$2" in',
    `    ${valued.join("|") || "''"}) return 0 ;;`,
    "  esac",
    "  return 1",
    "}",
    "",
    "# Names one per line on stdin: those starting with the word being completed.",
    "__dial3cx_reply_lines() {",
    "  local line word",
    // Typed escapes and an opening quote are not part of the name.
    '  word="${__dial3cx_cur//\\\\/}"',
    '  word="${word#[\\"\\\']}"',
    "  compopt -o filenames 2>/dev/null",
    "  while IFS= read -r line; do",
    '    [[ -n $line && $line == "$word"* ]] && COMPREPLY+=("$line")',
    "  done",
    "}",
    "",
    "__dial3cx_reply_words() {",
    "  local IFS=$'\\n'",
    '  COMPREPLY+=($(compgen -W "$*" -- "$__dial3cx_cur"))',
    "}",
    "",
    "__dial3cx_reply_files() {",
    "  local line",
    "  compopt -o filenames 2>/dev/null",
    '  while IFS= read -r line; do COMPREPLY+=("$line"); done < <(compgen -f -- "$__dial3cx_cur")',
    "}",
    "",
    "__dial3cx_timeout() {",
    '  if command -v timeout >/dev/null 2>&1; then timeout 3 "$@"; else "$@"; fi',
    "}",
    "",
    "__dial3cx_devices() {",
    `  [[ -f ${shQuote(lookups.cacheFile)} ]] || return 0`,
    `  __dial3cx_timeout ${lookups.devices}`,
    "}",
    "",
    "__dial3cx_contacts() {",
    "  [[ $__dial3cx_cur == [0-9+*#]* ]] && return 0",
    `  __dial3cx_timeout ${lookups.contacts}`,
    "}",
    "",
    "__dial3cx_option_values() {",
    '  case "$1|$2" in',
    ...caseLines(optionValues),
    "  esac",
    "}",
    "",
    "__dial3cx_argument_values() {",
    '  case "$1|$2" in',
    ...caseLines(argumentValues),
    "  esac",
    "}",
    "",
    "_dial3cx() {",
    '  local __dial3cx_cur="${COMP_WORDS[COMP_CWORD]}" path="" argc=0 skip=0 i word option=""',
    "  COMPREPLY=()",
    "  for ((i = 1; i < COMP_CWORD; i++)); do",
    '    word="${COMP_WORDS[i]}"',
    "    if ((skip > 0)); then",
    "      skip=$((skip - 1))",
    "      continue",
    "    fi",
    "    if [[ $word == -* ]]; then",
    '      if __dial3cx_takes_value "$path" "$word"; then',
    // --opt=value arrives as three words: --opt, =, value.
    '        if [[ ${COMP_WORDS[i + 1]} == "=" ]]; then skip=2; else skip=1; fi',
    '        option="$word"',
    "      fi",
    "      continue",
    "    fi",
    '    if ((argc == 0)) && [[ " $(__dial3cx_subcommands "$path") " == *" $word "* ]]; then',
    '      path="${path:+$path }$word"',
    "      continue",
    "    fi",
    "    argc=$((argc + 1))",
    "  done",
    '  if [[ $__dial3cx_cur == "=" ]]; then',
    '    __dial3cx_cur=""',
    '    __dial3cx_option_values "$path" "${COMP_WORDS[COMP_CWORD - 1]}"',
    '  elif [[ ${COMP_WORDS[COMP_CWORD - 1]} == "=" ]]; then',
    '    __dial3cx_option_values "$path" "${COMP_WORDS[COMP_CWORD - 2]}"',
    "  elif ((skip > 0)); then",
    '    __dial3cx_option_values "$path" "$option"',
    "  elif [[ $__dial3cx_cur == -* ]]; then",
    '    __dial3cx_reply_words $(__dial3cx_options "$path")',
    "  else",
    '    ((argc == 0)) && __dial3cx_reply_words $(__dial3cx_subcommands "$path")',
    '    __dial3cx_argument_values "$path" "$argc"',
    "  fi",
    "  return 0",
    "}",
    "",
    "complete -F _dial3cx dial3cx",
    "",
  ].join("\n");
}

function bashValues(value: ValueSpec): string {
  switch (value.kind) {
    case "choices":
      return `__dial3cx_reply_words ${value.choices.map(shQuote).join(" ")}`;
    case "files":
      return "__dial3cx_reply_files";
    case "devices":
      return "__dial3cx_reply_lines < <(__dial3cx_devices)";
    case "contacts":
      return "__dial3cx_reply_lines < <(__dial3cx_contacts)";
    case "text":
      return ":";
  }
}

// ---------------------------------------------------------------------------------------------
// zsh

function zshFunction(spec: CommandSpec): string {
  return `__dial3cx_cmd${spec.path.map((name) => `_${name.replace(/[^A-Za-z0-9]/g, "_")}`).join("")}`;
}

/** Text inside an _arguments [description]: brackets and quotes escaped, in single quotes. */
function zshDescription(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/[[\]]/g, "\\$&").replace(/'/g, `'\\''`);
}

/** A message or label after a colon: no colons. */
function zshLabel(text: string): string {
  return text.replace(/:/g, " ").replace(/'/g, "");
}

function zshAction(value: ValueSpec): string {
  switch (value.kind) {
    case "choices":
      return `(${value.choices.map((c) => c.replace(/[\s()\\']/g, "\\$&")).join(" ")})`;
    case "files":
      return "_files";
    case "devices":
      return "__dial3cx_devices";
    case "contacts":
      return "__dial3cx_contacts";
    case "text":
      return " ";
  }
}

function zshValueLabel(value: ValueSpec, fallback: string): string {
  if (value.kind === "text") return zshLabel(value.label);
  if (value.kind === "devices") return "device";
  if (value.kind === "contacts") return "contact";
  if (value.kind === "files") return "file";
  return zshLabel(fallback);
}

function zshOptionSpecs(option: OptionSpec): string[] {
  const names = optionNames(option);
  const description = zshDescription(option.description);
  const exclusive = names.length > 1 ? `'(${names.join(" ")})'` : "";
  const value = option.value
    ? `:${zshValueLabel(option.value, option.long ?? "value")}:${zshAction(option.value)}`
    : "";
  // `--opt=`: the value may follow as the next word or after "=".
  const suffix = option.value ? "=" : "";
  const withSuffix = names.map((name) => (name.startsWith("--") ? `${name}${suffix}` : name));
  const brace = withSuffix.length > 1 ? `{${withSuffix.join(",")}}` : withSuffix[0];
  return [`${exclusive}${brace}'[${description}]${value.replace(/'/g, "")}'`];
}

function zshArgumentSpec(argument: ArgumentSpec, index: number): string {
  const label = zshValueLabel(argument.value, argument.name);
  const position = argument.variadic ? "*" : String(index + 1);
  const optional = argument.required || argument.variadic ? "" : ":";
  return `'${position}:${optional}${label}:${zshAction(argument.value)}'`;
}

function zshCommandFunction(spec: CommandSpec): string[] {
  const name = zshFunction(spec);
  const optionSpecs = spec.options.flatMap(zshOptionSpecs);
  if (spec.commands.length === 0) {
    const specs = [...optionSpecs, ...spec.args.map(zshArgumentSpec)];
    return [`${name}() {`, `  _arguments -s -S \\`, ...continued(specs, "    "), "}", ""];
  }
  const list = spec.commands.map(
    (c) => `    ${shQuote(`${c.name.replace(/:/g, "\\:")}:${c.description}`)}`,
  );
  const cases = spec.commands.map((c) => `        ${c.name}) ${zshFunction(c)} && ret=0 ;;`);
  return [
    `${name}() {`,
    '  local curcontext="$curcontext" state state_descr line ret=1',
    "  typeset -A opt_args",
    `  _arguments -C -s -S \\`,
    ...continued([...optionSpecs, `'1: :${name}__list'`, `'*:: :->command'`], "    "),
    "  ret=$?",
    "  case $state in",
    "    command)",
    `      curcontext="\${curcontext%:*:*}:dial3cx-$words[1]:"`,
    "      case $words[1] in",
    ...cases,
    "      esac",
    "      ;;",
    "  esac",
    "  return ret",
    "}",
    "",
    `${name}__list() {`,
    "  local -a commands",
    "  commands=(",
    ...list,
    "  )",
    `  _describe -t commands 'dial3cx command' commands`,
    "}",
    "",
  ];
}

/** Lines joined as one command continued with backslashes. */
function continued(parts: string[], indent: string): string[] {
  return parts.map((part, i) => `${indent}${part}${i < parts.length - 1 ? " \\" : ""}`);
}

function zshScript(spec: CommandSpec, options: ScriptOptions): string {
  const lookups = lookupPipelines(options);
  return [
    "#compdef dial3cx",
    ...header(
      "zsh",
      options,
      "Load it with `source <(dial3cx completion zsh)` after compinit, or save it as _dial3cx on $fpath.",
    ),
    "__dial3cx_timeout() {",
    '  if (( $+commands[timeout] )); then timeout 3 "$@"; else "$@"; fi',
    "}",
    "",
    "__dial3cx_devices() {",
    "  local -a names",
    `  [[ -f ${shQuote(lookups.cacheFile)} ]] || return 1`,
    `  names=(\${(f)"$(__dial3cx_timeout ${lookups.devices})"})`,
    "  names=(${names:#})",
    "  (( $#names )) || return 1",
    "  _wanted devices expl device compadd -a names",
    "}",
    "",
    "__dial3cx_contacts() {",
    "  local -a names",
    "  [[ $PREFIX == [0-9+*#]* ]] && return 1",
    `  names=(\${(f)"$(__dial3cx_timeout ${lookups.contacts})"})`,
    "  names=(${names:#})",
    "  (( $#names )) || return 1",
    "  _wanted contacts expl contact compadd -a names",
    "}",
    "",
    ...allCommands(spec).flatMap(zshCommandFunction),
    "_dial3cx() {",
    `  ${zshFunction(spec)} "$@"`,
    "}",
    "",
    // Autoloaded from $fpath, the file is the function's body; sourced, it registers itself.
    "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then",
    '  _dial3cx "$@"',
    "else",
    "  compdef _dial3cx dial3cx",
    "fi",
    "",
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// fish

/** A fish single-quoted string. */
function fishQuote(text: string): string {
  return `'${text.replace(/[\\']/g, "\\$&")}'`;
}

function fishScript(spec: CommandSpec, options: ScriptOptions): string {
  const commands = allCommands(spec);
  const lookups = lookupPipelines(options);
  const subcommandCases = commands
    .filter((c) => c.commands.length > 0)
    .flatMap((c) => [
      `        case ${fishQuote(pathKey(c))}`,
      `            printf '%s\\n' ${c.commands.map((s) => fishQuote(s.name)).join(" ")}`,
    ]);
  const valued = commands.flatMap((c) =>
    c.options
      .filter((o) => o.value)
      .flatMap(optionNames)
      .map((name) => fishQuote(`${pathKey(c)} ${name}`)),
  );
  const completions = commands.flatMap((c) => fishCompletions(c));
  return [
    ...header(
      "fish",
      options,
      "Load it with `dial3cx completion fish | source`, or save it as ~/.config/fish/completions/dial3cx.fish.",
    ),
    "function __dial3cx_subcommands --argument-names path",
    '    switch "$path"',
    ...subcommandCases,
    "    end",
    "end",
    "",
    "function __dial3cx_takes_value --argument-names path option",
    '    switch "$path $option"',
    `        case ${valued.join(" ") || "''"}`,
    "            return 0",
    "    end",
    "    return 1",
    "end",
    "",
    "# Prints the number of arguments after the command, then the command path.",
    "function __dial3cx_state",
    "    set -l tokens (commandline -opc)",
    "    set -e tokens[1]",
    "    set -l path ''",
    "    set -l argc 0",
    "    set -l skip 0",
    "    for token in $tokens",
    "        if test $skip -eq 1",
    "            set skip 0",
    "            continue",
    "        end",
    "        if string match -q -- '-*' $token",
    '            if not string match -q -- "*=*" $token; and __dial3cx_takes_value "$path" $token',
    "                set skip 1",
    "            end",
    "            continue",
    "        end",
    '        if test $argc -eq 0; and contains -- $token (__dial3cx_subcommands "$path")',
    '            set path (string trim -- "$path $token")',
    "            continue",
    "        end",
    "        set argc (math $argc + 1)",
    "    end",
    "    echo $argc",
    "    echo $path",
    "end",
    "",
    "# Succeeds when completing in command path $want (and, if given, at argument number $argc).",
    "function __dial3cx_at --argument-names want argc",
    "    set -l state (__dial3cx_state)",
    '    test "$state[2]" = "$want"; or return 1',
    '    test -z "$argc"; or test "$state[1]" = "$argc"',
    "end",
    "",
    "function __dial3cx_timeout",
    "    if command -q timeout",
    "        timeout 3 $argv",
    "    else",
    "        $argv",
    "    end",
    "end",
    "",
    "function __dial3cx_devices",
    `    test -f ${fishQuote(lookups.cacheFile)}; or return 0`,
    `    __dial3cx_timeout ${lookups.devices}`,
    "end",
    "",
    "function __dial3cx_contacts",
    "    string match -q -r -- '^[0-9+*#]' (commandline -ct); and return 0",
    `    __dial3cx_timeout ${lookups.contacts}`,
    "end",
    "",
    "complete -c dial3cx -f",
    ...completions,
    "",
  ].join("\n");
}

function fishCompletions(spec: CommandSpec): string[] {
  const where = (argc?: number) =>
    `-n ${fishQuote(`__dial3cx_at ${fishQuote(pathKey(spec))}${argc === undefined ? "" : ` ${argc}`}`)}`;
  const lines: string[] = [];
  for (const sub of spec.commands) {
    lines.push(
      `complete -c dial3cx ${where(0)} -a ${fishQuote(sub.name)} -d ${fishQuote(sub.description)}`,
    );
  }
  for (const option of spec.options) {
    const names = [
      option.short ? `-s ${option.short.slice(1)}` : "",
      option.long ? `-l ${option.long.slice(2)}` : "",
    ].filter(Boolean);
    const value = option.value ? ` ${fishValue(option.value, true)}` : "";
    lines.push(
      `complete -c dial3cx ${where()} ${names.join(" ")}${value} -d ${fishQuote(option.description)}`,
    );
  }
  spec.args.forEach((argument, index) => {
    if (argument.value.kind === "text") return;
    const position = argument.variadic ? undefined : index;
    lines.push(`complete -c dial3cx ${where(position)} ${fishValue(argument.value, false)}`);
  });
  return lines;
}

function fishValue(value: ValueSpec, forOption: boolean): string {
  const requires = forOption ? "-x " : "";
  switch (value.kind) {
    case "choices":
      return `${requires}-a ${fishQuote(value.choices.join(" "))}`;
    case "files":
      return forOption ? "-r -F" : "-F";
    case "devices":
      return `${requires}-a '(__dial3cx_devices)'`;
    case "contacts":
      return `${requires}-a '(__dial3cx_contacts)'`;
    case "text":
      return forOption ? "-x" : "";
  }
}
