import type { Command } from "commander";
import type { ControlState } from "../../rollout/control.js";
import { daemonClient } from "../daemon-control.js";
import { holder, projectRoot, type GlobalOptions } from "../options.js";

/** `slipway promote [--full]`, `abort`, `pause`, `resume`: steer the rollout in progress. */
export function registerControlCommands(program: Command): void {
  const act =
    (action: "promote" | "abort" | "pause" | "resume", describe: (s: ControlState & { rollout: number }) => string) =>
    async (opts: { full?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const client = await daemonClient(projectRoot(g));
      const state = await client.post<ControlState & { rollout: number }>(`/v1/${action}`, { full: opts.full, holder: holder() });
      console.log(g.json ? JSON.stringify(state) : describe(state));
    };

  program
    .command("promote")
    .description("canary: go to the next step; blue-green: switch now (--full: straight to 100%)")
    .option("--full", "skip every remaining step")
    .action(act("promote", (s) => `rollout ${s.rollout}: promoted${s.step ? ` (was at step ${s.step.index}/${s.step.total})` : ""}`));
  program
    .command("abort")
    .description("traffic back to the stable release at once, the new release stopped, the rollout marked aborted")
    .action(
      act(
        "abort",
        (s) =>
          `rollout ${s.rollout} aborted: traffic is back on the stable release, the new release is stopped (slipway retry deploys it again)`,
      ),
    );
  program
    .command("pause")
    .description("hold a canary or blue-green rollout where it is")
    .action(act("pause", (s) => `rollout ${s.rollout}: paused${s.weight !== null ? ` at ${s.weight}%` : ""}; slipway resume continues`));
  program
    .command("resume")
    .description("continue a paused rollout")
    .action(act("resume", (s) => `rollout ${s.rollout}: resumed`));
}
