// The fish completion script: `complete` lines per command, each guarded by a function that works
// out the command path being completed.

import {
  allCommands,
  type CommandSpec,
  header,
  lookupPipelines,
  optionNames,
  pathKey,
  type ScriptOptions,
  type ValueSpec,
} from "./candidates.js";

/** A fish single-quoted string. */
function fishQuote(text: string): string {
  return `'${text.replace(/[\\']/g, "\\$&")}'`;
}

export function fishScript(spec: CommandSpec, options: ScriptOptions): string {
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
    // fish filters what it is offered by its own matching (case-insensitive prefix, substring,
    // subsequence) without folding diacritics: `call ada` offers Ada Lovelace, but `call mul`
    // cannot offer Jürgen Müller (`call mül` does). See the README's completion section.
    "function __dial3cx_contacts",
    "    set -l word (commandline -ct | string unescape)",
    "    string match -q -r -- '^[-0-9+*#]' \"$word\"; and return 0",
    `    __dial3cx_timeout ${lookups.contacts('"$word"')}`,
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
