import { systemClock, type Clock } from "../../src/clock.js";
import { parseConfig } from "../../src/config/load.js";
import { Ledger, type NewRelease } from "../../src/ledger/ledger.js";
import type { ReleaseGit, RolloutKind, RolloutStatus } from "../../src/ledger/types.js";

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

const MINIMAL_CONFIG = "name: x\napp: { command: node s.js, replicas: 1 }\n";

/** A release of a minimal app that never runs (no snapshot), for ledgers tests write by hand. */
export function minimalRelease(version: string): NewRelease {
  const config = parseConfig(MINIMAL_CONFIG, { file: "slipway.yaml", root: "/x" }).config;
  return { version, configText: MINIMAL_CONFIG, config, configFile: "/x/slipway.yaml", environment: null, env: {}, snapshot: "" };
}

/** A time in November 2026, UTC. */
export const nov = (day: number, hour: number, minute = 0): number => Date.UTC(2026, 10, day, hour, minute);

/** Git info as the intake records it: HEAD's commit and time, then the older commits it brought. */
export const git = (commit: string, committedAt: number, ...older: number[]): ReleaseGit => ({
  commit: commit.padEnd(40, "0"),
  committedAt,
  changes: [committedAt, ...older],
});

/**
 * A ledger written the way the daemon writes it (createRelease, setGit,
 * startRollout, activate, endRollout), each call at the time the script
 * names: the clock is set before each, so rows carry scripted times.
 */
export class DeliveryTimeline {
  private now = 0;
  readonly clock: Clock = { ...systemClock, now: () => this.now };
  readonly ledger: Ledger;

  constructor(
    file: string,
    private readonly newRelease: (version: string) => NewRelease,
  ) {
    this.ledger = Ledger.open(file, this.clock);
  }

  /** A new release deployed from `startedAt` to `endedAt`, ending `outcome` ("running": not ended). Its id. */
  deploy(version: string, git: ReleaseGit | null, startedAt: number, endedAt: number, outcome: RolloutStatus): number {
    this.now = startedAt;
    const release = this.ledger.createRelease(this.newRelease(version));
    this.ledger.setGit(release.id, git);
    this.run("deploy", release.id, endedAt, outcome);
    return release.id;
  }

  /** `slipway retry`: the same release deployed again. */
  retry(releaseId: number, startedAt: number, endedAt: number, outcome: RolloutStatus): void {
    this.now = startedAt;
    this.ledger.setReleaseStatus(releaseId, "pending");
    this.run("deploy", releaseId, endedAt, outcome);
  }

  /** `slipway rollback --to`: from the current release to `releaseId`. */
  rollback(releaseId: number, startedAt: number, endedAt: number, outcome: RolloutStatus): void {
    this.now = startedAt;
    this.run("rollback", releaseId, endedAt, outcome);
  }

  /** A daemon restart bringing the current release back. */
  recover(startedAt: number, endedAt: number): void {
    this.now = startedAt;
    this.run("recover", this.ledger.currentReleaseId()!, endedAt, "succeeded");
  }

  close(): void {
    this.ledger.close();
  }

  private run(kind: RolloutKind, releaseId: number, endedAt: number, outcome: RolloutStatus): void {
    const { ledger } = this;
    const rollout = ledger.startRollout({
      kind,
      releaseId,
      fromReleaseId: ledger.currentReleaseId(),
      strategy: "rolling",
      holder: "script",
    });
    if (outcome === "running") return;
    this.now = endedAt;
    ledger.transaction(() => {
      if (outcome === "succeeded") ledger.activate(releaseId);
      else if (kind === "deploy") ledger.setReleaseStatus(releaseId, outcome === "aborted" ? "aborted" : "failed");
      ledger.endRollout(rollout.id, outcome);
    });
  }
}

/**
 * Three weeks of deliveries, Monday 2 to Sunday 22 November 2026 (the
 * expected figures are worked out in the tests that use it): every kind of
 * outcome, once. Release ids in order: 1 to 12.
 */
export function novemberDeliveries(t: DeliveryTimeline): void {
  // Week 1, from Monday 2 November.
  t.deploy("v1", git("c1", nov(3, 8)), nov(3, 10), nov(3, 10, 10), "rolled-back"); // 1: first ever, failed, nothing to go back to
  t.deploy("v2", git("c2", nov(3, 13)), nov(3, 14), nov(3, 14, 10), "succeeded"); // 2: the first success
  t.deploy("v3", git("c3", nov(5, 8), nov(4, 16)), nov(5, 9), nov(5, 9, 30), "rolled-back"); // 3: a canary that rolled back
  t.deploy("v4", git("c4", nov(5, 14), nov(5, 8), nov(4, 16)), nov(5, 15), nov(5, 15, 20), "succeeded"); // 4: the fix, with 3's commits
  t.recover(nov(7, 3), nov(7, 3, 1)); // a daemon restart
  // Week 2, from Monday 9 November.
  t.deploy("v5", git("c5", nov(9, 9)), nov(9, 10), nov(9, 10, 15), "aborted"); // 5: aborted by hand
  t.retry(5, nov(9, 11), nov(9, 11, 20), "succeeded"); // slipway retry: release 5 again
  t.deploy("v6", git("c6", nov(10, 9, 30)), nov(10, 10), nov(10, 10, 10), "succeeded"); // 6
  t.rollback(5, nov(10, 12, 10), nov(10, 12, 15), "succeeded"); // 6 rolled back by hand 2 h after it went live
  t.deploy("v7", git("c7", nov(12, 9), nov(10, 9, 30)), nov(12, 10), nov(12, 10, 10), "succeeded"); // 7: brings 6's commit again
  t.rollback(5, nov(15, 10, 10), nov(15, 10, 15), "succeeded"); // 7 rolled back 3 days later: outside the window
  // Week 3, from Monday 16 November.
  t.deploy("v7", git("c7", nov(12, 9), nov(10, 9, 30)), nov(16, 10), nov(16, 10, 10), "succeeded"); // 8: v7 shipped again
  t.deploy("v9", git("c9", nov(17, 9)), nov(17, 10), nov(17, 10, 5), "interrupted"); // 9: the daemon stopped
  t.deploy("v10", null, nov(18, 10), nov(18, 10, 10), "succeeded"); // 10: deployed from outside a git work tree
  t.deploy("v11", git("c11", nov(20, 8)), nov(20, 10), nov(20, 10, 10), "succeeded"); // 11: 10 had no commit, so HEAD only
  t.rollback(10, nov(20, 20, 10), nov(20, 20, 20), "failed"); // 11's rollback failed: nothing healthy after it
  t.deploy("v12", git("c12", nov(22, 22)), nov(22, 23), 0, "running"); // 12: still running
}
