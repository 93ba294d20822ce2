import type { Writable } from "node:stream";
import { Command, CommanderError } from "commander";
import { SlipwayError } from "../errors.js";
import { PACKAGE_VERSION } from "../package-version.js";
import { resourceError } from "../resource-error.js";
import { registerAuditCommands } from "./commands/audit-commands.js";
import { registerConfigCommands } from "./commands/config-commands.js";
import { registerControlCommands } from "./commands/control-commands.js";
import { registerDaemonCommands } from "./commands/daemon-commands.js";
import { registerEnvCommands } from "./commands/env-commands.js";
import { registerInfoCommands } from "./commands/info-commands.js";
import { registerInitCommands } from "./commands/init-commands.js";
import { registerRolloutCommands } from "./commands/rollout-commands.js";
import { registerServiceCommands } from "./commands/service-commands.js";

/** Where the command line's own output goes (commander's help and errors, Slipway's error lines). */
export interface CliIo {
  out: Pick<Writable, "write">;
  err: Pick<Writable, "write">;
}

const PROCESS_IO: CliIo = { out: process.stdout, err: process.stderr };

/** Builds the `slipway` command line. Exit codes: 0 done, 1 rollout failed, 2 usage/config, 3 lock held. */
export function buildProgram(io: CliIo = PROCESS_IO): Command {
  const program = new Command("slipway")
    // Before the commands are added: each inherits its parent's output settings when created.
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) })
    .description("zero-downtime deploys: rolling, blue-green, canary; health-gated; one-command rollback")
    .version(PACKAGE_VERSION, "-V, --cli-version", "print Slipway's version")
    .option("-c, --config <file>", "config file (default: slipway.yaml in the working directory)")
    .option("-e, --environment <name>", "environment overlay from environments.<name>")
    .option("--json", "machine-readable output")
    .option("--debug", "show stack traces")
    .showSuggestionAfterError()
    .exitOverride();
  registerDaemonCommands(program);
  registerRolloutCommands(program);
  registerControlCommands(program);
  registerInfoCommands(program);
  registerConfigCommands(program);
  registerEnvCommands(program);
  registerAuditCommands(program);
  registerInitCommands(program);
  registerServiceCommands(program);
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
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    return printError(err, argv.includes("--debug"), io);
  }
}
