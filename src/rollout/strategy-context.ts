import type { AnalysisConfig, CheckSpec, Config } from "../config/types.js";
import type { RolloutControl } from "./control.js";

export interface ReleaseRef {
  id: number;
  version: string;
}

export interface CheckOutcome {
  name: string;
  ok: boolean;
  message: string;
}

/** A running analysis, as strategies see it (src/analysis/analysis-run.ts). */
export interface AnalysisHandle {
  /**
   * Settles on "failed" (failureLimit exceeded) or "inconclusive"
   * (inconclusiveLimit exceeded); a new promise after resetInconclusive().
   */
  readonly outcome: Promise<"failed" | "inconclusive">;
  waitForPass(): Promise<"passed" | "failed" | "inconclusive">;
  resetInconclusive(): void;
  lastReasons(): string[];
  stop(): void;
}

/** A preview listener that routes only to one release (blue-green). */
export interface PreviewHandle {
  url: string;
  close(): Promise<void>;
}

/**
 * What a progressive strategy (canary, blue-green) may do. The daemon
 * implements it (src/daemon/strategy-runtime.ts) with the release's
 * `Workload`, the ledger, analysis, checks, hooks and notifications;
 * strategies only decide the order.
 */
export interface StrategyContext {
  control: RolloutControl;
  target: ReleaseRef;
  stable: ReleaseRef | null;
  config: Config;
  /** Records a step in the ledger and notifies webhooks. */
  note(event: "rollout.step" | "rollout.paused" | "rollout.promoted", message: string, data?: Record<string, unknown>): void;
  /** Starts an analysis of the target release against the stable one. */
  analysis(config: AnalysisConfig, label: string): AnalysisHandle;
  runChecks(specs: CheckSpec[], baseUrl: string): Promise<CheckOutcome[]>;
  /** Runs a pre-hook; throws a RolloutFailure when it fails. */
  preHook(name: "prePromote"): Promise<void>;
  openPreview(listen: { host: string; port: number }): Promise<PreviewHandle>;
  /** Blue-green: starts `replicas` instances of the target release out of rotation and waits until they are ready. */
  startGreen(replicas: number): Promise<void>;
  /** Blue-green: all traffic to the target release, in one routing-table swap. */
  switchToTarget(): void;
  /** Blue-green: after the switch and postPromotion, the target becomes the app's steady state. */
  settle(): Promise<void>;
  /** Canary: starts `replicas` instances of the target release at weight 0 and waits until they are ready. */
  startCanary(replicas: number): Promise<void>;
  /** Canary: the share of requests (percent) the target release gets. */
  setCanaryWeight(weight: number): void;
  /** Scales the target release to app.replicas, moves all traffic to it, retires every other instance. */
  finish(): Promise<void>;
  /** Keeps the stable release's instances running out of rotation for `ms` (instant rollback). */
  keepStandby(ms: number): void;
}

/** Canary instance count: a count, or a percentage of app.replicas rounded up; at least 1, at most replicas. */
export function canaryReplicas(config: Config): number {
  const c = config.strategy.canary?.replicas ?? { count: 1 };
  const n = "count" in c ? c.count : Math.ceil((c.percent / 100) * config.app.replicas);
  return Math.max(1, Math.min(config.app.replicas, n));
}
