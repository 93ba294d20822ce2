import { describe, expect, it } from "vitest";
import { AnalysisRun, type AnalysisTick, type CheckOutcome } from "../src/analysis/analysis-run.js";
import { TrafficRecorder } from "../src/analysis/traffic-recorder.js";
import type { AnalysisConfig } from "../src/config/types.js";
import { FakeClock } from "./support/fake-clock.js";

const CANARY = 2;
const STABLE = 1;

const config = (overrides: Partial<AnalysisConfig> = {}): AnalysisConfig => ({
  interval: 5000,
  window: 10_000,
  minRequests: 10,
  maxErrorRate: 0.1,
  failureLimit: 0,
  inconclusiveLimit: 3,
  checks: [],
  ...overrides,
});

function setup(cfg: Partial<AnalysisConfig> = {}, runChecks?: () => Promise<CheckOutcome[]>) {
  const clock = new FakeClock();
  const recorder = new TrafficRecorder({ clock });
  const ticks: AnalysisTick[] = [];
  const run = new AnalysisRun({
    config: config(cfg),
    recorder,
    canaryRelease: CANARY,
    stableRelease: STABLE,
    clock,
    runChecks,
    onTick: (t) => ticks.push(t),
  });
  let outcome: string | null = null;
  void run.outcome.then((o) => (outcome = o));
  /** Send `ok` good and `bad` 500 answers to the canary right now. */
  const traffic = (ok: number, bad = 0) => {
    for (let i = 0; i < ok; i++) recorder.record(CANARY, 200, 10);
    for (let i = 0; i < bad; i++) recorder.record(CANARY, 500, 10);
  };
  return { clock, recorder, run, ticks, traffic, outcome: () => outcome };
}

describe("AnalysisRun", () => {
  it("measures every interval over the trailing window", async () => {
    const { clock, run, ticks, traffic } = setup();
    run.start();
    traffic(20);
    await clock.advance(4999);
    expect(ticks).toHaveLength(0);
    await clock.advance(1);
    expect(ticks).toHaveLength(1);
    expect(ticks[0]).toMatchObject({ n: 1, verdict: "pass", failures: 0, inconclusives: 0, checks: [], canary: { requests: 20 } });
    expect(ticks[0]!.reasons).toEqual(["20 requests >= minRequests 10", "error rate 0% <= maxErrorRate 10% (0/20)"]);
    traffic(30);
    await clock.advance(5000); // t = 10 s: the window [0 s, 10 s] holds both batches
    expect(ticks[1]).toMatchObject({ n: 2, canary: { requests: 50 } });
    await clock.advance(5000); // t = 15 s: the first batch (t = 0) fell out
    expect(ticks[2]).toMatchObject({ n: 3, canary: { requests: 30 } });
    expect(run.last()).toBe(ticks[2]);
    run.stop();
    await clock.advance(60_000);
    expect(ticks).toHaveLength(3);
    expect(clock.pending).toBe(0);
  });

  it("fails at the first failure with failureLimit 0, and stops", async () => {
    const { clock, run, ticks, traffic, outcome } = setup();
    run.start();
    traffic(80, 20);
    await clock.advance(5000);
    expect(ticks[0]).toMatchObject({ verdict: "fail", failures: 1 });
    expect(ticks[0]!.reasons).toContain("error rate 20% > maxErrorRate 10% (20/100)");
    expect(outcome()).toBe("failed");
    await expect(run.outcome).resolves.toBe("failed");
    await clock.advance(60_000);
    expect(ticks).toHaveLength(1);
  });

  it("fails when the total of failures exceeds failureLimit (not a streak)", async () => {
    const { clock, run, ticks, traffic, outcome } = setup({ failureLimit: 2, window: 5000 });
    run.start();
    const pattern = [false, true, false, true, false, true];
    for (const bad of pattern) {
      traffic(90, bad ? 0 : 10);
      if (bad) traffic(0, 50);
      await clock.advance(5000);
    }
    expect(ticks.map((t) => t.verdict)).toEqual(["pass", "fail", "pass", "fail", "pass", "fail"]);
    expect(ticks.map((t) => t.failures)).toEqual([0, 1, 1, 2, 2, 3]);
    expect(outcome()).toBe("failed");
  });

  it("is inconclusive when inconclusives exceed inconclusiveLimit; resetInconclusive resumes it", async () => {
    const { clock, run, ticks, traffic, outcome } = setup({ inconclusiveLimit: 2 });
    run.start();
    await clock.advance(15_000);
    expect(ticks.map((t) => t.inconclusives)).toEqual([1, 2, 3]);
    expect(ticks[0]!.reasons).toEqual(["0 requests < minRequests 10"]);
    expect(outcome()).toBe("inconclusive");
    const first = run.outcome;
    await clock.advance(60_000);
    expect(ticks).toHaveLength(3);

    run.resetInconclusive();
    expect(run.outcome).not.toBe(first);
    traffic(50);
    await clock.advance(5000);
    expect(ticks[3]).toMatchObject({ n: 4, verdict: "pass", inconclusives: 0 });
    let settled = false;
    void run.outcome.then(() => (settled = true));
    await clock.advance(10_000); // t = 30 s: traffic from t = 15 s is out of the window again
    expect(ticks.map((t) => t.verdict).slice(3)).toEqual(["pass", "pass", "inconclusive"]);
    expect(settled).toBe(false);
  });

  it("fails a measurement when a check fails, or when the checks throw", async () => {
    let calls = 0;
    const checks = async (): Promise<CheckOutcome[]> => {
      calls++;
      if (calls === 2) throw new Error("connect ECONNREFUSED");
      return [
        { name: "http GET /health", ok: true, message: "200" },
        { name: "smoke", ok: calls !== 3, message: calls === 3 ? "exit 1" : "" },
      ];
    };
    const { clock, run, ticks, traffic } = setup({ failureLimit: 5 }, checks);
    run.start();
    traffic(100);
    await clock.advance(15_000);
    expect(ticks.map((t) => t.verdict)).toEqual(["pass", "fail", "fail"]);
    expect(ticks[0]!.reasons.slice(2)).toEqual(["check http GET /health passed: 200", "check smoke passed"]);
    expect(ticks[1]!.checks).toEqual([{ name: "checks", ok: false, message: "connect ECONNREFUSED" }]);
    expect(ticks[1]!.reasons.at(-1)).toBe("check checks failed: connect ECONNREFUSED");
    expect(ticks[2]!.reasons.at(-1)).toBe("check smoke failed: exit 1");
    expect(ticks[2]!.failures).toBe(2);
  });

  it("never overlaps measurements: a slow check delays the next one", async () => {
    const clock = new FakeClock();
    const recorder = new TrafficRecorder({ clock });
    const starts: number[] = [];
    let running = 0;
    let overlapped = false;
    const run = new AnalysisRun({
      config: config({ minRequests: 0, inconclusiveLimit: 100 }),
      recorder,
      canaryRelease: CANARY,
      stableRelease: null,
      clock,
      runChecks: async () => {
        starts.push(clock.now());
        overlapped ||= running > 0;
        running++;
        await clock.sleep(starts.length === 1 ? 7000 : 1000);
        running--;
        return [];
      },
      onTick: () => {},
    });
    run.start();
    await clock.advance(30_000);
    // 5 s: slow (7 s) → next at 12 s (right away); then 1 s checks every 5 s
    expect(starts).toEqual([5000, 12_000, 17_000, 22_000, 27_000]);
    expect(overlapped).toBe(false);
    run.stop();
  });

  it("drops a measurement in flight when stopped", async () => {
    const clock = new FakeClock();
    const ticks: AnalysisTick[] = [];
    const run = new AnalysisRun({
      config: config({ minRequests: 0 }),
      recorder: new TrafficRecorder({ clock }),
      canaryRelease: CANARY,
      stableRelease: null,
      clock,
      runChecks: async () => {
        await clock.sleep(2000);
        return [];
      },
      onTick: (t) => ticks.push(t),
    });
    run.start();
    await clock.advance(6000); // check in flight
    run.stop();
    await clock.advance(30_000);
    expect(ticks).toEqual([]);
    expect(run.last()).toBeNull();
  });

  it("compares with the stable release's window", async () => {
    const { clock, recorder, run, ticks, traffic } = setup({ maxErrorRate: undefined, compareToStable: 0.01, failureLimit: 5 });
    run.start();
    traffic(97, 3);
    for (let i = 0; i < 5; i++) recorder.record(STABLE, 200, 10);
    await clock.advance(5000);
    expect(ticks[0]).toMatchObject({ verdict: "inconclusive", stable: { requests: 5 } });
    for (let i = 0; i < 200; i++) recorder.record(STABLE, i < 2 ? 500 : 200, 10);
    await clock.advance(5000);
    expect(ticks[1]).toMatchObject({ verdict: "fail", stable: { requests: 205, errors: 2 } });
    expect(ticks[1]!.reasons.at(-1)).toBe("error rate 3% is 2 points worse than stable 1% (max 1)");
    run.stop();
  });

  it("keeps measuring when onTick throws", async () => {
    const clock = new FakeClock();
    let n = 0;
    const run = new AnalysisRun({
      config: config({ minRequests: 0, inconclusiveLimit: 100 }),
      recorder: new TrafficRecorder({ clock }),
      canaryRelease: CANARY,
      stableRelease: null,
      clock,
      onTick: () => {
        n++;
        throw new Error("listener bug");
      },
    });
    run.start();
    await clock.advance(15_000);
    expect(n).toBe(3);
    run.stop();
  });

  describe("waitForPass (one-shot analysis step)", () => {
    it("resolves passed at the first passing measurement and stops", async () => {
      const { clock, run, ticks, traffic } = setup();
      let result: string | null = null;
      void run.waitForPass().then((r) => (result = r));
      await clock.advance(5000);
      expect(ticks[0]!.verdict).toBe("inconclusive");
      expect(result).toBeNull();
      traffic(40);
      await clock.advance(5000);
      expect(result).toBe("passed");
      await clock.advance(60_000);
      expect(ticks).toHaveLength(2);
      expect(clock.pending).toBe(0);
    });

    it("resolves with the outcome when the run settles first", async () => {
      const { clock, run, traffic } = setup({ failureLimit: 1 });
      traffic(50, 50);
      const result = run.waitForPass();
      await clock.advance(10_000);
      await expect(result).resolves.toBe("failed");
      await expect(run.waitForPass()).resolves.toBe("failed");
    });

    it("resolves inconclusive when too few requests arrive", async () => {
      const { clock, run } = setup({ inconclusiveLimit: 1 });
      const result = run.waitForPass();
      await clock.advance(10_000);
      await expect(result).resolves.toBe("inconclusive");
    });
  });
});
