import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deliveryStats, median, nearestRank, type BucketStats, type DeliveryStats } from "../src/delivery/delivery-metrics.js";
import { bucketStart, bucketStarts, statsPeriod, statsQuery, type StatsPeriod } from "../src/delivery/stats-period.js";
import { SlipwayError } from "../src/errors.js";
import { DAY, DeliveryTimeline, HOUR, minimalRelease, MINUTE, nov, novemberDeliveries } from "./support/delivery-timeline.js";

let timeline: DeliveryTimeline;
beforeEach(() => {
  timeline = new DeliveryTimeline(":memory:", minimalRelease);
  novemberDeliveries(timeline);
});
afterEach(() => timeline.close());

/** The stats of the scripted ledger over `[since, until)`, every rollout read (as the daemon does). */
function stats(period: Partial<StatsPeriod> & Pick<StatsPeriod, "since" | "until">): DeliveryStats {
  const { ledger } = timeline;
  return deliveryStats({ bucket: "week", failureWindowMs: DAY, ...period, releases: ledger.releases(), rollouts: ledger.allRollouts() });
}

const empty = (start: number, rollbacks = 0): BucketStats => ({
  start,
  deploys: 0,
  succeeded: 0,
  failed: 0,
  rollbacks,
  leadTimeMedian: null,
  changeFailureRate: null,
  timeToRestoreMedian: null,
});

describe("delivery metrics over three scripted weeks (Monday 2 to Sunday 22 November 2026)", () => {
  const weeks = { since: nov(2, 0), until: nov(23, 0) };

  it("counts the four keys and the rework rate exactly", () => {
    const s = stats(weeks);
    // Deploy rollouts that started in the period and ended: releases 1, 2, 3, 4, 5, 5 (retry), 6, 7, 8, 10, 11 = 11.
    // Release 9 was interrupted (1); 12 still runs (not counted); the recover rollout of 7 November counts nowhere.
    // Succeeded: 2, 4, 5 (retry), 6, 7, 8, 10, 11 = 8.
    // Failed changes: 1 (rolled back), 3 (rolled back), 5 (aborted), 6 (rolled back 2 h after going live), 11 (rolled back
    // 10 h after) = 5. Release 7's rollback came 3 days after it went live: outside the 24 h window, not a failure.
    // Rollbacks started in the period: 10 Nov (6 -> 5), 15 Nov (7 -> 5), 20 Nov (11 -> 10, failed) = 3.
    // Redeploys: the retry of release 5, and release 8 (v7, commit c7, as release 7) = 2.
    expect(s).toMatchObject({
      since: nov(2, 0),
      until: nov(23, 0),
      bucket: "week",
      failureWindowMs: DAY,
      deploys: 11,
      succeeded: 8,
      failed: 5,
      interrupted: 1,
      rollbacks: 3,
      redeploys: 2,
    });
    // 8 successful deploys over 21 days.
    expect(s.deploymentFrequencyPerDay).toBe(8 / 21);
    // Lead times, activation minus each new commit's time:
    //   2: 14:10 - 13:00 (3 Nov) = 70 min
    //   4: 15:20 (5 Nov) - 14:00 = 80 min, - 08:00 = 440 min, - 16:00 (4 Nov) = 1400 min
    //   5 (retry): 11:20 - 09:00 (9 Nov) = 140 min
    //   6: 10:10 - 09:30 (10 Nov) = 40 min
    //   7: 10:10 (12 Nov) - 09:00 = 70 min; 6's commit (10 Nov 09:30) came again after the rollback: counted once, at 6
    //   8: c7 and c6 again: none new; 10: no git; 11: 10:10 - 08:00 (20 Nov) = 130 min
    // Sorted: 40 70 70 80 130 140 440 1400 -> median (80 + 130) / 2 = 105 min; p90 rank ceil(0.9 x 8) = 8 -> 1400 min.
    expect(s.leadTime).toEqual({ median: 105 * MINUTE, p90: 1400 * MINUTE, changes: 8 });
    // 5 failed changes of 11 deploys.
    expect(s.changeFailureRate).toBe(5 / 11);
    // Time to restore:
    //   1: from its start (3 Nov 10:00) to the next success's end (release 2, 14:10) = 250 min (nothing to roll back to)
    //   3: rolled back, 09:00 -> 09:30 = 30 min; 5: aborted, 10:00 -> 10:15 = 15 min
    //   6: from going live (10 Nov 10:10) to the rollback's end (12:15) = 125 min
    //   11: its rollback failed and nothing succeeded after it: open
    // Sorted 15 30 125 250 -> median (30 + 125) / 2 = 77.5 min, max 250 min.
    expect(s.timeToRestore).toEqual({ median: 77.5 * MINUTE, max: 250 * MINUTE, restored: 4, open: 1 });
    // (3 rollbacks + 2 redeploys) / (11 deploys + 3 rollbacks).
    expect(s.reworkRate).toBe(5 / 14);
  });

  it("splits them into ISO weeks", () => {
    expect(stats(weeks).buckets).toEqual([
      // 1, 2, 3, 4: 2 succeeded, 2 failed; leads 70 80 440 1400 -> (80 + 440) / 2 = 260 min; restores 250, 30 -> 140 min
      {
        start: nov(2, 0),
        deploys: 4,
        succeeded: 2,
        failed: 2,
        rollbacks: 0,
        leadTimeMedian: 260 * MINUTE,
        changeFailureRate: 0.5,
        timeToRestoreMedian: 140 * MINUTE,
      },
      // 5, 5 (retry), 6, 7: 3 succeeded, 2 failed (5 aborted, 6 rolled back); leads 140 40 70 -> 70 min; restores 15, 125 -> 70 min
      {
        start: nov(9, 0),
        deploys: 4,
        succeeded: 3,
        failed: 2,
        rollbacks: 2,
        leadTimeMedian: 70 * MINUTE,
        changeFailureRate: 0.5,
        timeToRestoreMedian: 70 * MINUTE,
      },
      // 8, 10, 11 (9 interrupted): 3 succeeded, 1 failed (11, open); leads 130 min
      {
        start: nov(16, 0),
        deploys: 3,
        succeeded: 3,
        failed: 1,
        rollbacks: 1,
        leadTimeMedian: 130 * MINUTE,
        changeFailureRate: 1 / 3,
        timeToRestoreMedian: null,
      },
    ]);
  });

  it("splits them into UTC days, every day listed", () => {
    const days = stats({ ...weeks, bucket: "day" }).buckets;
    expect(days.map((d) => d.start)).toEqual(Array.from({ length: 21 }, (_, i) => nov(2 + i, 0)));
    const day = (n: number) => days[n - 2];
    // 1 failed (restored in 250 min) and 2 succeeded (lead 70 min).
    expect(day(3)).toEqual({
      start: nov(3, 0),
      deploys: 2,
      succeeded: 1,
      failed: 1,
      rollbacks: 0,
      leadTimeMedian: 70 * MINUTE,
      changeFailureRate: 0.5,
      timeToRestoreMedian: 250 * MINUTE,
    });
    expect(day(4)).toEqual(empty(nov(4, 0)));
    // 6 went live and was rolled back by hand 2 h later: succeeded and failed, restored in 125 min.
    expect(day(10)).toEqual({
      start: nov(10, 0),
      deploys: 1,
      succeeded: 1,
      failed: 1,
      rollbacks: 1,
      leadTimeMedian: 40 * MINUTE,
      changeFailureRate: 1,
      timeToRestoreMedian: 125 * MINUTE,
    });
    // the rollback of 7, three days after it went live: a rollback, no deploy.
    expect(day(15)).toEqual(empty(nov(15, 0), 1));
    // 9 was interrupted: nothing counted that day.
    expect(day(17)).toEqual(empty(nov(17, 0)));
    // 12 is still running.
    expect(day(22)).toEqual(empty(nov(22, 0)));
  });

  it("reads rollouts outside the period: an earlier release makes a redeploy, a commit shipped before is not counted again", () => {
    const s = stats({ since: nov(16, 0), until: nov(23, 0) });
    // 8, 10, 11 deployed; 9 interrupted; 8 is v7 again (release 7 was in the week before); its commits shipped with 6 and 7.
    expect(s).toMatchObject({ deploys: 3, succeeded: 3, failed: 1, interrupted: 1, rollbacks: 1, redeploys: 1 });
    expect(s.deploymentFrequencyPerDay).toBe(3 / 7);
    expect(s.leadTime).toEqual({ median: 130 * MINUTE, p90: 130 * MINUTE, changes: 1 });
    expect(s.timeToRestore).toEqual({ median: null, max: null, restored: 0, open: 1 });
    expect(s.changeFailureRate).toBe(1 / 3);
    // (1 rollback + 1 redeploy) / (3 deploys + 1 rollback)
    expect(s.reworkRate).toBe(0.5);
  });

  it("takes the failure window as given: 4 days makes release 7's rollback a failure", () => {
    const s = stats({ ...weeks, failureWindowMs: 4 * DAY });
    expect(s.failed).toBe(6);
    expect(s.changeFailureRate).toBe(6 / 11);
    // 7: from going live (12 Nov 10:10) to the end of its rollback (15 Nov 10:15), the first success after it.
    expect(s.timeToRestore).toMatchObject({ restored: 5, max: 3 * DAY + 5 * MINUTE });
  });

  it("has nothing to divide by in an empty period", () => {
    const s = stats({ since: nov(25, 0), until: nov(26, 0), bucket: "day" });
    expect(s).toMatchObject({ deploys: 0, succeeded: 0, failed: 0, interrupted: 0, rollbacks: 0, redeploys: 0 });
    expect(s.deploymentFrequencyPerDay).toBe(0);
    expect(s.leadTime).toEqual({ median: null, p90: null, changes: 0 });
    expect(s.changeFailureRate).toBeNull();
    expect(s.reworkRate).toBeNull();
    expect(s.timeToRestore).toEqual({ median: null, max: null, restored: 0, open: 0 });
    expect(s.buckets).toEqual([empty(nov(25, 0))]);
  });
});

describe("periods and their pieces", () => {
  it("buckets by UTC day and ISO week (from Monday)", () => {
    // Thursday 26 November 2026, 15:00 -> that day; its week began Monday 23.
    expect(bucketStart(nov(26, 15), "day")).toBe(nov(26, 0));
    expect(bucketStart(nov(26, 15), "week")).toBe(nov(23, 0));
    expect(bucketStart(nov(23, 0), "week")).toBe(nov(23, 0));
    expect(bucketStart(nov(22, 23, 59), "week")).toBe(nov(16, 0));
    // 1 November is a Sunday: its week began 26 October; the month touches 6 weeks.
    expect(bucketStarts({ since: nov(1, 0), until: Date.UTC(2026, 11, 1), bucket: "week" })).toEqual([
      Date.UTC(2026, 9, 26),
      nov(2, 0),
      nov(9, 0),
      nov(16, 0),
      nov(23, 0),
      nov(30, 0),
    ]);
  });

  it("takes the median and the nearest-rank percentile", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
    expect(nearestRank([15, 20, 35, 40, 50], 90)).toBe(50);
    expect(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(nearestRank([7], 90)).toBe(7);
  });

  it("reads the control API's query, defaults from the clock, and refuses bad values as usage errors", () => {
    const now = Date.UTC(2026, 11, 1);
    expect(statsPeriod(statsQuery(new URLSearchParams("bucket=week")), now)).toEqual({
      since: now - 30 * DAY,
      until: now,
      bucket: "week",
      failureWindowMs: DAY,
    });
    expect(statsPeriod(statsQuery(new URLSearchParams(`since=${nov(1, 0)}&until=${nov(2, 0)}&failureWindow=${HOUR}`)), now)).toEqual({
      since: nov(1, 0),
      until: nov(2, 0),
      bucket: "day",
      failureWindowMs: HOUR,
    });
    const refused = (query: string) => {
      try {
        statsPeriod(statsQuery(new URLSearchParams(query)), now);
      } catch (err) {
        expect(err).toBeInstanceOf(SlipwayError);
        const e = err as SlipwayError;
        return [e.code, e.message, e.hint];
      }
      throw new Error(`${query} was accepted`);
    };
    expect(refused("bucket=month")).toEqual(["USAGE", "bucket=month: not a bucket size", "use one of day, week"]);
    expect(refused("since=yesterday")).toEqual([
      "USAGE",
      "since=yesterday: must be a whole number of milliseconds",
      `e.g. since=${nov(1, 0)}`,
    ]);
    expect(refused("failureWindow=-1")[1]).toBe("failureWindow=-1: must be a whole number of milliseconds");
    expect(refused(`since=${nov(2, 0)}&until=${nov(1, 0)}`)).toEqual([
      "USAGE",
      "the period is empty: since 2026-11-02T00:00:00.000Z is not before until 2026-11-01T00:00:00.000Z",
      "pick a since earlier than until",
    ]);
    // 1 January 1970 to 1 December 2026: 20788 days
    expect(refused(`since=0&until=${now}`)).toEqual([
      "USAGE",
      "20788 days is too many buckets, at most 1000",
      "use bucket=week, or a shorter period",
    ]);
  });
});
