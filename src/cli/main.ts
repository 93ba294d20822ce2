#!/usr/bin/env node
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

/** Builds the `slipway` command line. Exit codes: 0 done, 1 rollout failed, 2 usage/config, 3 lock held. */
export function buildProgram(): Command {
  const program = new Command("slipway")
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

export function printError(err: unknown, debug: boolean): number {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) return 0;
    process.stderr.write(`hint: see slipway --help\n`);
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
  process.stderr.write(lines.join("\n") + "\n");
  return e.exitCode;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = printError(err, argv.includes("--debug"));
  }
}

await main(process.argv);
