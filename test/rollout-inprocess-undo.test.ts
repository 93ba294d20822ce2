import { afterEach, describe, expect, it } from "vitest";
import { RolloutHarness } from "./support/rollout-harness.js";

let h: RolloutHarness;
afterEach(async () => {
  await h?.close();
});

describe("undo paths, in process on a fake clock", () => {
  it("a daemon stopping mid-rolling ends the rollout as interrupted; the current release is unchanged", async () => {
    h = await RolloutHarness.create();
    await h.deployed(h.config(), "v1");
    h.behave((spec) => (spec.releaseId === 2 ? { kind: "silent" } : { kind: "ready", after: 1_000 }));
    const run = await h.deploy(h.config(), "v2");
    await h.until(() => h.fleet.ofRelease(2).length === 1, "the first new instance");
    h.rollouts.abort();
    await h.finish(run, "the interrupted rollout to end");
    expect(run.error).toMatchObject({
      code: "ROLLOUT_FAILED",
      message: "release 2 (v2) was interrupted: interrupted: the daemon is stopping",
      details: ["the daemon is stopping; the current release is unchanged"],
    });
    expect(h.rollout(2)).toMatchObject({ status: "interrupted", reason: "interrupted: the daemon is stopping" });
    expect(h.release(2)).toMatchObject({ status: "failed" });
    expect(h.rolloutEvents(2)).toEqual(["rollout.started", "rollout.failed", "rollout.rolled-back"]);
    expect(h.ledger.currentReleaseId()).toBe(1);
    expect(h.instances(1)).toEqual({ "r1-1": "ready", "r1-2": "ready" });
    expect(h.instances(2)).toEqual({});
  });

  it("a daemon stopping mid-canary takes the canary out and leaves release 1 serving", async () => {
    h = await RolloutHarness.create();
    const config = h.config({ strategy: "canary", strategyYaml: "  canary:\n    steps:\n      - setWeight: 30\n      - pause: {}" });
    await h.deployed(config, "v1");
    const run = await h.deploy(config, "v2");
    await h.until(() => h.phase === "paused", "the canary pause");
    expect(h.traffic.current.canary).toEqual({ weight: 30, targets: ["r2-1"] });
    h.rollouts.abort();
    await h.finish(run, "the interrupted canary to end");
    expect(h.rollout(2).status).toBe("interrupted");
    expect(h.rolloutEvents(2)).toEqual(["rollout.started", "rollout.step", "rollout.paused", "rollout.failed", "rollout.rolled-back"]);
    expect(h.traffic.current).toEqual({ shop: { weight: 1, targets: ["r1-1", "r1-2"] } });
    expect(h.instances(2)).toEqual({});
    expect(h.ledger.currentReleaseId()).toBe(1);
  });

  it("a daemon stopping while green waits for promote closes the preview and retires green", async () => {
    h = await RolloutHarness.create();
    const config = h.config({
      strategy: "blue-green",
      strategyYaml: "  blueGreen: { previewListen: 127.0.0.1:8081, autoPromote: false }",
    });
    await h.deployed(config, "v1", { strategy: "rolling" });
    const run = await h.deploy(config, "v2");
    await h.until(() => h.phase === "paused", "the wait for promote");
    h.rollouts.abort();
    await h.finish(run, "the interrupted blue-green to end");
    expect(h.rollout(2).status).toBe("interrupted");
    expect(h.previews.map((p) => p.closed)).toEqual([true]);
    expect(h.instances(2)).toEqual({});
    expect(h.traffic.current).toEqual({ shop: { weight: 1, targets: ["r1-1", "r1-2"] } });
    expect(h.ledger.currentReleaseId()).toBe(1);
  });

  it("slipway rollback starts the previous release again (rolling) and supersedes the current one", async () => {
    h = await RolloutHarness.create();
    await h.deployed(h.config(), "v1");
    await h.deployed(h.config(), "v2");
    const run = await h.rollback();
    await h.finish(run, "the rollback");
    expect(run.result).toMatchObject({ rolloutId: 3, strategy: "rolling", release: { id: 1, version: "v1" }, previous: { id: 2 } });
    expect(h.rollout(3)).toMatchObject({ kind: "rollback", status: "succeeded", releaseId: 1, fromReleaseId: 2 });
    expect(h.rolloutEvents(3)).toEqual(["rollout.started", "rollout.succeeded"]);
    expect(h.release(1).status).toBe("active");
    expect(h.release(2).status).toBe("superseded");
    expect(h.instances(1)).toEqual({ "r1-3": "ready", "r1-4": "ready" });
    expect(h.instances(2)).toEqual({});
    expect(h.traffic.current).toEqual({ shop: { weight: 1, targets: ["r1-3", "r1-4"] } });
  });

  it("a rollback whose old release fails again is undone: the current release keeps serving", async () => {
    h = await RolloutHarness.create();
    await h.deployed(h.config(), "v1");
    await h.deployed(h.config(), "v2");
    h.behave((spec) => (spec.releaseId === 1 ? { kind: "startup-failed", after: 500 } : { kind: "ready", after: 1_000 }));
    const run = await h.rollback();
    await h.finish(run, "the failed rollback");
    expect(run.error?.message).toBe("release 1 (v1) failed: instance r1-3 failed: startup probe failed: GET /health -> 500");
    expect(h.rollout(3)).toMatchObject({ kind: "rollback", status: "rolled-back" });
    // The release rolled back to was not pending: its status stays as it was.
    expect(h.release(1).status).toBe("superseded");
    expect(h.release(2).status).toBe("active");
    expect(h.instances(2)).toEqual({ "r2-1": "ready", "r2-2": "ready" });
    expect(h.traffic.current).toEqual({ shop: { weight: 1, targets: ["r2-1", "r2-2"] } });
  });

  it("refuses a rollback to the current release, and one while a rollout runs, changing nothing", async () => {
    h = await RolloutHarness.create();
    await h.deployed(h.config(), "v1");
    await expect(h.rollouts.rollback({ holder: "test", to: 1 })).rejects.toMatchObject({
      code: "USAGE",
      message: "release 1 (v1) is already the current release",
    });
    await expect(h.rollouts.rollback({ holder: "test" })).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: "no earlier successful release to roll back to",
    });
    h.behave(() => ({ kind: "silent" }));
    const run = await h.deploy(h.config(), "v2");
    await expect(h.rollouts.rollback({ holder: "test" })).rejects.toMatchObject({ code: "LOCK_HELD" });
    expect(h.ledger.rollouts().map((r) => r.status)).toEqual(["running", "succeeded"]);
    h.rollouts.control("abort", { holder: "test" });
    await h.finish(run, "the abort");
    expect(h.rollout(2).status).toBe("aborted");
  });

  it("slipway retry deploys an aborted release again", async () => {
    h = await RolloutHarness.create();
    await h.deployed(h.config(), "v1");
    h.behave((spec) => (spec.releaseId === 2 ? { kind: "silent" } : { kind: "ready", after: 1_000 }));
    const first = await h.deploy(h.config(), "v2");
    h.rollouts.control("abort", { holder: "test" });
    await h.finish(first, "the abort");
    h.behave(() => ({ kind: "ready", after: 1_000 }));
    let result: unknown;
    const retry = h.rollouts.retry({ holder: "test" }).then((r) => (result = r));
    await h.until(() => result !== undefined, "the retry");
    await retry;
    expect(result).toMatchObject({ rolloutId: 3, release: { id: 2 } });
    expect(h.release(2).status).toBe("active");
    expect(h.rollout(3)).toMatchObject({ kind: "deploy", status: "succeeded" });
  });

  it("recover brings the current release back to full size after its instances are gone", async () => {
    h = await RolloutHarness.create();
    await h.deployed(h.config(), "v1");
    await h.fleet.retireAll("simulated loss");
    let recovered = false;
    const recovery = h.rollouts.recover().then(() => (recovered = true));
    await h.until(() => recovered, "the recovery");
    await recovery;
    expect(h.ledger.rollouts()[0]).toMatchObject({ kind: "recover", status: "succeeded", releaseId: 1 });
    expect(h.instances(1)).toEqual({ "r1-3": "ready", "r1-4": "ready" });
  });
});
