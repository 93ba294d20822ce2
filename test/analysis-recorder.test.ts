import { describe, expect, it } from "vitest";
import { TrafficRecorder } from "../src/analysis/traffic-recorder.js";
import { FakeClock } from "./support/fake-clock.js";

function recorder(options: { bucketMs?: number; retainMs?: number } = {}) {
  const clock = new FakeClock();
  return { clock, recorder: new TrafficRecorder({ clock, ...options }) };
}

/** Record `n` requests with `status` and `ms` for release `id`. */
function many(r: TrafficRecorder, id: number, n: number, status: number, ms = 10) {
  for (let i = 0; i < n; i++) r.record(id, status, ms);
}

describe("TrafficRecorder", () => {
  it("knows nothing of an unknown release", () => {
    const { recorder: r } = recorder();
    expect(r.window(9, 30_000)).toEqual({ requests: 0, errors: 0, errorRate: 0, p50: null, p95: null, p99: null });
    expect(r.totals(9)).toEqual({ requests: 0, byClass: { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 } });
  });

  it("counts requests, 5xx errors and percentiles per release", () => {
    const { recorder: r } = recorder();
    many(r, 2, 95, 200, 20);
    many(r, 2, 4, 503, 20);
    r.record(2, 502, 400);
    many(r, 1, 10, 200, 5);
    const w = r.window(2, 30_000);
    expect(w).toMatchObject({ requests: 100, errors: 5, errorRate: 0.05 });
    expect(Math.abs(w.p50! - 20) / 20).toBeLessThan(0.02);
    expect(Math.abs(w.p95! - 20) / 20).toBeLessThan(0.02);
    expect(Math.abs(w.p99! - 20) / 20).toBeLessThan(0.02);
    expect(r.window(1, 30_000)).toMatchObject({ requests: 10, errors: 0, errorRate: 0, p50: 5 });
  });

  it("does not count 4xx (499 client gone included) as errors", () => {
    const { recorder: r } = recorder();
    r.record(1, 404, 1);
    r.record(1, 499, 1);
    r.record(1, 500, 1);
    r.record(1, 302, 1);
    r.record(1, 101, 1);
    expect(r.window(1, 1000)).toMatchObject({ requests: 5, errors: 1, errorRate: 0.2 });
    expect(r.totals(1)).toEqual({ requests: 5, byClass: { "1xx": 1, "2xx": 0, "3xx": 1, "4xx": 2, "5xx": 1 } });
  });

  it("slides the window by whole buckets", async () => {
    const { clock, recorder: r } = recorder();
    // one request per second at t = 0.5 s, 1.5 s, ... 59.5 s; the first 10 are errors
    await clock.advance(500);
    for (let s = 0; s < 60; s++) {
      r.record(1, s < 10 ? 500 : 200, 10);
      await clock.advance(1000);
    }
    // now = 60.5 s: a 30 s window starts at 30.5 s, inside bucket 30 → buckets 30..60
    expect(r.window(1, 30_000)).toMatchObject({ requests: 30, errors: 0 });
    // a 55 s window starts at 5.5 s → buckets 5..60 hold the requests of seconds 5..59
    expect(r.window(1, 55_000)).toMatchObject({ requests: 55, errors: 5 });
    await clock.advance(500); // now = 61 s: starts at 31 s exactly → buckets 31..61
    expect(r.window(1, 30_000)).toMatchObject({ requests: 29 });
  });

  it("forgets buckets older than the retention, even when the slot is reused", async () => {
    const { clock, recorder: r } = recorder({ bucketMs: 1000, retainMs: 10_000 });
    many(r, 1, 5, 500);
    await clock.advance(11_000); // bucket 11 reuses the slot of bucket 0
    expect(r.window(1, 60_000)).toMatchObject({ requests: 0 }); // cut to the retention
    r.record(1, 200, 10);
    expect(r.window(1, 60_000)).toMatchObject({ requests: 1, errors: 0 });
    expect(r.totals(1)).toMatchObject({ requests: 6, byClass: { "5xx": 5, "2xx": 1 } });
  });

  it("keeps a window as long as the retention", async () => {
    const { clock, recorder: r } = recorder({ bucketMs: 1000, retainMs: 10_000 });
    for (let s = 0; s < 10; s++) {
      r.record(1, 200, 10);
      await clock.advance(1000);
    }
    expect(r.window(1, 10_000)).toMatchObject({ requests: 10 });
  });

  it("forgets a release", () => {
    const { recorder: r } = recorder();
    many(r, 1, 3, 200);
    r.forget(1);
    expect(r.window(1, 30_000).requests).toBe(0);
    expect(r.totals(1).requests).toBe(0);
  });

  it("rejects nonsense options", () => {
    expect(() => new TrafficRecorder({ bucketMs: 0 })).toThrow(/bucketMs/);
    expect(() => new TrafficRecorder({ bucketMs: 1000, retainMs: 10 })).toThrow(/retainMs/);
  });

  it("records a million requests quickly", () => {
    const { recorder: r } = recorder();
    const started = performance.now();
    for (let i = 0; i < 1_000_000; i++) r.record(1, i % 100 === 0 ? 503 : 200, (i % 1000) / 10);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(r.window(1, 1000)).toMatchObject({ requests: 1_000_000, errors: 10_000, errorRate: 0.01 });
  });
});
