import { describe, expect, it } from "vitest";
import { planRolling, resolveCount } from "../src/rollout/rolling-plan.js";

const c = (count: number) => ({ count });
const p = (percent: number) => ({ percent });

describe("planRolling", () => {
  it.each([
    // replicas, surge, unavailable, [oldTotal, oldReady, newTotal, newAvailable], expected step
    ["first step with surge 1", 3, c(1), c(0), [3, 3, 0, 0], { start: 1, stopUnready: 0, stopReady: 0, done: false }],
    ["new one starting: wait", 3, c(1), c(0), [3, 3, 1, 0], { start: 0, stopUnready: 0, stopReady: 0, done: false }],
    [
      "new one available: retire one old, start the next",
      3,
      c(1),
      c(0),
      [3, 3, 1, 1],
      { start: 1, stopUnready: 0, stopReady: 1, done: false },
    ],
    ["last old goes", 3, c(1), c(0), [1, 1, 3, 3], { start: 0, stopUnready: 0, stopReady: 1, done: false }],
    ["done", 3, c(1), c(0), [0, 0, 3, 3], { start: 0, stopUnready: 0, stopReady: 0, done: true }],
    ["first deploy: start all within surge", 3, c(1), c(0), [0, 0, 0, 0], { start: 3, stopUnready: 0, stopReady: 0, done: false }],
    ["unready old instances are stopped at once", 3, c(1), c(0), [3, 1, 0, 0], { start: 3, stopUnready: 2, stopReady: 0, done: false }],
    [
      "maxUnavailable 1, no surge: stop one, start one",
      3,
      c(0),
      c(1),
      [3, 3, 0, 0],
      { start: 1, stopUnready: 0, stopReady: 1, done: false },
    ],
    [
      "percentages: 50% of 4 surge, 25% unavailable",
      4,
      p(50),
      p(25),
      [4, 4, 0, 0],
      { start: 3, stopUnready: 0, stopReady: 1, done: false },
    ],
    ["surge and unavailable both 0 act as surge 1", 2, c(0), c(0), [2, 2, 0, 0], { start: 1, stopUnready: 0, stopReady: 0, done: false }],
    ["scale up with the deploy", 5, c(1), c(0), [3, 3, 0, 0], { start: 3, stopUnready: 0, stopReady: 0, done: false }],
    ["scale down with the deploy", 1, c(1), c(0), [3, 3, 0, 0], { start: 1, stopUnready: 0, stopReady: 2, done: false }],
  ] as const)("%s", (_name, replicas, maxSurge, maxUnavailable, [oldTotal, oldReady, newTotal, newAvailable], expected) => {
    expect(planRolling({ replicas, maxSurge, maxUnavailable }, { oldTotal, oldReady, newTotal, newAvailable })).toEqual(expected);
  });

  it("never goes below replicas - maxUnavailable available, nor above replicas + maxSurge running, over a whole rollout", () => {
    for (const [replicas, surge, unavailable] of [
      [3, 1, 0],
      [5, 2, 1],
      [4, 0, 2],
      [1, 1, 0],
      [10, 3, 3],
    ] as const) {
      let old = replicas;
      let fresh = 0;
      let steps = 0;
      for (;;) {
        const step = planRolling(
          { replicas, maxSurge: c(surge), maxUnavailable: c(unavailable) },
          { oldTotal: old, oldReady: old, newTotal: fresh, newAvailable: fresh },
        );
        if (step.done) break;
        old -= step.stopReady + step.stopUnready;
        expect(old + fresh).toBeGreaterThanOrEqual(replicas - unavailable);
        fresh += step.start;
        expect(old + fresh).toBeLessThanOrEqual(replicas + Math.max(surge, unavailable === 0 ? 1 : 0));
        expect(++steps).toBeLessThan(50);
      }
      expect([old, fresh]).toEqual([0, replicas]);
    }
  });
});

describe("resolveCount", () => {
  it("rounds surge up and unavailability down, like Kubernetes", () => {
    expect(resolveCount(p(25), 3, "up")).toBe(1);
    expect(resolveCount(p(25), 3, "down")).toBe(0);
    expect(resolveCount(c(2), 3, "down")).toBe(2);
  });
});
