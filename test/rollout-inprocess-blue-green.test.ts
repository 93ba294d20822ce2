import { afterEach, describe, expect, it } from "vitest";
import { RolloutHarness, type Run } from "./support/rollout-harness.js";

let h: RolloutHarness;
afterEach(async () => {
  await h?.close();
});

const SCALE_DOWN_DELAY = 5 * 60_000;

/** A blue-green config (2 replicas, preview on 127.0.0.1:8081, blue on standby 5 minutes); `extra` adds YAML lines under blueGreen. */
const blueGreen = (extra: string[] = []) =>
  h.config({
    strategy: "blue-green",
    strategyYaml: ["  blueGreen:", "    previewListen: 127.0.0.1:8081", "    scaleDownDelay: 5m", ...extra.map((l) => `    ${l}`)].join(
      "\n",
    ),
  });

/** v1 live (rolling), then the v2 blue-green rollout started. */
async function greenV2(config: string): Promise<Run> {
  await h.deployed(config, "v1", { strategy: "rolling" });
  return h.deploy(config, "v2");
}

/** v1 live, v2 promoted by hand: v2 serves, v1 on standby. */
async function promotedV2(): Promise<void> {
  const run = await greenV2(blueGreen(["autoPromote: false"]));
  await h.until(() => h.phase === "paused", "the wait for promote");
  h.rollouts.control("promote", { holder: "test" });
  await h.finish(run, "the switch");
  expect(run.error).toBeUndefined();
}

describe("blue-green, in process on a fake clock", () => {
  it("green starts out of rotation behind the preview; promote switches all traffic at once; blue stops after scaleDownDelay", async () => {
    h = await RolloutHarness.create();
    const run = await greenV2(blueGreen(["autoPromote: false"]));
    await h.until(() => h.phase === "paused", "the wait for promote");
    expect(h.rollouts.active?.control.state.previewUrl).toBe("http://127.0.0.1:8081");
    expect(h.previews).toHaveLength(1);
    expect(h.previews[0]).toMatchObject({ key: "preview", url: "http://127.0.0.1:8081", closed: false });
    expect(h.previews[0]!.tables.at(-1)?.[0]?.targets.map((t) => t.id)).toEqual(["r2-1", "r2-2"]);
    expect(h.instances(2)).toEqual({ "r2-1": "ready", "r2-2": "ready" });
    expect(h.traffic.current).toEqual({ shop: { weight: 1, targets: ["r1-1", "r1-2"] } });

    h.rollouts.control("promote", { holder: "test" });
    await h.finish(run, "the switch");
    expect(run.result).toMatchObject({ strategy: "blue-green", release: { id: 2 }, previous: { id: 1 } });
    expect(h.previews[0]!.closed).toBe(true);
    expect(h.traffic.current).toEqual({ shop: { weight: 1, targets: ["r2-1", "r2-2"] } });
    expect(h.rolloutEvents(2)).toEqual(["rollout.started", "rollout.step", "rollout.paused", "rollout.promoted", "rollout.succeeded"]);
    expect(h.phases(2)).toEqual(["progressing", "paused", "progressing", "promoting", "committing", "done"]);
    expect(h.release(2).status).toBe("active");
    expect(h.release(1).status).toBe("superseded");
    // Blue on standby: running, out of rotation, until scaleDownDelay passes.
    expect(h.instances(1)).toEqual({ "r1-1": "ready", "r1-2": "ready" });
    expect(h.rollouts.standby).toMatchObject({ release: 1, until: h.clock.now() + SCALE_DOWN_DELAY });
    await h.clock.advance(SCALE_DOWN_DELAY - 1_000);
    expect(h.instances(1)).toEqual({ "r1-1": "ready", "r1-2": "ready" });
    await h.clock.advance(1_000);
    expect(h.instances(1)).toEqual({});
    expect(h.rollouts.standby).toBeNull();
    expect(h.platform.stopped).toEqual(["r1-1", "r1-2"]);
  });

  it("a switch back the ledger cannot record (disk full) changes nothing: release 2 keeps serving, release 1 keeps running", async () => {
    h = await RolloutHarness.create();
    await promotedV2();
    const full = Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    const activate = h.ledger.activate.bind(h.ledger);
    h.ledger.activate = () => {
      throw full; // the same error a full disk gives (the disk itself: test/faults-disk.test.ts)
    };
    const run = await h.rollback();
    await h.finish(run, "the refused switch back");
    h.ledger.activate = activate;
    expect(run.error?.message).toMatch(/disk is full|no space/i);
    expect(run.error?.details).toContain("release 2 (v2) still serves");
    expect(h.ledger.currentReleaseId()).toBe(2);
    expect(h.traffic.current).toEqual({ shop: { weight: 1, targets: ["r2-1", "r2-2"] } });
    expect(h.rollouts.standby).toMatchObject({ release: 1 }); // still on standby, its deadline unchanged
    expect(h.rollouts.hasEnded(3)).toBe(true); // the refused rollback is over; the ledger hears so once space frees
    await h.clock.advance(10_000);
    expect(h.instances(1)).toEqual({ "r1-1": "ready", "r1-2": "ready" }); // nothing was stopped: the next rollback can still switch
    expect(h.instances(2)).toEqual({ "r2-1": "ready", "r2-2": "ready" });
  });

  it("autoPromote switches without waiting for a human", async () => {
    h = await RolloutHarness.create();
    const run = await greenV2(blueGreen(["autoPromote: true"]));
    await h.finish(run, "the switch");
    expect(h.rolloutEvents(2)).toEqual(["rollout.started", "rollout.step", "rollout.promoted", "rollout.succeeded"]);
    expect(h.traffic.current).toEqual({ shop: { weight: 1, targets: ["r2-1", "r2-2"] } });
  });

  it("a rollback inside scaleDownDelay switches back to the standby: no instance starts", async () => {
    h = await RolloutHarness.create();
    await promotedV2();
    await h.clock.advance(SCALE_DOWN_DELAY - 60_000); // a minute before blue would stop
    const starts = h.platform.started.length;
    const run = await h.rollback();
    await h.finish(run, "the switch back");
    expect(run.result).toMatchObject({ rolloutId: 3, strategy: "switch", via: "switch", release: { id: 1 }, previous: { id: 2 } });
    expect(run.result?.instances).toEqual({ ready: 2, replicas: 2 });
    expect(h.rollout(3)).toMatchObject({ kind: "rollback", strategy: "switch", status: "succeeded", releaseId: 1, fromReleaseId: 2 });
    expect(h.rolloutEvents(3)).toEqual(["rollout.rolled-back"]);
    expect(h.ledger.currentReleaseId()).toBe(1);
    expect(h.release(1).status).toBe("active");
    expect(h.release(2).status).toBe("superseded");
    expect(h.traffic.current).toEqual({ shop: { weight: 1, targets: ["r1-1", "r1-2"] } });
    expect(h.platform.started).toHaveLength(starts);
    expect(h.rollouts.standby).toBeNull();
    await h.until(() => Object.keys(h.instances(2)).length === 0, "release 2 to drain and stop");
    expect(h.instances(1)).toEqual({ "r1-1": "ready", "r1-2": "ready" });
  });

  it("a rollback after scaleDownDelay starts the old release again (rolling)", async () => {
    h = await RolloutHarness.create();
    await promotedV2();
    await h.clock.advance(SCALE_DOWN_DELAY);
    const run = await h.rollback();
    await h.finish(run, "the rolling rollback");
    expect(run.result).toMatchObject({ rolloutId: 3, strategy: "rolling", release: { id: 1 } });
    expect(run.result?.via).toBeUndefined();
    expect(h.instances(1)).toEqual({ "r1-3": "ready", "r1-4": "ready" });
    expect(h.rollout(3)).toMatchObject({ kind: "rollback", status: "succeeded" });
    expect(h.traffic.current).toEqual({ shop: { weight: 1, targets: ["r1-3", "r1-4"] } });
  });

  it("a failing postPromotion analysis switches back to blue by itself; blue keeps serving past scaleDownDelay", async () => {
    h = await RolloutHarness.create();
    const post = "postPromotion: { window: 30s, interval: 1s, minRequests: 10, maxErrorRate: 5%, failureLimit: 0 }";
    const run = await greenV2(blueGreen(["autoPromote: true", post]));
    await h.until(() => h.phase === "post-promotion", "the post-promotion analysis");
    expect(h.traffic.current).toEqual({ shop: { weight: 1, targets: ["r2-1", "r2-2"] } });
    for (let n = 0; n < 20; n++) h.recorder.record(2, 502, 5);
    await h.finish(run, "the analysis to fail");
    expect(run.error?.message).toBe(
      "release 2 (v2) failed: postPromotion analysis failed: 20 requests >= minRequests 10; error rate 100% > maxErrorRate 5% (20/20)",
    );
    expect(h.rollout(2)).toMatchObject({ status: "rolled-back" });
    expect(h.phases(2)).toEqual(["progressing", "promoting", "post-promotion", "rolling-back", "done"]);
    expect(h.release(2).status).toBe("failed");
    expect(h.release(1).status).toBe("active");
    expect(h.rolloutEvents(2)).toEqual(["rollout.started", "rollout.step", "rollout.promoted", "rollout.failed", "rollout.rolled-back"]);
    expect(h.traffic.current).toEqual({ shop: { weight: 1, targets: ["r1-1", "r1-2"] } });
    expect(h.instances(2)).toEqual({});
    await h.clock.advance(SCALE_DOWN_DELAY);
    expect(h.instances(1)).toEqual({ "r1-1": "ready", "r1-2": "ready" });
  });

  it("a postPromotion window that passes ends the rollout as a success", async () => {
    h = await RolloutHarness.create();
    const post = "postPromotion: { window: 30s, interval: 1s, minRequests: 0, maxErrorRate: 5% }";
    const run = await greenV2(blueGreen(["autoPromote: true", post]));
    await h.until(() => h.phase === "post-promotion", "the post-promotion analysis");
    const switchedAt = h.clock.now();
    await h.finish(run, "the window to pass");
    expect(h.clock.now() - switchedAt).toBeGreaterThanOrEqual(30_000);
    expect(run.error).toBeUndefined();
    expect(h.rollout(2).status).toBe("succeeded");
  });

  it("after the switch, green is supervised: a crash is restarted and the rollout still succeeds", async () => {
    h = await RolloutHarness.create();
    const post = "postPromotion: { window: 30s, interval: 1s, minRequests: 0, maxErrorRate: 5% }";
    const run = await greenV2(blueGreen(["autoPromote: true", post]));
    await h.until(() => h.phase === "post-promotion", "the post-promotion analysis");
    h.platform.crash("r2-1");
    expect(h.instances(2)).toEqual({ "r2-1": "restarting", "r2-2": "ready" });
    await h.finish(run, "the window to pass");
    expect(run.error).toBeUndefined();
    expect(h.rollout(2).status).toBe("succeeded");
    expect(h.fleet.ofRelease(2).find((i) => i.id === "r2-1")).toMatchObject({ state: "ready", restarts: 1 });
    expect(h.platform.started.filter((id) => id === "r2-1")).toHaveLength(2);
  });

  it("green still short of ready instances progressDeadline after the window is degraded: traffic switches back to blue", async () => {
    h = await RolloutHarness.create();
    const post = "postPromotion: { window: 30s, interval: 1s, minRequests: 0, maxErrorRate: 5% }";
    const run = await greenV2(blueGreen(["autoPromote: true", post]));
    await h.until(() => h.phase === "post-promotion", "the post-promotion analysis");
    h.behave(() => ({ kind: "silent" })); // the restarted r2-1 never gets ready
    h.platform.crash("r2-1");
    const crashedAt = h.clock.now();
    await h.finish(run, "the final health gate to give up");
    expect(h.clock.now() - crashedAt).toBeGreaterThanOrEqual(50_000); // the 30s window, then progressDeadline (20s)
    expect(run.error?.message).toMatch(
      /^release 2 \(v2\) failed: release 2 is degraded: 1 of 2 instances ready after progressDeadline \(20s\); r2-1 starting: /,
    );
    expect(h.rollout(2)).toMatchObject({ status: "rolled-back" });
    expect(h.release(2).status).toBe("failed");
    expect(h.ledger.currentReleaseId()).toBe(1);
    expect(h.traffic.current).toEqual({ shop: { weight: 1, targets: ["r1-1", "r1-2"] } });
    expect(h.instances(2)).toEqual({});
  });
});
