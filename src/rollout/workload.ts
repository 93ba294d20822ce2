import type { Config } from "../config/types.js";
import type { Release } from "../ledger/types.js";
import type { ReleaseLogs } from "../platform/platform.js";
import type { Target } from "../router/types.js";

/** A place the router may send a request: an instance or a task (the router's `Target`). */
export type RouteTarget = Target;

/** What every step of a rollout gets: the rollout's abort signal, its pause, and a way to report progress. */
export interface Step {
  signal: AbortSignal;
  /** Resolves at once unless the rollout is paused (then once resumed); throws once it has ended (abort, failure). */
  checkpoint: () => Promise<void>;
  /** A line of the rollout's journal (what the CLI streams). */
  note: (message: string) => void;
}

/** How a release's instances stand: `ready` of `replicas`. */
export interface ReadyCount {
  ready: number;
  replicas: number;
}

export interface AbandonOptions {
  /** Why the target's instances stop (their last event). */
  reason: string;
  restore: boolean;
  /** Aborts restoring `previous` (the daemon is stopping). */
  signal?: AbortSignal;
  /** Progress of restoring `previous` (the rollout's journal). */
  note?: (message: string) => void;
}

/** One running instance (or Swarm task), as `slipway status` lists it. */
export interface InstanceRow {
  id: string;
  release: number;
  version: string;
  pid: number;
  port: number;
  state: string;
  inRotation: boolean;
  restarts: number;
  /** The failure behind the last supervised restart. */
  lastFailure: { at: number; reason: string } | null;
  health: string;
}

/**
 * How the releases of an app run and take traffic: the one executor seam.
 * Rollouts (src/daemon/rollouts.ts) and the strategies decide the order of
 * steps; a workload carries them out. `FleetWorkload` (src/daemon/) runs
 * instances one by one on the process or docker platform; `SwarmWorkload`
 * hands them to Swarm services; `KubernetesWorkload` to Deployments. The daemon picks one per release
 * (`Workloads.for(config)`), and only the workload serving the current
 * release writes the router's table.
 *
 * Every method that waits takes a `Step` and throws a `RolloutFailure`
 * (src/rollout/rollout-failure.ts) when the release cannot get where the
 * step asks, or when the step's signal is aborted.
 */
export interface Workload {
  /**
   * Whether Slipway's router carries the app's traffic to these instances
   * (process, docker, swarm). False on Kubernetes, where the cluster's
   * Services and Gateway do: the daemon then binds no public listener, and
   * the router's samples (analysis, metrics) are not there.
   */
  readonly routed: boolean;
  /**
   * The lock a rollout holds beyond this daemon, taken after the daemon's
   * own (a Lease on Kubernetes); resolves with its release. Throws LOCK_HELD
   * when another holds it, and a config error when the platform cannot be
   * reached as configured, before anything is recorded.
   */
  claim(config: Config, holder: string): Promise<() => Promise<void>>;
  /** Where the app is served when `routed` is false (status says it), e.g. "Service shop, HTTPRoute shop in namespace shop". */
  servedBy?(config: Config): string;
  /** Rolling: `release` at `app.replicas`, the other releases retired as it becomes ready; resolves once done. */
  rollOut(release: Release, config: Config, step: Step): Promise<void>;
  /** Canary: `replicas` instances of `release` in rotation at weight 0; resolves once they are ready. */
  startCanary(release: Release, config: Config, replicas: number, step: Step): Promise<void>;
  /** Canary: the share of requests (percent) `release` gets. */
  setCanaryWeight(release: Release, weight: number): void;
  /**
   * Resolves once the traffic changes asked so far (weights, switches) are
   * made on the platform, where they do not go through Slipway's router (the
   * cluster's HTTPRoute on Kubernetes). Absent where they do: the router's
   * own flush covers them. A change that failed is not reported here; the
   * rollout's next step reports it.
   */
  trafficSettled?(): Promise<void>;
  /** Canary promotion: `release` at full size with all traffic, every other release retired. */
  promote(release: Release, config: Config, step: Step): Promise<void>;
  /** Blue-green: `replicas` instances of `release` out of rotation; resolves once they are ready. */
  startGreen(release: Release, config: Config, replicas: number, step: Step): Promise<void>;
  /** Calls `listener` when instances change (start, ready, stop); returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
  /** Blue-green: the ready targets of `release` (the preview listener). */
  previewTargets(releaseId: number): RouteTarget[];
  /** All traffic to `release` in one routing-table swap. */
  switchTo(release: Release): void;
  /** Blue-green, after the switch and postPromotion: `release` becomes the app's steady state. */
  settle(release: Release, config: Config, step: Step): Promise<void>;
  /** Blue-green: `release` keeps running out of rotation for `ms` (instant rollback); a no-op where the platform cannot. */
  keepStandby(release: Release, ms: number): void;
  /** Ready instances of `release` a rollback can switch traffic to without starting any (a blue-green standby); 0 where there is no standby. */
  standbyReady(releaseId: number): number;
  /**
   * The last step of a rollout: every instance of `release` ready, failed
   * ones restarted meanwhile; fails (degraded) after `config.progressDeadline`.
   */
  awaitHealthy(release: Release, config: Config, step: Step): Promise<ReadyCount>;
  /** From now on the release is the app's: its instances that fail are restarted, and it is no one's standby. */
  commit(release: Release): void;
  /**
   * Undo of a failed rollout: traffic back to `previous` at once when it
   * still runs, the target's instances retired (`reason`), and `previous`
   * brought back to full size when `restore`. Says whether it serves again,
   * or why restoring it failed.
   */
  abandon(target: Release, previous: Release | null, o: AbandonOptions): Promise<{ restored: boolean; error: string | null }>;
  /** Drains and stops every instance of `release` (the one a switch-back rollback left). */
  retire(release: Release, reason: string): Promise<void>;
  /** Daemon start: the current release followed again and brought back to full size. */
  recover(current: Release, config: Config, step: Step): Promise<void>;
  /** The release kept on standby after a blue-green switch, and until when (clock ms); null when none. */
  readonly standby: { release: number; version: string; until: number } | null;
  /** Releases with instances running (never pruned). */
  runningReleases(): number[];
  /** The running instances, for status. */
  instances(): InstanceRow[];
  /** The release a router target belongs to (router samples name targets), undefined when unknown. */
  releaseOf(targetId: string): number | undefined;
  /** The logs of a release's instances. */
  logs(release: Release): ReleaseLogs;
  /** The last `lines` lines of one instance's log (a failed rollout shows them). */
  tail(id: string, lines: number): Promise<string[]>;
  /** `slipway down`: every instance stopped. */
  down(): Promise<void>;
}
