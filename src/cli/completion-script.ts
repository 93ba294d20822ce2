/**
 * Shell completion scripts for `slipway completion bash|zsh|fish`, written
 * from a description of the command line (completion-model.ts reads it off
 * the commander program). Release ids for `--to` and `--release` are asked of
 * `slipway completion releases` when the user presses Tab, so they are the
 * project's current ones.
 */

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

export interface CompletionOption {
  /** `--to`, `-n` */
  flags: string[];
  description: string;
  takesValue: boolean;
  /** Fixed values (`--strategy rolling|blue-green|canary`). */
  choices?: readonly string[];
  /** The value is a release id of the project. */
  releaseId?: boolean;
}

export interface CompletionCommand {
  /** `deploy`, or `env check` for a subcommand. */
  name: string;
  description: string;
  options: CompletionOption[];
  /** Fixed values of its argument (`completion bash|zsh|fish`). */
  values?: readonly string[];
}

export interface CompletionModel {
  globals: CompletionOption[];
  commands: CompletionCommand[];
}

/** The script for `shell`; `slipway completion bash` prints it. */
export function completionScript(shell: Shell, model: CompletionModel): string {
  if (shell === "fish") return fish(model);
  const body = bash(model);
  if (shell === "bash") return body;
  // zsh runs the bash function through its bash-compatible completion (as terraform and the az CLI do).
  return `#compdef slipway\n# slipway completion for zsh: eval "$(slipway completion zsh)" in ~/.zshrc\nautoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n${body}`;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const top = (model: CompletionModel) => [...new Set(model.commands.map((c) => c.name.split(" ")[0]!))];
const valueFlags = (options: CompletionOption[]) => options.filter((o) => o.takesValue).flatMap((o) => o.flags);

/** What Tab offers for an option's value in bash. */
function bashValue(o: CompletionOption): string {
  if (o.releaseId) return "_slipway_releases; return ;;";
  if (o.choices) return `COMPREPLY=($(compgen -W ${quote(o.choices.join(" "))} -- "$cur")); return ;;`;
  return `COMPREPLY=($(compgen -f -- "$cur")); return ;;`;
}

function bash(model: CompletionModel): string {
  const cases = top(model).map((name) => {
    const subs = model.commands.filter((c) => c.name.startsWith(`${name} `));
    const own = model.commands.find((c) => c.name === name);
    const words = [
      ...subs.map((c) => c.name.slice(name.length + 1)),
      ...(own?.values ?? []),
      ...(own?.options ?? []).flatMap((o) => o.flags),
      "--help",
    ];
    return `    ${name}) words=${quote(words.join(" "))} ;;`;
  });
  const subOptions = model.commands
    .filter((c) => c.name.includes(" "))
    .map((c) => `    ${quote(c.name)}) words=${quote([...c.options.flatMap((o) => o.flags), "--help"].join(" "))} ;;`);
  // An option's value, by "command --flag" (init's --strategy offers other values than deploy's;
  // env check's --release takes none), then the root options' anywhere.
  const values = [
    ...model.commands.flatMap((c) =>
      c.options
        .filter((o) => o.takesValue)
        .flatMap((o) => o.flags.map((f) => `    ${quote(`${c.name.split(" ")[0]!} ${f}`)}) ${bashValue(o)}`)),
    ),
    ...model.globals.filter((o) => o.takesValue).flatMap((o) => o.flags.map((f) => `    *" "${f}) ${bashValue(o)}`)),
  ];
  const globalValue = valueFlags(model.globals).join("|");
  return `# slipway completion for bash: eval "$(slipway completion bash)" in ~/.bashrc
_slipway_releases() {
  local config="" j
  for ((j=1; j<COMP_CWORD; j++)); do
    case "\${COMP_WORDS[j]}" in
      -c|--config) config="\${COMP_WORDS[j+1]}" ;;
      --config=*) config="\${COMP_WORDS[j]#--config=}" ;;
    esac
  done
  COMPREPLY=($(compgen -W "$(\${COMP_WORDS[0]} completion releases \${config:+--config "$config"} 2>/dev/null | cut -f1)" -- "$cur"))
}
_slipway() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local cmd="" sub="" words i
  COMPREPLY=()
  for ((i=1; i<COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      ${globalValue}) ((i++)) ;;
      -*) ;;
      *) if [[ -z "$cmd" ]]; then cmd="\${COMP_WORDS[i]}"; elif [[ -z "$sub" ]]; then sub="\${COMP_WORDS[i]}"; fi ;;
    esac
  done
  case "$cmd $prev" in
${values.join("\n")}
  esac
  if [[ -z "$cmd" ]]; then
    words=${quote([...top(model), ...model.globals.flatMap((o) => o.flags), "--version", "--help"].join(" "))}
  else
    case "$cmd $sub" in
${subOptions.join("\n")}
      *)
        case "$cmd" in
${cases.map((c) => `    ${c}`).join("\n")}
        esac ;;
    esac
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _slipway slipway
`;
}

function fish(model: CompletionModel): string {
  const lines = [
    "# slipway completion for fish: slipway completion fish > ~/.config/fish/completions/slipway.fish",
    "complete -c slipway -f",
    "function __slipway_releases",
    "  set -l words (commandline -opc)",
    "  set -l config",
    "  for i in (seq (count $words))",
    "    if contains -- $words[$i] -c --config; and test $i -lt (count $words)",
    "      set config --config $words[(math $i + 1)]",
    "    end",
    "  end",
    "  slipway completion releases $config 2>/dev/null",
    "end",
    ...model.globals.map((o) => fishOption("", o)),
    'complete -c slipway -n __fish_use_subcommand -l version -s V -d "print Slipway\'s version"',
  ];
  for (const c of model.commands) {
    const [name, sub] = c.name.split(" ") as [string, string | undefined];
    if (sub === undefined) {
      lines.push(`complete -c slipway -n __fish_use_subcommand -a ${name} -d ${quote(c.description)}`);
      if (c.values) lines.push(`complete -c slipway -n ${quote(`__fish_seen_subcommand_from ${name}`)} -a ${quote(c.values.join(" "))}`);
      for (const o of c.options) lines.push(fishOption(`__fish_seen_subcommand_from ${name}`, o));
    } else {
      lines.push(
        `complete -c slipway -n ${quote(`__fish_seen_subcommand_from ${name}; and not __fish_seen_subcommand_from ${sub}`)} -a ${sub} -d ${quote(c.description)}`,
      );
      for (const o of c.options) lines.push(fishOption(`__fish_seen_subcommand_from ${name}; and __fish_seen_subcommand_from ${sub}`, o));
    }
  }
  return lines.join("\n") + "\n";
}

function fishOption(condition: string, o: CompletionOption): string {
  const parts = ["complete -c slipway"];
  if (condition) parts.push(`-n ${quote(condition)}`);
  for (const f of o.flags) parts.push(f.startsWith("--") ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`);
  if (o.releaseId) parts.push(`-x -a '(__slipway_releases)'`);
  else if (o.choices) parts.push(`-x -a ${quote(o.choices.join(" "))}`);
  else if (o.takesValue) parts.push("-r -F");
  parts.push(`-d ${quote(o.description)}`);
  return parts.join(" ");
}
