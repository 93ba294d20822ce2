import type { DeliveryStats } from "../delivery/delivery-metrics.js";
import type { StatsPeriod } from "../delivery/stats-period.js";
import type { EventFilter } from "../ledger/ledger.js";
import type { LedgerEvent, Release, Rollout } from "../ledger/types.js";
import type { ReleaseLogs } from "../platform/platform.js";
import type { ControlState } from "../rollout/control.js";
import type { DeployRequest, RollbackRequest, RolloutResult, Rollouts } from "./rollouts.js";
import type { DaemonStatus } from "./status.js";

/** What `slipway retry` sends. */
export type RetryRequest = Parameters<Rollouts["retry"]>[0];

/** A command that acts on the rollout in progress. */
export type ControlAction = "promote" | "abort" | "pause" | "resume";

/**
 * What the control API (api.ts) and `slipway logs` (logs.ts) may ask of the
 * daemon. The `Daemon` implements it; the API never reaches into its ledger,
 * fleet or platforms, so neither imports daemon.ts.
 *
 * @example
 * createApiServer(daemon); // a Daemon is a ControlPlane
 */
export interface ControlPlane {
  /** The version of Slipway this daemon runs (ping answers it; the CLI compares it to its own). */
  readonly version: string;
  /** `.slipway/` of the project: where a resource fault's hint points. */
  readonly stateDir: string;
  status(): DaemonStatus;
  releases(): Release[];
  release(id: number): Release | undefined;
  currentReleaseId(): number | null;
  /** The newest events matching the filter, oldest first. */
  events(filter: EventFilter): LedgerEvent[];
  /** The newest `limit` rollouts, newest first. */
  rolloutHistory(limit: number): Rollout[];
  /** Delivery metrics (src/delivery/) of the ledger over the period asked; what is not asked: the last 30 days by day, 24 h window. */
  deliveryStats(asked: Partial<StatsPeriod>): DeliveryStats;
  /** Hears every ledger event as it is recorded. Returns the unsubscribe function. */
  onRecord(listener: (event: LedgerEvent) => void): () => void;
  /** Each once recovery after a start has ended. */
  deploy(req: DeployRequest): Promise<RolloutResult>;
  rollback(req: RollbackRequest): Promise<RolloutResult>;
  retry(req: RetryRequest): Promise<RolloutResult>;
  /** Resolves once the action is applied (an abort: once the rollout has ended) and its traffic change reached the router. */
  control(action: ControlAction, opts: { full?: boolean; holder: string }): Promise<ControlState & { rollout: number }>;
  /**
   * `control`, then the rollout it acted on followed to its end: its result
   * (or error). An abort resolves with the action's state once the rollout has ended (traffic back, the new release stopped).
   */
  controlAndFollow(action: ControlAction, opts: { full?: boolean; holder: string }): Promise<object>;
  /** Resolves once the router process has every traffic change made so far, and the platform those it carries (a cluster's HTTPRoute). */
  flushed(): Promise<void>;
  /** The logs of a release's instances, through its platform. */
  releaseLogs(releaseId: number): ReleaseLogs;
  stop(): Promise<void>;
}
