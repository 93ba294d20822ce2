import type { Clock } from "../clock.js";
import { SlipwayError } from "../errors.js";

export interface LockInfo {
  holder: string;
  since: number;
  what: string;
}

/** The lock as status shows it: its holder, and how many requests wait for it (`--wait-lock`). */
export interface LockStatus extends LockInfo {
  waiting: number;
}

/**
 * The deploy lock: one rollout at a time per project. The daemon is the only
 * executor, so an in-memory lock is exact; the ledger's running rollout row is
 * its durable trace (a killed daemon's rollout is marked interrupted on start).
 */
export class DeployLock {
  private held: LockInfo | null = null;
  private waiting = 0;

  constructor(private readonly clock: Clock) {}

  get info(): LockStatus | null {
    return this.held && { ...this.held, waiting: this.waiting };
  }

  /** Takes the lock, waiting up to `waitMs` for it; throws LOCK_HELD otherwise. */
  async acquire(holder: string, what: string, waitMs: number): Promise<() => void> {
    const deadline = this.clock.now() + waitMs;
    if (this.held) {
      this.waiting++;
      try {
        while (this.held) {
          if (this.clock.now() >= deadline) throw lockHeld(this.held, this.clock.now());
          await this.clock.sleep(Math.min(200, Math.max(1, deadline - this.clock.now())));
        }
      } finally {
        this.waiting--;
      }
    }
    const mine: LockInfo = { holder, since: this.clock.now(), what };
    this.held = mine;
    return () => {
      if (this.held === mine) this.held = null;
    };
  }
}

function lockHeld(info: LockInfo, now: number): SlipwayError {
  const since = new Date(info.since).toISOString().replace("T", " ").slice(0, 19);
  const secs = Math.round((now - info.since) / 1000);
  return new SlipwayError(
    "LOCK_HELD",
    `another rollout holds the deploy lock: ${info.what}, by ${info.holder} since ${since} UTC (${secs}s ago)`,
    { hint: "wait for it to finish (slipway status), or pass --wait-lock 5m to wait" },
  );
}
