import type { Command, Option } from "commander";
import { STRATEGY_TYPES } from "../config/types.js";
import { FORMATS } from "../audit/format.js";
import { BUCKETS } from "../delivery/stats-period.js";
import { SEVERITIES } from "../audit/rule.js";
import { INIT_STRATEGIES } from "../init/options.js";
import { LANGUAGES } from "../init/stack.js";
import { SHELLS } from "./completion-script.js";
import type { CompletionCommand, CompletionModel, CompletionOption } from "./completion-script.js";

/** Values of options Slipway checks itself (its error names them), offered on Tab: by "command --flag", else "--flag". */
const CHOICES: Record<string, readonly string[]> = {
  "--strategy": STRATEGY_TYPES,
  "init --strategy": INIT_STRATEGIES,
  "init --stack": LANGUAGES,
  "audit --format": FORMATS,
  "audit --fail-on": [...SEVERITIES, "none"],
  "stats --bucket": BUCKETS,
};

/** Fixed values of a command's argument. */
const ARGUMENT_VALUES: Record<string, readonly string[]> = { completion: SHELLS };

/** Options whose value is a release id of the project. */
const RELEASE_ID_FLAGS = new Set(["--to", "--release"]);

/**
 * What the completion scripts complete, read off the whole command line
 * (buildProgram with every command): commands, subcommands, their options.
 */
export function completionModel(program: Command): CompletionModel {
  const commands: CompletionCommand[] = [];
  const visit = (cmd: Command, prefix: string) => {
    for (const c of cmd.commands) {
      const name = `${prefix}${c.name()}`;
      const values = ARGUMENT_VALUES[name];
      commands.push({
        name,
        description: c.description(),
        options: c.options.filter((o) => !o.hidden).map((o) => option(o, name)),
        ...(values && { values }),
      });
      visit(c, `${name} `);
    }
  };
  visit(program, "");
  return { globals: program.options.map((o) => option(o, "")), commands };
}

function option(o: Option, command: string): CompletionOption {
  const flags = [o.short, o.long].filter((f): f is string => f !== undefined);
  const long = o.long ?? "";
  const choices = o.argChoices ?? CHOICES[`${command} ${long}`] ?? CHOICES[long];
  return {
    flags,
    description: o.description,
    takesValue: o.required || o.optional,
    ...(choices && { choices }),
    // `env check --release` is a switch: only an option with a value takes a release id
    ...(RELEASE_ID_FLAGS.has(long) && (o.required || o.optional) && { releaseId: true }),
  };
}
