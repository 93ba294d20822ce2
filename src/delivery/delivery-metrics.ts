import type { Release, Rollout } from "../ledger/types.js";
import { bucketStart, bucketStarts, DAY_MS, type StatsPeriod } from "./stats-period.js";

/** What the metrics read of a release. */
export type ReleaseFacts = Pick<Release, "id" | "version" | "git">;
/** What the metrics read of a rollout. */
export type RolloutFacts = Pick<Rollout, "id" | "kind" | "releaseId" | "fromReleaseId" | "status" | "startedAt" | "endedAt">;

/** Lead time for changes: ms from a commit to the activation of the first successful deploy that brought it. */
export interface LeadTime {
  median: number | null;
  /** Nearest rank: the smallest lead time at least 90% of them do not exceed. */
  p90: number | null;
  /** How many commits were measured. */
  changes: number;
}

/** Time to restore: ms from a failed change taking traffic to a healthy release serving again. */
export interface TimeToRestore {
  median: number | null;
  max: number | null;
  restored: number;
  /** Failed changes with no healthy release after them yet. */
  open: number;
}

/** One bucket's figures: deploys (and rollbacks) that started in it. */
export interface BucketStats {
  start: number;
  deploys: number;
  succeeded: number;
  failed: number;
  rollbacks: number;
  leadTimeMedian: number | null;
  changeFailureRate: number | null;
  timeToRestoreMedian: number | null;
}

/** DORA's four keys and the rework rate over `[since, until)`; times in ms, rates 0..1 (null when nothing to divide by). */
export interface DeliveryStats extends StatsPeriod {
  /** Deploy rollouts that started in the period and ended, interrupted ones aside. */
  deploys: number;
  /** Of those, the ones whose rollout succeeded (a release rolled back later included). */
  succeeded: number;
  /** Failed changes (see changeFailureRate): a deploy rolled back within the window is in `succeeded` too. */
  failed: number;
  /** Deploy rollouts of the period the daemon's stop interrupted: counted nowhere else. */
  interrupted: number;
  /** Rollback rollouts that started in the period and ended, whatever their outcome. */
  rollbacks: number;
  /** Deploys (of `deploys`) that shipped again a release, version label or git commit shipped before. */
  redeploys: number;
  /** `succeeded` per day of the period. */
  deploymentFrequencyPerDay: number;
  leadTime: LeadTime;
  /** `failed` / `deploys`. */
  changeFailureRate: number | null;
  timeToRestore: TimeToRestore;
  /** (`rollbacks` + `redeploys`) / (`deploys` + `rollbacks`). */
  reworkRate: number | null;
  /** Every bucket overlapping the period, oldest first, empty ones with zeros and nulls. */
  buckets: BucketStats[];
}

/** What happened to one deploy of the period. */
interface DeployFacts {
  bucket: number;
  succeeded: boolean;
  failed: boolean;
  redeploy: boolean;
  leads: number[];
  /** Time to restore when it is a failed change: ms, or null while no healthy release followed. */
  restore?: number | null;
}

/**
 * Delivery metrics from the ledger's releases and rollouts: pure, every
 * input an argument. Pass every rollout the ledger has (not only the
 * period's): one before the period makes a deploy a redeploy or its commits
 * already shipped; one after it restores a failure or rolls a release back.
 * `recover` rollouts (daemon restarts) count nowhere. Deploys are those of
 * kind `deploy` that started in `[since, until)` and have ended; running ones
 * are left out, `interrupted` ones (the daemon stopped) only counted as such.
 *
 * - **Deployment frequency**: deploys that succeeded, per day of the period
 *   (`(until - since) / 24 h` days), and per bucket their count.
 * - **Lead time for changes**: for each successful deploy whose release has
 *   git info, for each commit time c of its `git.changes` (`[git.committedAt]`
 *   when empty), activation − c; the activation is the deploy rollout's end
 *   (the ledger activates the release and ends the rollout in one
 *   transaction; the release's own `activatedAt` moves when a rollback
 *   activates it again). Median and p90 (nearest rank), per bucket the
 *   median. A commit counts once, at the first successful deploy that
 *   brought it: `changes` already holds only the commits the live release
 *   lacked, and after a rollback (the next deploy's changes then count from
 *   the older live release) a commit time an earlier successful deploy
 *   counted is skipped, as many times as it appeared there. A commit dated
 *   after the deploy (a wrong clock) counts 0.
 * - **Change failure rate**: failed changes / deploys. A failed change is a
 *   deploy that ended `failed`, `rolled-back` or `aborted`, or that succeeded
 *   and a `rollback` rollout from its release (any outcome) started within
 *   `failureWindowMs` of its activation (boundary included).
 * - **Time to restore**, per failed change: from when the failing release took
 *   traffic (its deploy's start for a deploy that did not succeed, its
 *   activation for a release rolled back later) to when a healthy release
 *   served again: the failed rollout's end when it ended `rolled-back` or
 *   `aborted` and a release was live before it (the previous release is
 *   back), else the end of the first `deploy` or `rollback` rollout started
 *   since then that succeeded. None yet: open. Median, max, counts.
 * - **Rework rate**: (rollbacks + redeploys) / (deploys + rollbacks), where a
 *   redeploy is a deploy of a release an earlier deploy rollout shipped
 *   (`slipway retry`), or whose version label or git commit equals that of
 *   an earlier release (lower id).
 *
 * Restores and rollbacks are looked for in every rollout given, also after
 * `until`. Buckets (UTC days, ISO weeks from Monday) hold what started in them.
 *
 * @example
 * deliveryStats({ releases: ledger.releases(), rollouts: ledger.allRollouts(), since, until, bucket: "week", failureWindowMs: 86_400_000 });
 */
export function deliveryStats(
  input: StatsPeriod & { releases: readonly ReleaseFacts[]; rollouts: readonly RolloutFacts[] },
): DeliveryStats {
  const { since, until, bucket, failureWindowMs } = input;
  const releases = new Map(input.releases.map((r) => [r.id, r]));
  const firstShipped = firstReleases(input.releases);
  const rollouts = [...input.rollouts].sort((a, b) => a.startedAt - b.startedAt || a.id - b.id);
  const starts = bucketStarts({ since, until, bucket });
  const bucketOf = (at: number) => starts.indexOf(bucketStart(at, bucket));
  const inPeriod = (r: RolloutFacts) => r.startedAt >= since && r.startedAt < until;
  const shipped = new CommitTimes();
  const deployed = new Set<number>();
  const deploys: DeployFacts[] = [];
  let interrupted = 0;
  for (const d of rollouts) {
    if (d.kind !== "deploy") continue;
    const release = releases.get(d.releaseId);
    const redeploy = deployed.has(d.releaseId) || (release !== undefined && firstShipped(release) < release.id);
    deployed.add(d.releaseId);
    const leads = d.status === "succeeded" && release?.git ? shipped.add(release.git).map((c) => Math.max(0, d.endedAt! - c)) : [];
    if (!inPeriod(d) || d.endedAt === null || d.status === "running") continue;
    if (d.status === "interrupted") {
      interrupted++;
      continue;
    }
    const facts: DeployFacts = { bucket: bucketOf(d.startedAt), succeeded: d.status === "succeeded", failed: false, redeploy, leads };
    const tookTraffic = facts.succeeded ? d.endedAt : d.startedAt;
    facts.failed = !facts.succeeded || rollouts.some((r) => isRollbackFrom(r, d, failureWindowMs));
    if (facts.failed) facts.restore = restoredAt(d, tookTraffic, rollouts);
    deploys.push(facts);
  }
  const rollbacks = rollouts.filter((r) => r.kind === "rollback" && inPeriod(r) && r.endedAt !== null && r.status !== "running");
  const count = (list: DeployFacts[], pick: (d: DeployFacts) => boolean) => list.filter(pick).length;
  const all = summary(deploys);
  const redeploys = count(deploys, (d) => d.redeploy);
  const restores = restoreTimes(deploys);
  const leads = deploys.flatMap((d) => d.leads);
  return {
    since,
    until,
    bucket,
    failureWindowMs,
    deploys: deploys.length,
    succeeded: all.succeeded,
    failed: all.failed,
    interrupted,
    rollbacks: rollbacks.length,
    redeploys,
    deploymentFrequencyPerDay: all.succeeded / ((until - since) / DAY_MS),
    leadTime: { median: all.leadTimeMedian, p90: nearestRank(leads, 90), changes: leads.length },
    changeFailureRate: all.changeFailureRate,
    timeToRestore: {
      median: all.timeToRestoreMedian,
      max: restores.length ? Math.max(...restores) : null,
      restored: restores.length,
      open: count(deploys, (d) => d.restore === null),
    },
    reworkRate: ratio(rollbacks.length + redeploys, deploys.length + rollbacks.length),
    buckets: starts.map((start, i) => ({
      start,
      ...summary(deploys.filter((d) => d.bucket === i)),
      rollbacks: rollbacks.filter((r) => bucketOf(r.startedAt) === i).length,
    })),
  };
}

/** The figures a bucket and the whole period share. */
function summary(deploys: DeployFacts[]): Omit<BucketStats, "start" | "rollbacks"> {
  const succeeded = deploys.filter((d) => d.succeeded).length;
  const failed = deploys.filter((d) => d.failed).length;
  return {
    deploys: deploys.length,
    succeeded,
    failed,
    leadTimeMedian: median(deploys.flatMap((d) => d.leads)),
    changeFailureRate: ratio(failed, deploys.length),
    timeToRestoreMedian: median(restoreTimes(deploys)),
  };
}

function restoreTimes(deploys: DeployFacts[]): number[] {
  return deploys.flatMap((d) => (typeof d.restore === "number" ? [d.restore] : []));
}

/** A rollback away from `deploy`'s release, started within the failure window of its activation. */
function isRollbackFrom(r: RolloutFacts, deploy: RolloutFacts, windowMs: number): boolean {
  const activation = deploy.endedAt!;
  return r.kind === "rollback" && r.fromReleaseId === deploy.releaseId && r.startedAt >= activation && r.startedAt <= activation + windowMs;
}

/** Ms from `tookTraffic` until a healthy release served again after failed change `d`; null while none has. */
function restoredAt(d: RolloutFacts, tookTraffic: number, rollouts: readonly RolloutFacts[]): number | null {
  if ((d.status === "rolled-back" || d.status === "aborted") && d.fromReleaseId !== null) return d.endedAt! - tookTraffic;
  const next = rollouts.find(
    (r) => r.id !== d.id && r.kind !== "recover" && r.status === "succeeded" && r.endedAt !== null && r.startedAt >= tookTraffic,
  );
  return next ? next.endedAt! - tookTraffic : null;
}

/** The lowest id of a release with the same version label or git commit as a release (its own id when none). */
function firstReleases(releases: readonly ReleaseFacts[]): (release: ReleaseFacts) => number {
  const byVersion = new Map<string, number>();
  const byCommit = new Map<string, number>();
  const keep = (map: Map<string, number>, key: string, id: number) => map.set(key, Math.min(id, map.get(key) ?? id));
  for (const r of releases) {
    keep(byVersion, r.version, r.id);
    if (r.git) keep(byCommit, r.git.commit, r.id);
  }
  return (r) => Math.min(byVersion.get(r.version) ?? r.id, r.git ? (byCommit.get(r.git.commit) ?? r.id) : r.id);
}

/**
 * Commit times successful deploys brought, as a multiset: a time counts
 * again only as many more times as a later list repeats it.
 */
class CommitTimes {
  private readonly seen = new Map<number, number>();

  /** The times of `git` not counted yet (its changes, or its commit's time when it brought none), then counted. */
  add(git: NonNullable<ReleaseFacts["git"]>): number[] {
    const times = git.changes.length ? git.changes : [git.committedAt];
    const here = new Map<number, number>();
    const fresh: number[] = [];
    for (const t of times) {
      const n = (here.get(t) ?? 0) + 1;
      here.set(t, n);
      if (n > (this.seen.get(t) ?? 0)) fresh.push(t);
    }
    for (const [t, n] of here) this.seen.set(t, Math.max(n, this.seen.get(t) ?? 0));
    return fresh;
  }
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

/** The middle value (the mean of the two middle ones for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The p-th percentile by nearest rank: the value at rank ceil(p/100 × n) of the sorted values; null for none. */
export function nearestRank(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}
