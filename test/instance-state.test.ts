import { describe, expect, it } from "vitest";
import { assertTransition, canTransition, isLive } from "../src/rollout/instance-state.js";
import { restartDelay } from "../src/daemon/backoff.js";

describe("instance lifecycle", () => {
  it("allows only the documented transitions", () => {
    expect(canTransition("starting", "ready")).toBe(true);
    expect(canTransition("ready", "unready")).toBe(true);
    expect(canTransition("restarting", "starting")).toBe(true);
    expect(canTransition("stopping", "stopped")).toBe(true);
    expect(canTransition("stopped", "starting")).toBe(false);
    expect(canTransition("stopping", "ready")).toBe(false);
    expect(() => assertTransition("r1-1", "stopped", "ready")).toThrow("instance r1-1: invalid transition stopped -> ready");
    expect(["starting", "ready", "unready", "restarting", "failed", "stopping", "stopped"].filter((s) => isLive(s as never))).toEqual([
      "starting",
      "ready",
      "unready",
      "restarting",
    ]);
  });

  it("backs off restarts exponentially up to 30s", () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(restartDelay)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
});
