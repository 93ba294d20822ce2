import type { Writable } from "node:stream";
import { Command, CommanderError, Help, Option } from "commander";
import { SlipwayError } from "../errors.js";
import { PACKAGE_VERSION } from "../package-version.js";
import { resourceError } from "../resource-error.js";
import { VERSION_FLAGS } from "./version-flags.js";
/** Where the command line's own output goes (commander's help and errors, Slipway's error lines). */
export interface CliIo {
  out: Pick<Writable, "write">;
  err: Pick<Writable, "write">;
}

const PROCESS_IO: CliIo = { out: process.stdout, err: process.stderr };

type Register = (program: Command) => void;

/**
 * The commands, in help order, by the module that defines them. A command
 * line loads only its command's module: `slipway status` never loads the
 * config schema, the audit or the Docker client (issue 13: the CLI's start
 * is most of a blue-green rollback's time). Help and unknown commands load
 * them all.
 */
const COMMAND_MODULES: readonly { commands: readonly string[]; load: () => Promise<Register> }[] = [
  { commands: ["up", "down"], load: async () => (await import("./commands/daemon-commands.js")).registerDaemonCommands },
  { commands: ["deploy", "retry", "rollback"], load: async () => (await import("./commands/rollout-commands.js")).registerRolloutCommands },
  {
    commands: ["promote", "abort", "pause", "resume"],
    load: async () => (await import("./commands/control-commands.js")).registerControlCommands,
  },
  { commands: ["status", "releases", "logs"], load: async () => (await import("./commands/info-commands.js")).registerInfoCommands },
  { commands: ["stats"], load: async () => (await import("./commands/stats-commands.js")).registerStatsCommands },
  { commands: ["dashboard"], load: async () => (await import("./commands/dashboard-commands.js")).registerDashboardCommands },
  { commands: ["config"], load: async () => (await import("./commands/config-commands.js")).registerConfigCommands },
  { commands: ["env"], load: async () => (await import("./commands/env-commands.js")).registerEnvCommands },
  { commands: ["audit"], load: async () => (await import("./commands/audit-commands.js")).registerAuditCommands },
  { commands: ["init"], load: async () => (await import("./commands/init-commands.js")).registerInitCommands },
  { commands: ["service"], load: async () => (await import("./commands/service-commands.js")).registerServiceCommands },
  { commands: ["version", "completion"], load: async () => (await import("./commands/version-commands.js")).registerVersionCommands },
];

/** Root options that take a value: the command name is the first argument that is neither these nor a flag. */
const VALUE_OPTIONS = new Set(["-c", "--config", "-e", "--environment"]);

/**
 * The command an argument list runs (`["-c", "x.yaml", "status", "--json"]`: "status"),
 * or undefined when it names none (help, a typo, only options).
 */
export function commandOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith("-")) return arg;
  }
  return undefined;
}

/**
 * Builds the `slipway` command line: every command, or only `command`'s when
 * it is one. Exit codes: 0 done, 1 rollout failed, 2 usage/config, 3 lock held.
 */
export async function buildProgram(io: CliIo = PROCESS_IO, command?: string): Promise<Command> {
  const program = new Command("slipway")
    // Before the commands are added: each inherits its parent's output settings when created.
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) })
    .description("zero-downtime deploys: rolling, blue-green, canary; health-gated; one-command rollback")
    .option("-c, --config <file>", "config file (default: slipway.yaml in the working directory)")
    .option("-e, --environment <name>", "environment overlay from environments.<name>")
    .option("--json", "machine-readable output")
    .option("--debug", "show stack traces")
    .showSuggestionAfterError()
    .exitOverride();
  // Listed in help, handled before parsing (runCli): a root option would take `deploy --version v2`.
  const version = new Option("-V, --version", "print Slipway's version (as the first argument)");
  program.configureHelp({
    visibleOptions(this: Help, cmd) {
      const options = Help.prototype.visibleOptions.call(this, cmd);
      return cmd === program ? [version, ...options] : options;
    },
  });
  const only = COMMAND_MODULES.find((m) => command !== undefined && m.commands.includes(command));
  for (const m of only ? [only] : COMMAND_MODULES) (await m.load())(program);
  return program;
}

/** Writes the error as one line with its details and hint; returns the exit code. */
export function printError(err: unknown, debug: boolean, io: CliIo = PROCESS_IO): number {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) return 0;
    io.err.write(`hint: see slipway --help\n`);
    return 2;
  }
  const e =
    err instanceof SlipwayError
      ? err
      : (resourceError(err) ??
        new SlipwayError("INTERNAL", err instanceof Error ? err.message : String(err), {
          hint: "rerun with --debug for details",
          cause: err,
        }));
  const lines = [`error: ${e.message}`, ...e.details.map((d) => `  ${d}`)];
  if (e.hint) lines.push(`hint: ${e.hint}`);
  if (debug && e.stack) lines.push(e.stack, ...(e.cause instanceof Error && e.cause.stack ? [`cause: ${e.cause.stack}`] : []));
  io.err.write(lines.join("\n") + "\n");
  return e.exitCode;
}

/**
 * Runs one `slipway` command line (argv as `process.argv`: node, script,
 * arguments) and resolves with its exit code. Argument handling runs in
 * process: tests call it with their own `io` (commands themselves still
 * print their results on the process's stdout).
 *
 * @example
 * const code = await runCli(["node", "slipway", "rollback", "--to", "x"], { out, err }); // 2, "error: --to x: must be a whole number"
 */
export async function runCli(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  const args = argv.slice(2);
  const command = commandOf(args);
  if (args.some((arg) => VERSION_FLAGS.includes(arg))) {
    // `slipway --json --version` asks for the version too; after a command only deploy takes --version (a label)
    if (command === undefined) {
      io.out.write(`${PACKAGE_VERSION}\n`);
      return 0;
    }
    if (command !== "deploy") {
      io.err.write(
        `error: ${command} takes no --version\nhint: slipway --version prints Slipway's version; deploy --version LABEL names a release\n`,
      );
      return 2;
    }
  }
  try {
    const program = await buildProgram(io, command);
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    return printError(err, argv.includes("--debug"), io);
  }
}
