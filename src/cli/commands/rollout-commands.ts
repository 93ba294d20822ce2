import type { Command } from "commander";
import { STRATEGY_TYPES, type StrategyType } from "../../config/types.js";
import type { ProgressMessage } from "../../daemon/progress.js";
import type { RolloutResult } from "../../daemon/rollouts.js";
import { SlipwayError } from "../../errors.js";
import { ApiClient } from "../client.js";
import { ensureDaemon } from "../daemon-control.js";
import { durationOption, envOption, holder, intOption, load, projectRoot, type GlobalOptions } from "../options.js";
import { outputMode, ProgressView } from "../render.js";
import { statePaths } from "../../daemon/paths.js";
import { readFileSync } from "node:fs";

/** `slipway deploy` and `slipway rollback`: streamed rollouts. */
export function registerRolloutCommands(program: Command): void {
  program
    .command("deploy")
    .description("deploy the app in the working directory as a new release")
    .option("--version <label>", "version label (default: git short sha, else a timestamp)")
    .option("--env <KEY=VALUE>", "release env var (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--strategy <type>", `override strategy.type (${STRATEGY_TYPES.join(", ")})`)
    .option("--wait-lock <duration>", "wait this long for another rollout to finish instead of failing")
    .action(async (opts: { version?: string; env: string[]; strategy?: string; waitLock?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if (opts.strategy && !(STRATEGY_TYPES as readonly string[]).includes(opts.strategy)) {
        throw new SlipwayError("USAGE", `--strategy ${opts.strategy}: unknown strategy`, {
          hint: `use one of ${STRATEGY_TYPES.join(", ")}`,
        });
      }
      const loaded = load(g);
      const body = {
        config: loaded.config,
        configText: readFileSync(loaded.file, "utf8"),
        configFile: loaded.file,
        environment: g.environment,
        version: opts.version,
        env: envOption(opts.env),
        strategy: opts.strategy as StrategyType | undefined,
        holder: holder(),
        waitLock: durationOption("--wait-lock", opts.waitLock),
      };
      const { client } = await ensureDaemon(loaded.root, loaded.config.listen);
      const result = await run(client, "/v1/deploy", body, `Deploying ${loaded.config.name}`, g);
      if (!g.json) {
        const prev = result.previous ? `, replacing release ${result.previous.id} (${result.previous.version})` : "";
        console.log(`release ${result.release.id} (${result.release.version}) is live in ${(result.durationMs / 1000).toFixed(1)}s${prev}`);
      }
    });

  program
    .command("rollback")
    .description("go back to the previous successful release (or --to ID), through the same health gates")
    .option("--to <id>", "release id to roll back to (see slipway releases)")
    .option("--wait-lock <duration>", "wait this long for another rollout to finish instead of failing")
    .action(async (opts: { to?: string; waitLock?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const body = { to: intOption("--to", opts.to), holder: holder(), waitLock: durationOption("--wait-lock", opts.waitLock) };
      const client = new ApiClient(statePaths(projectRoot(g)).socket);
      const result = await run(client, "/v1/rollback", body, "Rolling back", g);
      if (!g.json) {
        const from = result.previous ? ` (was release ${result.previous.id} (${result.previous.version}))` : "";
        console.log(
          `rolled back: release ${result.release.id} (${result.release.version}) is live in ${(result.durationMs / 1000).toFixed(1)}s${from}`,
        );
      }
    });
}

async function run(client: ApiClient, path: string, body: object, title: string, g: GlobalOptions): Promise<RolloutResult> {
  const view = new ProgressView(outputMode(Boolean(g.json)), title);
  let outcome: ProgressMessage | undefined;
  try {
    await client.stream(path, body, (m) => {
      if (m.type === "result" || m.type === "error") outcome = m;
      view.update(m);
    });
  } finally {
    view.done();
  }
  if (outcome?.type === "error") {
    const err = SlipwayError.fromJSON(outcome.error as Parameters<typeof SlipwayError.fromJSON>[0]);
    if (g.json) (err as SlipwayError & { printed?: boolean }).printed = true;
    throw err;
  }
  if (outcome?.type !== "result")
    throw new SlipwayError("DAEMON_UNAVAILABLE", "the daemon closed the connection before the rollout ended", {
      hint: "see slipway status and .slipway/daemon.log",
    });
  return outcome.result as unknown as RolloutResult;
}
