import { afterEach, describe, expect, it } from "vitest";
import { RolloutHarness } from "./support/rollout-harness.js";

let h: RolloutHarness;
afterEach(async () => {
  await h?.close();
});

describe("rolling, in process on a fake clock", () => {
  it("first deploy, then a rolling replacement: the new release is active, the old one superseded and stopped", async () => {
    h = await RolloutHarness.create();
    const v1 = await h.deployed(h.config(), "v1");
    expect(v1).toMatchObject({ rolloutId: 1, release: { id: 1, version: "v1" }, previous: null, strategy: "rolling" });
    const v2 = await h.deployed(h.config(), "v2");
    expect(v2).toMatchObject({ rolloutId: 2, release: { id: 2 }, previous: { id: 1 }, instances: { ready: 2, replicas: 2 } });
    expect(h.release(1)).toMatchObject({ status: "superseded" });
    expect(h.release(2)).toMatchObject({ status: "active", reason: null });
    expect(h.rollout(2)).toMatchObject({ kind: "deploy", status: "succeeded", fromReleaseId: 1, strategy: "rolling" });
    expect(h.rolloutEvents(2)).toEqual(["rollout.started", "rollout.succeeded"]);
    expect(h.phases(2)).toEqual(["progressing", "committing", "done"]);
    expect(h.ledger.currentReleaseId()).toBe(2);
    expect(h.platform.stopped).toEqual(["r1-1", "r1-2"]);
    expect(h.traffic.current).toEqual({ shop: { weight: 1, targets: ["r2-1", "r2-2"] } });
  });

  it("a new instance that crashes fails the rollout: release 1 serves on, release 2 is failed, its log tail is shown", async () => {
    h = await RolloutHarness.create();
    await h.deployed(h.config(), "v1");
    h.behave((spec) => (spec.releaseId === 2 ? { kind: "crash", after: 500 } : { kind: "ready", after: 1_000 }));
    const run = await h.deploy(h.config(), "v2");
    await h.finish(run, "the failed deploy to end");
    expect(run.error).toMatchObject({
      code: "ROLLOUT_FAILED",
      message: "release 2 (v2) failed: instance r2-1 failed: process exited with code 1",
      hint: "see slipway logs --release 2",
    });
    expect(run.error?.details).toEqual([
      "release 1 (v1) still serves",
      "last log lines of r2-1:",
      "  log of r2-1: listening",
      "  log of r2-1: boom",
    ]);
    expect(h.release(2)).toMatchObject({ status: "failed", reason: "instance r2-1 failed: process exited with code 1" });
    expect(h.release(1)).toMatchObject({ status: "active" });
    expect(h.rollout(2)).toMatchObject({ status: "rolled-back", reason: "instance r2-1 failed: process exited with code 1" });
    expect(h.rolloutEvents(2)).toEqual(["rollout.started", "rollout.failed", "rollout.rolled-back"]);
    expect(h.ledger.currentReleaseId()).toBe(1);
    expect(h.instances(1)).toEqual({ "r1-1": "ready", "r1-2": "ready" });
    expect(h.instances(2)).toEqual({});
    expect(h.traffic.current).toEqual({ shop: { weight: 1, targets: ["r1-1", "r1-2"] } });
  });

  it("an instance that never gets ready fails the rollout at progressDeadline", async () => {
    h = await RolloutHarness.create();
    await h.deployed(h.config(), "v1");
    h.behave((spec) => (spec.releaseId === 2 ? { kind: "silent" } : { kind: "ready", after: 1_000 }));
    const run = await h.deploy(h.config({ progressDeadline: "10s" }), "v2");
    const started = h.clock.now();
    await h.finish(run, "the deploy to hit its deadline");
    expect(h.clock.now() - started).toBeGreaterThan(10_000);
    expect(run.error?.message).toBe("release 2 (v2) failed: no progress within progressDeadline (10s); r2-1: GET /health -> 503");
    expect(h.rollout(2)).toMatchObject({ status: "rolled-back" });
    expect(h.release(2)).toMatchObject({ status: "failed" });
    expect(h.ledger.currentReleaseId()).toBe(1);
    expect(h.traffic.current).toEqual({ shop: { weight: 1, targets: ["r1-1", "r1-2"] } });
    expect(h.platform.stopped).toContain("r2-1");
  });
});
