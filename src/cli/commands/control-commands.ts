import type { Command } from "commander";
import type { ControlState } from "../../rollout/control.js";
import { daemonClient } from "../daemon-control.js";
import { holder, projectRoot, type GlobalOptions } from "../options.js";
import { followRollout, report } from "../rollout-stream.js";

type ActionState = ControlState & { rollout: number };
type Action = "promote" | "abort" | "pause" | "resume";

/** Titles of the progress view of the commands that follow the rollout (all but pause). */
const FOLLOWING: Partial<Record<Action, string>> = { promote: "Promoting", resume: "Resuming", abort: "Aborting" };

/**
 * `slipway promote [--full]`, `abort`, `pause`, `resume`: steer the rollout in
 * progress. promote, resume and abort then follow it like deploy does (to its
 * end or its next pause; same exit codes); --no-wait returns at once.
 */
export function registerControlCommands(program: Command): void {
  const act = (action: Action, describe: (s: ActionState) => string) => async (opts: { full?: boolean; wait?: boolean }, cmd: Command) => {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    const client = await daemonClient(projectRoot(g));
    const body = { full: opts.full, holder: holder() };
    const title = FOLLOWING[action];
    if (title === undefined || opts.wait === false) {
      const state = await client.post<ActionState>(`/v1/${action}`, body);
      return void console.log(g.json ? JSON.stringify(state) : describe(state));
    }
    const outcome = await followRollout(client, `/v1/${action}`, { ...body, follow: true }, title, g);
    if (g.json) return;
    if ("release" in outcome || "paused" in outcome) return report(outcome, g);
    console.log(describe(outcome as ActionState));
  };
  const noWait = "--no-wait";

  program
    .command("promote")
    .description("canary: go to the next step; blue-green: switch now (--full: straight to 100%); follows the rollout")
    .option("--full", "skip every remaining step")
    .option(noWait, "return once promoted instead of following the rollout to its end or next pause")
    .action(act("promote", (s) => `rollout ${s.rollout}: promoted${s.step ? ` (was at step ${s.step.index}/${s.step.total})` : ""}`));
  program
    .command("abort")
    .description("traffic back to the stable release at once, the new release stopped, the rollout marked aborted")
    .option(noWait, "print one line instead of the undo's events (it still returns once the undo has ended)")
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
    .description("continue a paused rollout; follows it to its end or next pause")
    .option(noWait, "return once resumed")
    .action(act("resume", (s) => `rollout ${s.rollout}: resumed`));
}
