import type { Clock } from "../clock.js";
import type { Ledger } from "../ledger/ledger.js";
import type { Release } from "../ledger/types.js";
import { resourceFault } from "../resource-error.js";
import { FaultLog } from "../fault-log.js";

/** The release a blue-green switch replaced, kept running out of rotation so `slipway rollback` is a switch back. */
export interface StandbyState {
  release: number;
  version: string;
  /** When its instances are stopped (ms since the epoch). */
  until: number;
}

/**
 * Whether a standby recorded to last until `until` still holds at `now`.
 * The deadline is exclusive: at `until` the instances are stopped.
 *
 * @example
 * standbyHolds(60_000, 59_999); // true
 * standbyHolds(60_000, 60_000); // false
 */
export function standbyHolds(until: number, now: number): boolean {
  return until > now;
}

export interface StandbyOptions {
  ledger: Ledger;
  clock: Clock;
  /** Stops the instances of a release whose standby ended. */
  scaleDown: (releaseId: number) => void;
  faults?: FaultLog;
}

/**
 * The blue-green standby (scaleDownDelay). The deadline is stored in the
 * ledger (`releases.standby_until`, as Argo Rollouts keeps it on the object),
 * so a restarted daemon keeps the standby for the time left: recovery adopts
 * its instances while the deadline is in the future, and `restore` re-arms
 * the timer.
 */
export class Standby {
  private timer: unknown = null;
  private held: StandbyState | null = null;
  private readonly faults: FaultLog;

  constructor(private readonly o: StandbyOptions) {
    this.faults = o.faults ?? new FaultLog();
  }

  /** The standby now, for status; null when none. */
  get state(): StandbyState | null {
    return this.held;
  }

  /**
   * Keeps `release` on standby for `ms`, recorded in the ledger first. On a
   * full disk the standby still holds in memory (a switch never fails for its
   * bookkeeping); only a daemon restarted before space frees loses it.
   */
  keep(release: Release, ms: number): void {
    this.clear();
    const until = this.o.clock.now() + ms;
    try {
      this.o.ledger.setStandby(release.id, until);
    } catch (err) {
      if (!resourceFault(err)) throw err;
      this.faults.report("ledger: recording the standby", err);
    }
    this.arm({ release: release.id, version: release.version, until });
  }

  /**
   * Takes over the standby a previous daemon recorded: the timer is armed for
   * the time left (at once when it has passed). Forgotten when the release is
   * current again or gone. Returns what it restored.
   */
  restore(): StandbyState | null {
    const recorded = this.o.ledger.standby();
    if (!recorded) return null;
    const release = this.o.ledger.release(recorded.releaseId);
    if (!release || this.o.ledger.currentReleaseId() === release.id) {
      this.o.ledger.setStandby(null);
      return null;
    }
    this.arm({ release: release.id, version: release.version, until: recorded.until });
    return this.held;
  }

  /** Ends the standby without stopping anything (a rollback switched back to it, or a new rollout took over). */
  clear(): void {
    if (this.timer) this.o.clock.clearTimeout(this.timer as never);
    this.timer = null;
    if (this.held) this.forget();
    this.held = null;
  }

  private arm(state: StandbyState): void {
    this.held = state;
    const left = Math.max(0, state.until - this.o.clock.now());
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = null;
      this.held = null;
      this.forget();
      if (this.o.ledger.currentReleaseId() === state.release) return;
      this.o.scaleDown(state.release);
    }, left);
  }

  /** A standby the ledger cannot forget (disk full) is dropped by the next daemon anyway: its deadline passes. */
  private forget(): void {
    try {
      this.o.ledger.setStandby(null);
    } catch (err) {
      if (!resourceFault(err)) throw err;
      this.faults.report("ledger: ending the standby", err);
    }
  }
}
