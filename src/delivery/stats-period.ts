import { SlipwayError } from "../errors.js";

/** How the per-bucket figures are cut: UTC days, or ISO weeks (Monday 00:00 UTC to the next). */
export type Bucket = "day" | "week";
export const BUCKETS: readonly Bucket[] = ["day", "week"];

export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
const BUCKET_MS: Record<Bucket, number> = { day: DAY_MS, week: WEEK_MS };
/** 1970-01-05, the first Monday of the epoch: ISO weeks start there, every 7 days. */
const FIRST_MONDAY = 4 * DAY_MS;

/** The period `slipway stats` reads when not told (`--since 30d`). */
export const DEFAULT_STATS_SINCE = "30d";
export const DEFAULT_STATS_PERIOD_MS = 30 * DAY_MS;
/** How soon after a deploy's activation a rollback from it makes it a failed change (`--failure-window 24h`). */
export const DEFAULT_FAILURE_WINDOW = "24h";
export const DEFAULT_FAILURE_WINDOW_MS = DAY_MS;
/** The most buckets one answer has (about 2.7 years by day): a longer period asks for weeks. */
export const MAX_BUCKETS = 1000;

/** What delivery metrics are computed over: `[since, until)` in ms since the epoch. */
export interface StatsPeriod {
  since: number;
  until: number;
  bucket: Bucket;
  failureWindowMs: number;
}

/**
 * The start of the bucket holding `at` (ms): its UTC day, or its ISO week's Monday 00:00 UTC.
 *
 * @example
 * bucketStart(Date.UTC(2026, 10, 26, 15), "week"); // Date.UTC(2026, 10, 23): Monday 23 November 2026
 */
export function bucketStart(at: number, bucket: Bucket): number {
  const size = BUCKET_MS[bucket];
  const origin = bucket === "week" ? FIRST_MONDAY : 0;
  return at - ((((at - origin) % size) + size) % size);
}

/** The start of every bucket that overlaps `[since, until)`, oldest first; the first may start before `since`. */
export function bucketStarts(period: Pick<StatsPeriod, "since" | "until" | "bucket">): number[] {
  const starts: number[] = [];
  for (let at = bucketStart(period.since, period.bucket); at < period.until; at += BUCKET_MS[period.bucket]) starts.push(at);
  return starts;
}

/**
 * The period asked in the control API's query (`since`, `until`: ms since the
 * epoch; `bucket`: day or week; `failureWindow`: ms), what it names: a bad
 * value is a `USAGE` error naming it. The rest comes from {@link statsPeriod}.
 *
 * @example
 * statsQuery(new URLSearchParams("bucket=week&since=1790000000000")); // { since: 1790000000000, bucket: "week" }
 */
export function statsQuery(query: URLSearchParams): Partial<StatsPeriod> {
  const ms = (key: string): number | undefined => {
    const text = query.get(key);
    if (text === null) return undefined;
    const n = Number(text);
    if (text.trim() === "" || !Number.isSafeInteger(n) || n < 0)
      throw new SlipwayError("USAGE", `${key}=${text.slice(0, 40)}: must be a whole number of milliseconds`, {
        hint: `e.g. ${key}=${key === "failureWindow" ? DEFAULT_FAILURE_WINDOW_MS : Date.UTC(2026, 10, 1)}`,
      });
    return n;
  };
  const bucket = query.get("bucket");
  if (bucket !== null && !BUCKETS.includes(bucket as Bucket))
    throw new SlipwayError("USAGE", `bucket=${bucket.slice(0, 40)}: not a bucket size`, { hint: `use one of ${BUCKETS.join(", ")}` });
  const [since, until, failureWindowMs] = [ms("since"), ms("until"), ms("failureWindow")];
  return {
    ...(since !== undefined && { since }),
    ...(until !== undefined && { until }),
    ...(bucket !== null && { bucket: bucket as Bucket }),
    ...(failureWindowMs !== undefined && { failureWindowMs }),
  };
}

/**
 * A whole period from what was asked, the rest from `now` and the defaults:
 * the 30 days before `until` (now), by day, a 24 h failure window; checked
 * by {@link checkStatsPeriod}.
 *
 * @example
 * statsPeriod({ bucket: "week" }, Date.UTC(2026, 11, 1)); // the 30 days to 1 December 2026, by week, window 24 h
 */
export function statsPeriod(asked: Partial<StatsPeriod>, now: number): StatsPeriod {
  const until = asked.until ?? now;
  const period = {
    since: asked.since ?? Math.max(0, until - DEFAULT_STATS_PERIOD_MS),
    until,
    bucket: asked.bucket ?? "day",
    failureWindowMs: asked.failureWindowMs ?? DEFAULT_FAILURE_WINDOW_MS,
  };
  checkStatsPeriod(period, { since: "since", until: "until", byWeek: "bucket=week" });
  return period;
}

/**
 * Refuses a period that is empty or has more than MAX_BUCKETS buckets, as
 * a `USAGE` error; `names` are how the caller's user writes the values
 * (`--since` on the command line, `since` in a query) and asks for weeks.
 */
export function checkStatsPeriod(period: StatsPeriod, names: { since: string; until: string; byWeek: string }): void {
  const iso = (ms: number) => new Date(ms).toISOString();
  if (period.since >= period.until)
    throw new SlipwayError(
      "USAGE",
      `the period is empty: ${names.since} ${iso(period.since)} is not before ${names.until} ${iso(period.until)}`,
      {
        hint: `pick a ${names.since} earlier than ${names.until}`,
      },
    );
  const buckets = Math.ceil((period.until - bucketStart(period.since, period.bucket)) / BUCKET_MS[period.bucket]);
  if (buckets > MAX_BUCKETS)
    throw new SlipwayError("USAGE", `${buckets} ${period.bucket}s is too many buckets, at most ${MAX_BUCKETS}`, {
      hint: period.bucket === "day" ? `use ${names.byWeek}, or a shorter period` : "use a shorter period",
    });
}
