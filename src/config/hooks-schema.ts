/**
 * The `hooks` section: commands run at fixed points of a rollout (before it
 * starts, before blue-green/canary promotion, after success, after a
 * rollback). Run by src/hooks/hook-runner.ts.
 */
import { z } from "zod";
import * as d from "./defaults.js";
import { command, duration } from "./fields.js";

const ENV = "SLIPWAY_RELEASE, SLIPWAY_VERSION, SLIPWAY_PREVIOUS_RELEASE, SLIPWAY_STRATEGY and SLIPWAY_HOOK";

function hook(when: string) {
  return command().optional().describe(`Runs ${when}.`);
}

/** Schema of the `hooks` section. */
export const hooksSchema = z
  .strictObject({
    preDeploy: hook("before a rollout starts; failing it stops the deploy before anything starts"),
    prePromote: hook("before a blue-green or canary release takes all traffic; failing it aborts the rollout"),
    postDeploy: hook("after a successful rollout; failing it is reported, the release stays"),
    postRollback: hook("after a failed rollout has rolled back to the previous release; failing it is reported"),
    timeout: duration()
      .prefault(d.DEFAULT_HOOK_TIMEOUT)
      .describe("Each hook's process group is killed after this long, which fails the hook."),
  })
  .prefault({})
  .describe(
    `Commands run around a rollout, with ${ENV} in their environment; exit 0 passes. Each is a list of words, or a string split like a shell would (no shell runs: write sh -c '...' for pipes or &&).`,
  );
