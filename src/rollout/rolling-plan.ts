import type { IntOrPercent } from "../config/types.js";

/** What the engine observed about the fleet, counted for one target release. */
export interface FleetCounts {
  /** Instances of other releases that are not stopping. */
  oldTotal: number;
  /** ...of which ready and in rotation. */
  oldReady: number;
  /** Instances of the target release that are not stopping or failed. */
  newTotal: number;
  /** ...of which ready for at least minReady (Kubernetes "available"). */
  newAvailable: number;
}

export interface RollingParams {
  replicas: number;
  maxSurge: IntOrPercent;
  maxUnavailable: IntOrPercent;
}

export interface RollingStep {
  /** Instances of the target release to start now. */
  start: number;
  /** Old instances that are not ready: stop them, they serve nothing. */
  stopUnready: number;
  /** Ready old instances to take out of rotation, drain and stop. */
  stopReady: number;
  done: boolean;
}

/** Resolves a count-or-percent; surge rounds up, unavailability rounds down (as Kubernetes does). */
export function resolveCount(value: IntOrPercent, replicas: number, round: "up" | "down"): number {
  if ("count" in value) return value.count;
  const exact = (value.percent / 100) * replicas;
  return round === "up" ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * The rolling strategy as a pure function: from observed counts, the next
 * step. Keeps at least `replicas - maxUnavailable` instances available and at
 * most `replicas + maxSurge` running, like a Kubernetes Deployment.
 *
 * @example
 * planRolling({ replicas: 3, maxSurge: { count: 1 }, maxUnavailable: { count: 0 } },
 *             { oldTotal: 3, oldReady: 3, newTotal: 0, newAvailable: 0 });
 * // → { start: 1, stopUnready: 0, stopReady: 0, done: false }
 */
export function planRolling(params: RollingParams, counts: FleetCounts): RollingStep {
  const n = params.replicas;
  let surge = resolveCount(params.maxSurge, n, "up");
  const unavailable = resolveCount(params.maxUnavailable, n, "down");
  if (surge === 0 && unavailable === 0) surge = 1;
  const maxTotal = n + surge;
  const minAvailable = Math.max(0, n - unavailable);

  const done = counts.oldTotal === 0 && counts.newAvailable >= n && counts.newTotal === n;
  const stopUnready = counts.oldTotal - counts.oldReady;
  const available = counts.oldReady + counts.newAvailable;
  const stopReady = Math.min(counts.oldReady, Math.max(0, available - minAvailable));
  const remainingOld = counts.oldTotal - stopUnready - stopReady;
  const start = Math.max(0, Math.min(n - counts.newTotal, maxTotal - (remainingOld + counts.newTotal)));
  return { start, stopUnready, stopReady, done };
}
