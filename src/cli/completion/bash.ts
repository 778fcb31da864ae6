// The bash completion script: case tables per command path and a word-walking _dial3cx function.

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are shell code, whose ${…} is the shell's.

import {
  allCommands,
  type CommandSpec,
  header,
  lookupPipelines,
  optionNames,
  pathKey,
  type ScriptOptions,
  shQuote,
  type ValueSpec,
} from "./candidates.js";

export function bashScript(spec: CommandSpec, options: ScriptOptions): string {
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
    "# The word being completed as the name it starts: without typed escapes and opening quote.",
    "__dial3cx_word() {",
    '  __dial3cx_name="${__dial3cx_cur//\\\\/}"',
    '  __dial3cx_name="${__dial3cx_name#[\\"\\\']}"',
    "}",
    "",
    "# Names one per line on stdin: those starting with the word being completed (all of them with",
    "# $1 = all: contact names, which the search matched folded, `mul` finding Müller).",
    "__dial3cx_reply_lines() {",
    "  local line __dial3cx_name",
    "  __dial3cx_word",
    "  compopt -o filenames 2>/dev/null",
    "  while IFS= read -r line; do",
    '    [[ -n $line && ($1 == all || $line == "$__dial3cx_name"*) ]] && COMPREPLY+=("$line")',
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
    "  local __dial3cx_name",
    "  __dial3cx_word",
    "  [[ $__dial3cx_name == [-0-9+*#]* ]] && return 0",
    `  __dial3cx_timeout ${lookups.contacts('"$__dial3cx_name"')}`,
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
      return "__dial3cx_reply_lines all < <(__dial3cx_contacts)";
    case "text":
      return ":";
  }
}
