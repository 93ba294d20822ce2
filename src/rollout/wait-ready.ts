import type { Clock } from "../clock.js";
import type { FleetView, InstanceView } from "./fleet-view.js";
import { isLive } from "./instance-state.js";
import { instanceFailure, RolloutFailure } from "./rollout-failure.js";
import { WaitReport } from "./wait-report.js";
import type { Step } from "./workload.js";

export interface WaitReadyOptions {
  fleet: FleetView;
  clock: Clock;
  /** Fail when nothing changes for this long (ms). */
  progressDeadline: number;
  step: Step;
}

/**
 * Waits until every given instance is ready (a canary's or green's new
 * instances). Fails when one fails, or when nothing changes for
 * `progressDeadline`; holds while the rollout is paused.
 *
 * @example
 * await waitReady({ fleet, clock, progressDeadline: 60_000, step }, [await launch(), await launch()]);
 */
export async function waitReady(o: WaitReadyOptions, instances: InstanceView[]): Promise<void> {
  let lastChange = o.clock.now();
  let lastReady = -1;
  const report = new WaitReport(o.fleet, o.clock);
  for (;;) {
    await o.step.checkpoint();
    const failed = instances.find((i) => i.state === "failed" || !isLive(i.state));
    if (failed) throw instanceFailure(failed);
    const ready = instances.filter((i) => i.state === "ready").length;
    if (ready === instances.length) return;
    if (ready !== lastReady) {
      lastReady = ready;
      lastChange = o.clock.now();
    } else if (o.clock.now() - lastChange > o.progressDeadline) {
      const stuck = instances.find((i) => i.state !== "ready")!;
      throw new RolloutFailure(
        `no progress within progressDeadline (${o.progressDeadline / 1000}s); ${stuck.id}: ${o.fleet.describe(stuck)}`,
        stuck.id,
      );
    }
    report.tick(instances, lastChange + o.progressDeadline);
    await o.fleet.waitForChange(200, o.step.signal);
  }
}
