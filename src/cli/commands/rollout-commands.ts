import type { Command } from "commander";
import { STRATEGY_TYPES, type StrategyType } from "../../config/types.js";
import { SlipwayError } from "../../errors.js";
import { daemonClient, earlyListen, ensureDaemon } from "../daemon-control.js";
import { collect, durationOption, envOption, holder, intOption, load, projectRoot, versionOption, type GlobalOptions } from "../options.js";
import { followRollout, ready, report } from "../rollout-stream.js";
import { readFileSync } from "node:fs";

/** `slipway deploy` and `slipway rollback`: streamed rollouts. */
export function registerRolloutCommands(program: Command): void {
  program
    .command("deploy")
    .description("deploy the app in the working directory as a new release")
    .option("--version <label>", "version label: letters, digits, _ . -, at most 128 (default: git short sha, else a timestamp)")
    .option("--env <KEY=VALUE>", "release env var (repeatable)", collect)
    .option("--strategy <type>", `override strategy.type (${STRATEGY_TYPES.join(", ")})`)
    .option("--wait-lock <duration>", "wait this long for another rollout to finish instead of failing")
    .option("--dry-run", "validate, and print the Kubernetes objects it would apply (platform kubernetes); change nothing")
    .action(async (opts: { version?: string; env?: string[]; strategy?: string; waitLock?: string; dryRun?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      // Every flag is checked before anything is read or started.
      const strategy = strategyOption(opts.strategy);
      const version = versionOption(opts.version);
      const env = envOption(opts.env ?? []);
      const waitLock = durationOption("--wait-lock", opts.waitLock);
      const loaded = await load(g, Object.keys(env));
      // What `config validate` warns about (say, a $VAR the instance will not have) is said here too, on stderr.
      for (const warning of loaded.warnings) process.stderr.write(`warning: ${warning}\n`);
      // A release whose environment does not match app.envSchema is refused before the daemon is contacted.
      const { checkDeployEnv } = await import("./env-commands.js");
      await checkDeployEnv(loaded.config, env);
      if (opts.dryRun) {
        const { printDryRun } = await import("./dry-run-output.js");
        await printDryRun(loaded.config, { version: version ?? "dry-run", env }, g.json === true);
        return;
      }
      const body = {
        config: loaded.config,
        configText: readFileSync(loaded.file, "utf8"),
        configFile: loaded.file,
        environment: g.environment,
        version,
        env,
        strategy,
        holder: holder(),
        // Registry credentials travel with this request only; the daemon never stores them.
        ...(process.env.DOCKER_USERNAME &&
          process.env.DOCKER_PASSWORD && {
            registryAuth: { username: process.env.DOCKER_USERNAME, password: process.env.DOCKER_PASSWORD },
          }),
        waitLock,
      };
      const { client } = await ensureDaemon(loaded.root, earlyListen(loaded.config));
      report(await followRollout(client, "/v1/deploy", body, `Deploying ${loaded.config.name}`, g), g);
    });

  program
    .command("retry")
    .description("deploy the latest release again after it failed or was aborted (no config edits)")
    .option("--strategy <type>", `override its strategy (${STRATEGY_TYPES.join(", ")})`)
    .option("--wait-lock <duration>", "wait this long for another rollout to finish instead of failing")
    .action(async (opts: { strategy?: string; waitLock?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const body = { holder: holder(), strategy: strategyOption(opts.strategy), waitLock: durationOption("--wait-lock", opts.waitLock) };
      const client = await daemonClient(projectRoot(g));
      report(await followRollout(client, "/v1/retry", body, "Retrying", g), g);
    });

  program
    .command("rollback")
    .description("go back to the previous successful release (or --to ID), through the same health gates")
    .option("--to <id>", "release id to roll back to (see slipway releases)")
    .option("--wait-lock <duration>", "wait this long for another rollout to finish instead of failing")
    .action(async (opts: { to?: string; waitLock?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const body = { to: intOption("--to", opts.to), holder: holder(), waitLock: durationOption("--wait-lock", opts.waitLock) };
      const client = await daemonClient(projectRoot(g));
      const result = await followRollout(client, "/v1/rollback", body, "Rolling back", g);
      if (!g.json && "release" in result) {
        const from = result.previous ? ` (was release ${result.previous.id} (${result.previous.version}))` : "";
        const how =
          result.via === "switch"
            ? `by switching traffic in ${result.durationMs}ms, no process started`
            : `in ${(result.durationMs / 1000).toFixed(1)}s`;
        console.log(`rolled back: release ${result.release.id} (${result.release.version}) is live ${how}${from}${ready(result)}`);
      }
    });
}

function strategyOption(value: string | undefined): StrategyType | undefined {
  if (value === undefined || (STRATEGY_TYPES as readonly string[]).includes(value)) return value as StrategyType | undefined;
  throw new SlipwayError("USAGE", `--strategy ${value}: unknown strategy`, { hint: `use one of ${STRATEGY_TYPES.join(", ")}` });
}
