import type { ProbeWait } from "../probe/instance-health.js";
import type { InstanceState } from "./instance-state.js";

/**
 * What a strategy reads of one instance. The daemon's `Instance`
 * (src/daemon/fleet.ts) has these fields and more; strategies see only these.
 */
export interface InstanceView {
  readonly id: string;
  readonly releaseId: number;
  readonly state: InstanceState;
  /** Whether the router may send it traffic once it is ready. */
  readonly inRotation: boolean;
  /** When it last became ready (clock ms), null while not ready. */
  readonly readySince: number | null;
  /** The last probe result or exit, named in failure messages. */
  readonly lastMessage: string;
  /** What to do about its failure, when the failure says. */
  readonly hint: string | null;
}

/**
 * The fleet's instances, as the wait loops of src/rollout/ read and retire
 * them (`converge`, `waitReady`, `awaitReleaseHealthy`, used by
 * `FleetWorkload`). `src/rollout/` owns this seam and never imports
 * `src/daemon/`; the daemon's `Fleet` satisfies it.
 *
 * @example
 * const fresh = fleet.ofRelease(3).filter((i) => isLive(i.state));
 * for (const old of fleet.list().filter((i) => i.releaseId !== 3)) await fleet.retire(old, "replaced by release 3");
 */
export interface FleetView {
  list(): InstanceView[];
  ofRelease(releaseId: number): InstanceView[];
  /** Resolves on the next instance change, or after `ms`. */
  waitForChange(ms: number, signal?: AbortSignal): Promise<void>;
  /** Why the instance is not ready yet ("" when ready). */
  describe(inst: InstanceView): string;
  /** The probe a not-ready instance waits for, null when none. */
  waiting(inst: InstanceView): ProbeWait | null;
  /** Records an event about the instance in the ledger. */
  note(inst: InstanceView, type: string, message: string, data?: Record<string, unknown>): void;
  /** From now on, a failing instance of the release is restarted instead of failing the rollout. */
  supervise(releaseId: number): void;
  /** Out of rotation, drained, stopped. */
  retire(inst: InstanceView, reason: string): Promise<void>;
}
