import type { Clock } from "../clock.js";
import type { RollingConfig } from "../config/types.js";
import type { FleetView, InstanceView } from "./fleet-view.js";
import { isLive } from "./instance-state.js";
import { planRolling, type FleetCounts } from "./rolling-plan.js";
import { instanceFailure, RolloutFailure } from "./rollout-failure.js";
import { WaitReport } from "./wait-report.js";

export interface ConvergeOptions {
  fleet: FleetView;
  clock: Clock;
  releaseId: number;
  replicas: number;
  rolling: RollingConfig;
  /** Fail when no progress is made for this long (ms). */
  progressDeadline: number;
  /** Starts one more instance of the target release (in rotation once ready). */
  launch: () => Promise<InstanceView>;
  signal?: AbortSignal;
  /** Releases whose instances are left running (a blue-green standby a restarted daemon kept). */
  keep?: readonly number[];
}

/** How often the loop re-plans when nothing happens (minReady expiry, deadline). */
const TICK = 200;

/**
 * Executes the rolling plan until the fleet runs exactly `replicas` available
 * instances of the target release and nothing else: start new, wait until
 * ready for `minReady`, retire old (out of rotation, drain, stop). Throws a
 * RolloutFailure when a new instance fails or no progress is made in time.
 * Once the plan is done the target's instances are supervised, so one that
 * fails while the old ones drain is restarted (the rollout's last step,
 * `awaitReleaseHealthy`, waits for it).
 */
export async function converge(o: ConvergeOptions): Promise<void> {
  const retiring: Promise<void>[] = [];
  let lastProgress = o.clock.now();
  let lastScore = -1;
  const report = new WaitReport(o.fleet, o.clock);
  try {
    for (;;) {
      if (o.signal?.aborted) throw new RolloutFailure("interrupted: the daemon is stopping", null, "interrupted");
      const now = o.clock.now();
      const mine = o.fleet.ofRelease(o.releaseId);
      const failed = mine.find((i) => i.state === "failed");
      if (failed) throw instanceFailure(failed);
      const fresh = mine.filter((i) => isLive(i.state));
      const old = o.fleet.list().filter((i) => i.releaseId !== o.releaseId && !o.keep?.includes(i.releaseId) && isLive(i.state));
      const available = fresh.filter((i) => i.state === "ready" && i.readySince !== null && now - i.readySince >= o.rolling.minReady);
      const counts: FleetCounts = {
        oldTotal: old.length,
        oldReady: old.filter((i) => i.state === "ready" && i.inRotation).length,
        newTotal: fresh.length,
        newAvailable: available.length,
      };
      const step = planRolling({ replicas: o.replicas, maxSurge: o.rolling.maxSurge, maxUnavailable: o.rolling.maxUnavailable }, counts);
      if (step.done) {
        // All traffic is on the target now: from here a failing instance is restarted, not a failed rollout.
        o.fleet.supervise(o.releaseId);
        break;
      }

      const score = counts.newAvailable * 10_000 + fresh.filter((i) => i.state === "ready").length * 100 - counts.oldTotal;
      if (score !== lastScore) {
        lastScore = score;
        lastProgress = now;
      } else if (now - lastProgress > o.progressDeadline) {
        const stuck = fresh.find((i) => i.state !== "ready") ?? fresh[0];
        const why = stuck ? `; ${stuck.id}: ${o.fleet.describe(stuck)}` : "";
        throw new RolloutFailure(`no progress within progressDeadline (${o.progressDeadline / 1000}s)${why}`, stuck?.id ?? null);
      }
      report.tick(fresh, lastProgress + o.progressDeadline);

      const unready = old.filter((i) => !(i.state === "ready" && i.inRotation)).slice(0, step.stopUnready);
      const ready = old.filter((i) => i.state === "ready" && i.inRotation).slice(0, step.stopReady);
      for (const inst of [...unready, ...ready]) retiring.push(o.fleet.retire(inst, `replaced by release ${o.releaseId}`));
      for (let n = 0; n < step.start; n++) await o.launch();
      await o.fleet.waitForChange(TICK, o.signal);
    }
  } finally {
    await Promise.all(retiring);
  }
}
