import type { CanaryStep } from "../config/types.js";
import { RolloutFailure } from "./rollout-failure.js";
import { canaryReplicas, type AnalysisHandle, type StrategyContext } from "./strategy-context.js";

/**
 * Canary: start `canary.replicas` instances of the new release at weight 0,
 * walk `canary.steps` (setWeight / pause / analysis) while the background
 * analysis watches, then promote: scale the new release to full size, move
 * all traffic, retire the old release after draining.
 *
 * @example
 * await runCanary(ctx); // throws RolloutFailure on failed analysis, abort or a failed instance
 */
export async function runCanary(ctx: StrategyContext): Promise<void> {
  const canary = ctx.config.strategy.canary!;
  const { control, target } = ctx;
  control.enter("progressing", { weight: 0 });
  await ctx.startCanary(canaryReplicas(ctx.config));

  const background = canary.analysis ? watch(ctx, ctx.analysis(canary.analysis, "background analysis")) : null;
  try {
    const steps = canary.steps;
    for (let i = 0; i < steps.length && !control.full; i++) {
      await control.checkpoint();
      const step = steps[i]!;
      const description = describeStep(step);
      control.set({ step: { index: i + 1, total: steps.length, description } });
      await runStep(ctx, step, `step ${i + 1}/${steps.length}`);
    }
    await control.checkpoint();
    await ctx.preHook("prePromote");
    control.enter("promoting");
    await control.checkpoint(); // a pause taken during prePromote holds here
    ctx.note("rollout.promoted", `promoting release ${target.id} (${target.version}) to 100%`);
    await ctx.finish();
  } finally {
    background?.stop();
  }
}

async function runStep(ctx: StrategyContext, step: CanaryStep, label: string): Promise<void> {
  const { control, target } = ctx;
  switch (step.kind) {
    case "setWeight":
      ctx.setCanaryWeight(step.weight);
      control.set({ weight: step.weight });
      ctx.note("rollout.step", `${label}: ${step.weight}% of traffic to release ${target.id} (${target.version})`, { weight: step.weight });
      return;
    case "pause":
      if (step.duration === undefined) {
        ctx.note("rollout.paused", `${label}: paused until slipway promote`);
        await control.pauseUntilPromoted(`${label}: waiting for slipway promote`);
        return;
      }
      ctx.note("rollout.step", `${label}: pause ${step.duration / 1000}s`);
      await control.sleep(step.duration);
      return;
    case "analysis": {
      ctx.note("rollout.step", `${label}: analysis`);
      const run = ctx.analysis(step.analysis, `${label} analysis`);
      try {
        for (;;) {
          const result = await race(ctx, run.waitForPass());
          if (result === "passed") return;
          if (result === "failed") throw new RolloutFailure(`${label} analysis failed: ${run.lastReasons().join("; ")}`);
          ctx.note("rollout.paused", `${label}: analysis inconclusive (${run.lastReasons().join("; ")}); paused for a human`);
          await control.pauseUntilPromoted(`${label}: analysis inconclusive; slipway promote to go on, slipway abort to roll back`);
          if (control.full) return;
          run.resetInconclusive();
        }
      } finally {
        run.stop();
      }
    }
  }
}

/** Background analysis: a failure ends the rollout, inconclusive results pause it. */
function watch(ctx: StrategyContext, run: AnalysisHandle): { stop: () => void } {
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      const outcome = await run.outcome;
      if (stopped) return;
      if (outcome === "failed") {
        ctx.control.fail(new RolloutFailure(`background analysis failed: ${run.lastReasons().join("; ")}`));
        return;
      }
      ctx.note("rollout.paused", `background analysis inconclusive (${run.lastReasons().join("; ")}); paused for a human`);
      ctx.control.pause("background analysis inconclusive; slipway resume to go on, slipway abort to roll back");
      await ctx.control.checkpoint();
      run.resetInconclusive();
    }
  };
  loop().catch(() => undefined); // an abort ends the loop; the strategy reports it
  return {
    stop: () => {
      stopped = true;
      run.stop();
    },
  };
}

/** Waits for p, but ends with the rollout's failure if it is aborted first. */
async function race<T>(ctx: StrategyContext, p: Promise<T>): Promise<T> {
  const ended = new Promise<never>((_, reject) => {
    const onAbort = () => ctx.control.checkpoint().catch(reject);
    if (ctx.control.signal.aborted) onAbort();
    else ctx.control.signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([p, ended]);
}

export function describeStep(step: CanaryStep): string {
  if (step.kind === "setWeight") return `setWeight ${step.weight}`;
  if (step.kind === "pause") return step.duration === undefined ? "pause (until promote)" : `pause ${step.duration / 1000}s`;
  return "analysis";
}
