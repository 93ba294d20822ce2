import { describe, expect, it } from "vitest";
import { evaluateMetrics, type Verdict } from "../src/analysis/evaluate.js";
import type { WindowStats } from "../src/analysis/traffic-recorder.js";
import type { AnalysisConfig } from "../src/config/types.js";

const config = (overrides: Partial<AnalysisConfig> = {}): AnalysisConfig => ({
  interval: 5000,
  window: 30_000,
  minRequests: 50,
  failureLimit: 0,
  inconclusiveLimit: 3,
  checks: [],
  ...overrides,
});

const stats = (requests: number, errors: number, p: Partial<Pick<WindowStats, "p50" | "p95" | "p99">> = {}): WindowStats => ({
  requests,
  errors,
  errorRate: requests === 0 ? 0 : errors / requests,
  p50: requests === 0 ? null : 20,
  p95: requests === 0 ? null : 80,
  p99: requests === 0 ? null : 120,
  ...p,
});

interface Case {
  name: string;
  cfg: Partial<AnalysisConfig>;
  canary: WindowStats;
  stable?: WindowStats | null;
  verdict: Verdict;
  reasons: string[];
}

const cases: Case[] = [
  {
    name: "too few requests",
    cfg: { maxErrorRate: 0.01 },
    canary: stats(12, 12),
    verdict: "inconclusive",
    reasons: ["12 requests < minRequests 50"],
  },
  {
    name: "no thresholds",
    cfg: {},
    canary: stats(50, 50),
    verdict: "pass",
    reasons: ["50 requests >= minRequests 50"],
  },
  {
    name: "error rate above the maximum",
    cfg: { maxErrorRate: 0.01 },
    canary: stats(500, 21),
    verdict: "fail",
    reasons: ["500 requests >= minRequests 50", "error rate 4.2% > maxErrorRate 1% (21/500)"],
  },
  {
    name: "error rate under the maximum",
    cfg: { maxErrorRate: 0.01 },
    canary: stats(500, 1),
    verdict: "pass",
    reasons: ["500 requests >= minRequests 50", "error rate 0.2% <= maxErrorRate 1% (1/500)"],
  },
  {
    name: "error rate exactly at the maximum passes",
    cfg: { maxErrorRate: 0.01 },
    canary: stats(300, 3),
    verdict: "pass",
    reasons: ["300 requests >= minRequests 50", "error rate 1% <= maxErrorRate 1% (3/300)"],
  },
  {
    name: "a hair above the maximum shows the decimals that matter",
    cfg: { maxErrorRate: 0.01 },
    canary: stats(9950, 100),
    verdict: "fail",
    reasons: ["9950 requests >= minRequests 50", "error rate 1.01% > maxErrorRate 1% (100/9950)"],
  },
  {
    name: "latency ceilings, one broken",
    cfg: { maxLatency: { p50: 50, p95: 100, p99: 500 } },
    canary: stats(200, 0, { p50: 21.4, p95: 96, p99: 812.3 }),
    verdict: "fail",
    reasons: ["200 requests >= minRequests 50", "p50 21ms <= 50ms", "p95 96ms <= 100ms", "p99 812ms > 500ms"],
  },
  {
    name: "sub-10ms latencies keep a decimal",
    cfg: { maxLatency: { p50: 5 } },
    canary: stats(200, 0, { p50: 2.345 }),
    verdict: "pass",
    reasons: ["200 requests >= minRequests 50", "p50 2.3ms <= 5ms"],
  },
  {
    name: "latency just above its ceiling",
    cfg: { maxLatency: { p99: 500 } },
    canary: stats(200, 0, { p99: 500.4 }),
    verdict: "fail",
    reasons: ["200 requests >= minRequests 50", "p99 500.4ms > 500ms"],
  },
  {
    name: "no requests at all with minRequests 0",
    cfg: { minRequests: 0, maxErrorRate: 0.01, maxLatency: { p99: 500 } },
    canary: stats(0, 0),
    verdict: "pass",
    reasons: ["0 requests >= minRequests 0", "error rate 0% <= maxErrorRate 1% (0/0)", "p99 not measured (no requests)"],
  },
  {
    name: "worse than stable by too much",
    cfg: { compareToStable: 0.005 },
    canary: stats(1000, 31),
    stable: stats(1000, 5),
    verdict: "fail",
    reasons: ["1000 requests >= minRequests 50", "error rate 3.1% is 2.6 points worse than stable 0.5% (max 0.5)"],
  },
  {
    name: "worse than stable within the margin",
    cfg: { compareToStable: 0.005 },
    canary: stats(1000, 6),
    stable: stats(1000, 5),
    verdict: "pass",
    reasons: ["1000 requests >= minRequests 50", "error rate 0.6% is 0.1 points worse than stable 0.5% (max 0.5)"],
  },
  {
    name: "worse than stable by exactly the margin passes (no float noise)",
    cfg: { compareToStable: 0.005 },
    canary: stats(1000, 15),
    stable: stats(1000, 10),
    verdict: "pass",
    reasons: ["1000 requests >= minRequests 50", "error rate 1.5% is 0.5 points worse than stable 1% (max 0.5)"],
  },
  {
    name: "better than stable",
    cfg: { compareToStable: 0.005 },
    canary: stats(1000, 2),
    stable: stats(1000, 5),
    verdict: "pass",
    reasons: ["1000 requests >= minRequests 50", "error rate 0.2% <= stable 0.5% (max 0.5 points worse)"],
  },
  {
    name: "stable too quiet to compare",
    cfg: { maxErrorRate: 0.01, compareToStable: 0.005 },
    canary: stats(500, 1),
    stable: stats(12, 0),
    verdict: "inconclusive",
    reasons: [
      "500 requests >= minRequests 50",
      "error rate 0.2% <= maxErrorRate 1% (1/500)",
      "stable has 12 requests < minRequests 50: comparison inconclusive",
    ],
  },
  {
    name: "no stable release",
    cfg: { compareToStable: 0.005 },
    canary: stats(500, 0),
    stable: null,
    verdict: "inconclusive",
    reasons: ["500 requests >= minRequests 50", "no stable release to compare with: comparison inconclusive"],
  },
  {
    name: "a failure beats an inconclusive comparison",
    cfg: { maxErrorRate: 0.01, compareToStable: 0.005 },
    canary: stats(500, 21),
    stable: stats(3, 0),
    verdict: "fail",
    reasons: [
      "500 requests >= minRequests 50",
      "error rate 4.2% > maxErrorRate 1% (21/500)",
      "stable has 3 requests < minRequests 50: comparison inconclusive",
    ],
  },
  {
    name: "everything at once, all passing",
    cfg: { maxErrorRate: 0.02, maxLatency: { p95: 100, p99: 250 }, compareToStable: 0.01 },
    canary: stats(800, 4),
    stable: stats(2400, 12),
    verdict: "pass",
    reasons: [
      "800 requests >= minRequests 50",
      "error rate 0.5% <= maxErrorRate 2% (4/800)",
      "p95 80ms <= 100ms",
      "p99 120ms <= 250ms",
      "error rate 0.5% <= stable 0.5% (max 1 points worse)",
    ],
  },
];

describe("evaluateMetrics", () => {
  it.each(cases)("$name", ({ cfg, canary, stable = null, verdict, reasons }) => {
    const result = evaluateMetrics(config(cfg), canary, stable);
    expect(result).toEqual({ verdict, reasons, canary, stable });
  });
});
