// Shell completion scripts for bash, zsh and fish, generated from the commander command tree, so
// commands, flags and fixed values (handler actions, --with pickers, shells…) never drift from
// the CLI. Two kinds of values are looked up when completing: device names (`dial3cx devices
// --json`, only when a session is cached, at most 3 s, silent on failure) and contact names for
// `call` (`dial3cx contacts search --dmenu -- <word>`, likewise bounded and silent).
//
// Decisions:
// - Options whose value placeholder is <file> or <path> complete file names; --device completes
//   device names; other values are free text.
// - A contact name is offered only while the word does not start like a number (digit, +, *, #)
//   or a flag (-). The word is passed to `contacts search`, whose folded matches are offered as
//   they are (`mul` → Jürgen Müller), in bash and zsh; fish filters them again by its own
//   matching, which does not fold accents.
// - The scripts are static text: regenerate them after an upgrade (or load them with
//   `source <(dial3cx completion bash)` from the shell's rc file, which always matches).

import { bashScript } from "./bash.js";
import { type CommandLike, commandSpec, type ScriptOptions, type Shell } from "./candidates.js";
import { fishScript } from "./fish.js";
import { zshScript } from "./zsh.js";

export {
  type ArgumentSpec,
  type CommandLike,
  type CommandSpec,
  commandSpec,
  type OptionSpec,
  type ScriptOptions,
  SHELLS,
  type Shell,
  type ValueSpec,
} from "./candidates.js";

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
