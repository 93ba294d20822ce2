import { describe, expect, it } from "vitest";
import { HISTOGRAM_BUCKETS, HISTOGRAM_MAX_MS, HISTOGRAM_MIN_MS, LatencyHistogram } from "../src/analysis/latency-histogram.js";

/** The exact nearest-rank quantile of sorted values. */
const exact = (sorted: number[], q: number) => sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;

describe("LatencyHistogram", () => {
  it("is empty at first", () => {
    const h = new LatencyHistogram();
    expect(h.count).toBe(0);
    expect(h.quantile(0.5)).toBeNull();
    expect(h.min).toBeNull();
    expect(h.max).toBeNull();
  });

  it("covers 0.05 ms to 120 s with about 377 buckets", () => {
    expect(HISTOGRAM_BUCKETS).toBe(377);
  });

  it("is exact for one value, the minimum and the maximum", () => {
    const h = new LatencyHistogram();
    h.add(123.456);
    expect(h.quantile(0.5)).toBe(123.456);
    expect(h.quantile(0.99)).toBe(123.456);
    for (const ms of [3, 7, 900]) h.add(ms);
    expect(h.quantile(0)).toBe(3);
    expect(h.quantile(1)).toBe(900);
  });

  it("stays within 2% of the exact quantile across the range", () => {
    const h = new LatencyHistogram();
    const values: number[] = [];
    let x = 0x2545f491;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31; // deterministic pseudo-random
      const ms = HISTOGRAM_MIN_MS * Math.pow(HISTOGRAM_MAX_MS / HISTOGRAM_MIN_MS, x / 2 ** 31);
      values.push(ms);
      h.add(ms);
    }
    values.sort((a, b) => a - b);
    for (const q of [0.01, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999]) {
      const want = exact(values, q);
      expect(Math.abs(h.quantile(q)! - want) / want, `q=${q}`).toBeLessThanOrEqual(0.02);
    }
  });

  it("answers typical latencies precisely", () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 100; i++) h.add(i * 10); // 10 .. 1000 ms
    expect(Math.abs(h.quantile(0.5)! - 500) / 500).toBeLessThan(0.02);
    expect(Math.abs(h.quantile(0.95)! - 950) / 950).toBeLessThan(0.02);
    expect(Math.abs(h.quantile(0.99)! - 990) / 990).toBeLessThan(0.02);
  });

  it("clamps underflow and overflow to the values seen", () => {
    const h = new LatencyHistogram();
    h.add(0.001);
    h.add(0);
    h.add(-1);
    h.add(Number.NaN);
    expect(h.count).toBe(4);
    expect(h.quantile(0.5)).toBeLessThanOrEqual(HISTOGRAM_MIN_MS);
    const slow = new LatencyHistogram();
    slow.add(500_000);
    slow.add(600_000);
    expect(slow.quantile(0.5)).toBe(500_000);
    expect(slow.quantile(1)).toBe(600_000);
  });

  it("merges counts, minimum and maximum", () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 0; i < 90; i++) a.add(10);
    for (let i = 0; i < 10; i++) b.add(1000);
    a.merge(b);
    a.merge(new LatencyHistogram());
    expect(a.count).toBe(100);
    expect(a.min).toBe(10);
    expect(a.max).toBe(1000);
    expect(Math.abs(a.quantile(0.5)! - 10) / 10).toBeLessThan(0.02);
    expect(Math.abs(a.quantile(0.95)! - 1000) / 1000).toBeLessThan(0.02);
    expect(b.count).toBe(10);
  });

  it("clears for reuse", () => {
    const h = new LatencyHistogram();
    h.add(50);
    h.clear();
    expect(h.count).toBe(0);
    expect(h.quantile(0.5)).toBeNull();
    h.add(7);
    expect(h.quantile(0.5)).toBe(7);
  });
});
