/**
 * The judgement of one analysis measurement: the canary's window stats
 * against the thresholds of an `analysis` section. Pure.
 */
import type { AnalysisConfig } from "../config/types.js";
import { millis, percent, percents } from "./figures.js";
import type { WindowStats } from "./traffic-recorder.js";

export type Verdict = "pass" | "fail" | "inconclusive";

export interface MetricVerdict {
  verdict: Verdict;
  /** One human line per rule checked, passing ones included, with the figures. */
  reasons: string[];
  canary: WindowStats;
  stable: WindowStats | null;
}

const PERCENTILES = ["p50", "p95", "p99"] as const;

/** Above the limit, ignoring floating-point noise (0.015 - 0.01 is not > 0.005). */
const above = (value: number, limit: number) => value - limit > 1e-12;

/**
 * Judge one measurement.
 * - fewer than `minRequests` canary requests: inconclusive, nothing else judged;
 * - `maxErrorRate`, `maxLatency.p50/p95/p99`: fail when above;
 * - `compareToStable`: fail when the canary's error rate exceeds the stable
 *   one's by more than that many points; inconclusive (unless something
 *   else failed) when there is no stable release or it served fewer than
 *   `minRequests` in the window.
 * A latency ceiling with no requests to measure (possible with minRequests 0) passes.
 *
 * @example
 * evaluateMetrics({ ...cfg, minRequests: 50, maxErrorRate: 0.01 }, canary, stable);
 * // { verdict: "fail", reasons: ["500 requests >= minRequests 50", "error rate 4.2% > maxErrorRate 1% (21/500)"], ... }
 */
export function evaluateMetrics(cfg: AnalysisConfig, canary: WindowStats, stable: WindowStats | null): MetricVerdict {
  if (canary.requests < cfg.minRequests) {
    return { verdict: "inconclusive", reasons: [`${canary.requests} requests < minRequests ${cfg.minRequests}`], canary, stable };
  }
  const reasons = [`${canary.requests} requests >= minRequests ${cfg.minRequests}`];
  let failed = false;
  let inconclusive = false;

  if (cfg.maxErrorRate !== undefined) {
    const [rate, max] = percents(canary.errorRate, cfg.maxErrorRate);
    const fails = above(canary.errorRate, cfg.maxErrorRate);
    failed ||= fails;
    reasons.push(`error rate ${rate}% ${fails ? ">" : "<="} maxErrorRate ${max}% (${canary.errors}/${canary.requests})`);
  }

  for (const p of PERCENTILES) {
    const max = cfg.maxLatency?.[p];
    if (max === undefined) continue;
    const value = canary[p];
    if (value === null) {
      reasons.push(`${p} not measured (no requests)`);
      continue;
    }
    const [v, m] = millis(value, max);
    const fails = above(value, max);
    failed ||= fails;
    reasons.push(`${p} ${v}ms ${fails ? ">" : "<="} ${m}ms`);
  }

  if (cfg.compareToStable !== undefined) {
    const max = cfg.compareToStable;
    if (stable === null) {
      inconclusive = true;
      reasons.push("no stable release to compare with: comparison inconclusive");
    } else if (stable.requests < cfg.minRequests) {
      inconclusive = true;
      reasons.push(`stable has ${stable.requests} requests < minRequests ${cfg.minRequests}: comparison inconclusive`);
    } else {
      const diff = canary.errorRate - stable.errorRate;
      const rate = percent(canary.errorRate);
      const base = percent(stable.errorRate);
      if (diff <= 0) {
        reasons.push(`error rate ${rate}% <= stable ${base}% (max ${percent(max)} points worse)`);
      } else {
        const fails = above(diff, max);
        failed ||= fails;
        const [points, limit] = percents(diff, max);
        reasons.push(`error rate ${rate}% is ${points} points worse than stable ${base}% (max ${limit})`);
      }
    }
  }

  return { verdict: failed ? "fail" : inconclusive ? "inconclusive" : "pass", reasons, canary, stable };
}
