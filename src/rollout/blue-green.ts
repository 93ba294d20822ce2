import { RolloutFailure } from "./rollout-failure.js";
import type { StrategyContext } from "./strategy-context.js";

/**
 * Blue-green: start green (the new release) at full size out of rotation,
 * expose it on the preview listener, run the prePromotion checks, wait for
 * `slipway promote` unless autoPromote, then switch all traffic at once.
 * Blue keeps running out of rotation for scaleDownDelay, so a rollback is a
 * switch back. A failing postPromotion analysis switches back by itself.
 *
 * @example
 * await runBlueGreen(ctx); // throws RolloutFailure when checks/analysis fail or on abort
 */
export async function runBlueGreen(ctx: StrategyContext): Promise<void> {
  const bg = ctx.config.strategy.blueGreen!;
  const { control, target, stable } = ctx;
  control.enter("progressing");
  await ctx.startGreen(ctx.config.app.replicas);

  const preview = await ctx.openPreview(bg.previewListen);
  control.set({ previewUrl: preview.url });
  try {
    ctx.note("rollout.step", `green release ${target.id} (${target.version}) is ready; preview on ${preview.url}`);
    if (bg.prePromotion.length) {
      const results = await ctx.runChecks(bg.prePromotion, preview.url);
      const failed = results.filter((r) => !r.ok);
      ctx.note(
        "rollout.step",
        `prePromotion checks: ${results.map((r) => `${r.ok ? "pass" : "FAIL"} ${r.name}: ${r.message}`).join("; ")}`,
      );
      if (failed.length) throw new RolloutFailure(`prePromotion check failed: ${failed.map((r) => `${r.name}: ${r.message}`).join("; ")}`);
    }
    if (!bg.autoPromote) {
      ctx.note("rollout.paused", `waiting for slipway promote; preview on ${preview.url}`);
      await control.pauseUntilPromoted(`waiting for slipway promote (preview on ${preview.url})`);
    }
    await control.checkpoint();
    await ctx.preHook("prePromote");
  } finally {
    await preview.close();
    control.set({ previewUrl: null });
  }

  control.enter("promoting");
  await control.checkpoint(); // a pause taken during prePromote holds here
  ctx.switchToTarget();
  ctx.note(
    "rollout.promoted",
    `switched all traffic to release ${target.id} (${target.version})${stable ? `; release ${stable.id} on standby` : ""}`,
  );
  if (stable) ctx.keepStandby(bg.scaleDownDelay);

  if (bg.postPromotion) {
    control.enter("post-promotion");
    const run = ctx.analysis(bg.postPromotion, "postPromotion analysis");
    try {
      const outcome = await Promise.race([run.outcome, ctx.control.sleep(bg.postPromotion.window).then(() => "passed" as const)]);
      if (outcome === "failed") throw new RolloutFailure(`postPromotion analysis failed: ${run.lastReasons().join("; ")}`);
    } finally {
      run.stop();
    }
  }
  await ctx.settle();
}
