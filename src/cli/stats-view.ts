import type { DeliveryStats } from "../delivery/delivery-metrics.js";
import { table } from "./render.js";

const UNITS = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
] as const;

/**
 * A length of time as people read it: its two largest units, rounded down
 * (`1d 4h`, `3h 20m`, `45s`, `800ms`); `-` for none.
 *
 * @example
 * span(97_200_000); // "1d 3h"
 */
export function span(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  const first = UNITS.findIndex(([, size]) => ms >= size);
  const parts = UNITS.slice(first, first + 2).map(([unit, size], i) => {
    const above = i === 0 ? Infinity : UNITS[first]![1];
    return [Math.floor((ms % above) / size), unit] as const;
  });
  return parts
    .filter(([n], i) => i === 0 || n > 0)
    .map(([n, unit]) => `${n}${unit}`)
    .join(" ");
}

/** A rate as a percentage with at most one decimal (`33.3%`); `-` when there was nothing to divide by. */
export function percent(rate: number | null): string {
  return rate === null ? "-" : `${Math.round(rate * 1000) / 10}%`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const utc = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");

/** `slipway stats` as text: the five metrics with how each is measured, then one row per bucket. */
export function statsLines(s: DeliveryStats): string[] {
  const window = span(s.failureWindowMs);
  const metrics = [
    [
      "deployment frequency",
      `${s.deploymentFrequencyPerDay.toFixed(2)} a day (${plural(s.succeeded, "successful deploy")})`,
      "successful deploys per day",
    ],
    [
      "lead time for changes",
      s.leadTime.changes ? `median ${span(s.leadTime.median)}, p90 ${span(s.leadTime.p90)} (${plural(s.leadTime.changes, "commit")})` : "-",
      "from each commit to the deploy that put it live",
    ],
    [
      "change failure rate",
      s.deploys ? `${percent(s.changeFailureRate)} (${s.failed} of ${plural(s.deploys, "deploy")})` : "-",
      `deploys that failed, were aborted, or were rolled back within ${window}`,
    ],
    [
      "time to restore",
      s.timeToRestore.restored
        ? `median ${span(s.timeToRestore.median)}, max ${span(s.timeToRestore.max)} (${s.timeToRestore.restored} restored, ${s.timeToRestore.open} open)`
        : s.timeToRestore.open
          ? `${s.timeToRestore.open} open`
          : "-",
      "from a failed change taking traffic to a healthy release serving",
    ],
    [
      "rework rate",
      s.deploys + s.rollbacks
        ? `${percent(s.reworkRate)} (${plural(s.rollbacks, "rollback")} + ${plural(s.redeploys, "redeploy")} of ${s.deploys + s.rollbacks})`
        : "-",
      "(rollbacks + redeploys) / (deploys + rollbacks)",
    ],
  ];
  const buckets = s.buckets.map((b) => [
    new Date(b.start).toISOString().slice(0, 10),
    String(b.deploys),
    String(b.succeeded),
    String(b.failed),
    String(b.rollbacks),
    span(b.leadTimeMedian),
    percent(b.changeFailureRate),
    span(b.timeToRestoreMedian),
  ]);
  return [
    `delivery metrics from ${utc(s.since)} to ${utc(s.until)} UTC, by ${s.bucket}; failure window ${window}`,
    "",
    ...table(["METRIC", "VALUE", "HOW IT IS MEASURED"], metrics),
    "",
    `  ${plural(s.deploys, "deploy")} ended in the period${s.interrupted ? `, ${s.interrupted} more interrupted by a daemon stop (not counted)` : ""}; exact definitions: docs/delivery-metrics.md`,
    "",
    ...table(
      [s.bucket === "day" ? "DAY" : "WEEK OF", "DEPLOYS", "SUCCEEDED", "FAILED", "ROLLBACKS", "LEAD TIME", "FAILURE RATE", "RESTORE"],
      buckets,
    ),
  ];
}
