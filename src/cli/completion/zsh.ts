// The zsh completion script: one _arguments function per command, loadable by `source` or from
// $fpath.

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are shell code, whose ${…} is the shell's.

import {
  type ArgumentSpec,
  allCommands,
  type CommandSpec,
  header,
  lookupPipelines,
  type OptionSpec,
  optionNames,
  type ScriptOptions,
  shQuote,
  type ValueSpec,
} from "./candidates.js";

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

export function zshScript(spec: CommandSpec, options: ScriptOptions): string {
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
    // The search folds case and diacritics, so its names are offered as they are (-U): `mul`
    // becomes Müller although "Jürgen Müller" does not start with it.
    "__dial3cx_contacts() {",
    "  local -a names",
    "  local word=${(Q)PREFIX}",
    "  [[ $word == [-0-9+*#]* ]] && return 1",
    `  names=(\${(f)"$(__dial3cx_timeout ${lookups.contacts('"$word"')})"})`,
    "  names=(${names:#})",
    "  (( $#names )) || return 1",
    "  _wanted contacts expl contact compadd -U -a names",
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
