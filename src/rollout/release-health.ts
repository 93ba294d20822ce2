import type { Clock } from "../clock.js";
import type { FleetView } from "./fleet-view.js";
import { isLive, type InstanceState } from "./instance-state.js";
import { RolloutFailure } from "./rollout-failure.js";
import { WaitReport } from "./wait-report.js";

/** How a release's instances stand against its size (`app.replicas`). */
export interface ReleaseHealth<T> {
  /** Instances ready now. */
  ready: number;
  replicas: number;
  /** Every live instance is ready and there are exactly `replicas` of them. */
  healthy: boolean;
  /** An instance that failed for good (not restarting): the release cannot get healthy by itself. */
  failed: T | null;
  /** The first live instance that is not ready (restarting, starting, unready), to name in messages. */
  waiting: T | null;
}

/**
 * Counts a release's instances (Argo Rollouts' Healthy vs Degraded, as
 * numbers). Instances stopping or stopped do not count.
 *
 * @example
 * releaseHealth([{ id: "r2-1", state: "ready" }, { id: "r2-2", state: "restarting" }], 2);
 * // → { ready: 1, replicas: 2, healthy: false, failed: null, waiting: { id: "r2-2", ... } }
 */
export function releaseHealth<T extends { state: InstanceState }>(instances: readonly T[], replicas: number): ReleaseHealth<T> {
  const live = instances.filter((i) => isLive(i.state));
  const ready = live.filter((i) => i.state === "ready").length;
  return {
    ready,
    replicas,
    healthy: ready === replicas && live.length === replicas,
    failed: instances.find((i) => i.state === "failed") ?? null,
    waiting: live.find((i) => i.state !== "ready") ?? null,
  };
}

/**
 * What a successful rollout says of its instances.
 *
 * @example
 * readyCount({ ready: 2, replicas: 2 }); // → "all 2 instances ready"
 */
export function readyCount(r: { ready: number; replicas: number }): string {
  if (r.ready < r.replicas) return `${r.ready} of ${r.replicas} instances ready`;
  return r.replicas === 1 ? "its instance is ready" : `all ${r.replicas} instances ready`;
}

export interface HealthGateOptions {
  fleet: FleetView;
  clock: Clock;
  releaseId: number;
  replicas: number;
  /** How long the release may take to be whole again (ms): the rollout's `progressDeadline`. */
  deadline: number;
  signal?: AbortSignal;
  /** Told once, when the gate has to wait (some instance is not ready). */
  onWait?: (message: string) => void;
}

/** How often the gate looks again when nothing changes. */
const TICK = 200;

/**
 * The last step of every rollout (deploy or rollback, every strategy but
 * Swarm's, which waits for its ready tasks itself): resolves once every
 * instance of the release the rollout leaves serving is ready, supervision
 * restarting any that failed meanwhile. Throws a RolloutFailure naming the
 * instance when one failed for good, or when the release is still short of
 * ready instances after `deadline` (degraded).
 *
 * @example
 * await awaitReleaseHealthy({ fleet, clock, releaseId: 3, replicas: 2, deadline: 60_000 });
 */
export async function awaitReleaseHealthy(o: HealthGateOptions): Promise<{ ready: number; replicas: number }> {
  const until = o.clock.now() + o.deadline;
  const report = new WaitReport(o.fleet, o.clock);
  let waited = false;
  for (;;) {
    if (o.signal?.aborted) throw new RolloutFailure("stopped while waiting for every instance to be ready", null, "interrupted");
    const h = releaseHealth(o.fleet.ofRelease(o.releaseId), o.replicas);
    if (h.healthy) return { ready: h.ready, replicas: h.replicas };
    if (h.failed) throw new RolloutFailure(`instance ${h.failed.id} failed: ${h.failed.lastMessage}`, h.failed.id);
    const why = h.waiting ? `; ${h.waiting.id} ${h.waiting.state}: ${o.fleet.describe(h.waiting)}` : "";
    if (o.clock.now() >= until) {
      throw new RolloutFailure(
        `release ${o.releaseId} is degraded: ${h.ready} of ${o.replicas} instances ready after progressDeadline (${o.deadline / 1000}s)${why}`,
        h.waiting?.id ?? null,
      );
    }
    if (!waited) o.onWait?.(`${h.ready} of ${o.replicas} instances of release ${o.releaseId} ready, waiting for the rest${why}`);
    waited = true;
    report.tick(o.fleet.ofRelease(o.releaseId), until); // every 4 s: what a restarted instance's probes say
    await o.fleet.waitForChange(TICK, o.signal);
  }
}
