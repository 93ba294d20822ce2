import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RolloutHarness, type Run } from "./support/rollout-harness.js";

let h: RolloutHarness;
afterEach(async () => {
  await h?.close();
});

/** A canary config: one canary instance of 2, `steps` and an optional background `analysis` (YAML flow maps). */
const canary = (steps: string[], analysis?: string) =>
  h.config({
    strategy: "canary",
    strategyYaml: [
      "  canary:",
      "    replicas: 1",
      "    steps:",
      ...steps.map((s) => `      - ${s}`),
      ...(analysis ? [`    analysis: ${analysis}`] : []),
    ].join("\n"),
  });

/** The canary weights the router was given, in order, repeats folded. */
const canaryWeights = () =>
  h.traffic.tables
    .map((t) => t.find((g) => g.name === "canary")?.weight ?? null)
    .filter((w): w is number => w !== null)
    .filter((w, i, all) => i === 0 || all[i - 1] !== w);

/** v1 live (a first canary deploy goes out rolling), then the v2 canary started. */
async function canaryOfV2(config: string): Promise<Run> {
  await h.deployed(config, "v1");
  expect(h.rollout(1)).toMatchObject({ strategy: "rolling", status: "succeeded" });
  return h.deploy(config, "v2");
}

/** Waits in real time (the fake clock standing still) for what a child process does. */
async function realTime(done: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 30_000;
  while (!done()) {
    if (Date.now() > end) throw new Error(`still waiting for ${what} after 30 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function expectV1Serves(): void {
  expect(h.ledger.currentReleaseId()).toBe(1);
  expect(h.release(1).status).toBe("active");
  expect(h.instances(1)).toEqual({ "r1-1": "ready", "r1-2": "ready" });
  expect(h.instances(2)).toEqual({});
  expect(h.traffic.current).toEqual({ shop: { weight: 1, targets: ["r1-1", "r1-2"] } });
}

describe("canary, in process on a fake clock", () => {
  it("walks setWeight and timed pauses, then promotes: release 2 active at full size, release 1 retired", async () => {
    h = await RolloutHarness.create();
    const run = await canaryOfV2(canary(["setWeight: 20", "pause: 10s", "setWeight: 50", "pause: 10s"]));
    await h.until(() => h.rollouts.active?.control.state.step?.index === 2, "the first pause");
    expect(h.traffic.current.canary).toEqual({ weight: 20, targets: ["r2-1"] });
    expect(h.traffic.current.stable).toEqual({ weight: 80, targets: ["r1-1", "r1-2"] });
    const pausedAt = h.clock.now();
    await h.until(() => h.rollouts.active?.control.state.weight === 50, "the second setWeight");
    expect(h.clock.now() - pausedAt).toBeGreaterThanOrEqual(10_000);
    await h.finish(run, "the promotion");
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ rolloutId: 2, strategy: "canary", release: { id: 2 }, previous: { id: 1 } });
    expect(canaryWeights()).toEqual([0, 20, 50, 100]);
    expect(h.rolloutEvents(2)).toEqual([
      "rollout.started",
      "rollout.step",
      "rollout.step",
      "rollout.step",
      "rollout.step",
      "rollout.promoted",
      "rollout.succeeded",
    ]);
    expect(h.phases(2)).toEqual(["progressing", "promoting", "committing", "done"]);
    expect(h.rollout(2)).toMatchObject({ status: "succeeded", strategy: "canary" });
    expect(h.release(2).status).toBe("active");
    expect(h.release(1).status).toBe("superseded");
    expect(h.instances(2)).toEqual({ "r2-1": "ready", "r2-2": "ready" });
    expect(h.instances(1)).toEqual({});
    expect(h.traffic.current).toEqual({ shop: { weight: 1, targets: ["r2-1", "r2-2"] } });
  });

  it("pause {} waits for slipway promote, then goes on", async () => {
    h = await RolloutHarness.create();
    const run = await canaryOfV2(canary(["setWeight: 20", "pause: {}", "setWeight: 60"]));
    await h.until(() => h.phase === "paused", "the pause");
    await h.clock.advance(3_600_000); // an hour later: still paused
    expect(h.phase).toBe("paused");
    expect(h.rollouts.active?.control.state.pausedReason).toBe("step 2/3: waiting for slipway promote");
    expect(h.rollouts.control("promote", { holder: "test" })).toMatchObject({ rollout: 2, phase: "progressing" });
    await h.finish(run, "the promotion");
    expect(run.result?.release.id).toBe(2);
    expect(canaryWeights()).toEqual([0, 20, 60, 100]);
    expect(h.events(2).find((e) => e.type === "control")?.message).toBe("promote by test");
    expect(h.phases(2)).toEqual(["progressing", "paused", "progressing", "promoting", "committing", "done"]);
    expect(h.rolloutEvents(2)).toEqual([
      "rollout.started",
      "rollout.step",
      "rollout.paused",
      "rollout.step",
      "rollout.promoted",
      "rollout.succeeded",
    ]);
    expect(h.release(2).status).toBe("active");
  });

  it("promote --full skips the remaining steps", async () => {
    h = await RolloutHarness.create();
    const run = await canaryOfV2(canary(["setWeight: 20", "pause: {}", "setWeight: 50", "pause: {}"]));
    await h.until(() => h.phase === "paused", "the first pause");
    h.rollouts.control("promote", { full: true, holder: "test" });
    await h.finish(run, "the promotion");
    expect(run.result?.release.id).toBe(2);
    expect(canaryWeights()).toEqual([0, 20, 100]);
    expect(h.events(2).find((e) => e.type === "control")?.message).toBe("promote --full by test");
    expect(h.rollout(2).status).toBe("succeeded");
  });

  it("abort: traffic back to release 1, the canary retired, release 2 aborted", async () => {
    h = await RolloutHarness.create();
    const run = await canaryOfV2(canary(["setWeight: 50", "pause: {}"]));
    await h.until(() => h.phase === "paused", "the pause");
    h.rollouts.control("abort", { holder: "test" });
    await h.finish(run, "the abort");
    expect(run.error).toMatchObject({
      code: "ROLLOUT_FAILED",
      message: "release 2 (v2) was aborted: aborted by test",
      hint: "slipway retry deploys it again",
    });
    expect(h.rollout(2)).toMatchObject({ status: "aborted", reason: "aborted by test" });
    expect(h.release(2)).toMatchObject({ status: "aborted", reason: "aborted by test" });
    expect(h.rolloutEvents(2)).toEqual(["rollout.started", "rollout.step", "rollout.paused", "rollout.aborted", "rollout.rolled-back"]);
    expect(h.platform.stopped).toEqual(["r2-1"]);
    expectV1Serves();
    expect(() => h.rollouts.control("promote", { holder: "test" })).toThrow("no rollout in progress: nothing to promote");
  });

  it("a failing background analysis rolls the canary back", async () => {
    h = await RolloutHarness.create();
    const analysis = "{ interval: 1s, window: 5s, minRequests: 10, maxErrorRate: 5%, failureLimit: 0 }";
    const run = await canaryOfV2(canary(["setWeight: 50", "pause: 10m"], analysis));
    await h.until(() => h.rollouts.active?.control.state.weight === 50, "weight 50");
    for (let n = 0; n < 20; n++) {
      h.recorder.record(2, 500, 5);
      h.recorder.record(1, 200, 5);
    }
    await h.finish(run, "the analysis to fail the rollout");
    expect(run.error?.message).toBe(
      "release 2 (v2) failed: background analysis failed: 20 requests >= minRequests 10; error rate 100% > maxErrorRate 5% (20/20)",
    );
    expect(h.rollout(2)).toMatchObject({ status: "rolled-back" });
    expect(h.release(2)).toMatchObject({ status: "failed" });
    expect(h.rolloutEvents(2)).toEqual(["rollout.started", "rollout.step", "rollout.step", "rollout.failed", "rollout.rolled-back"]);
    expect(
      h
        .events(2)
        .filter((e) => e.type === "analysis")
        .map((e) => e.data?.verdict),
    ).toContain("fail");
    expectV1Serves();
  });

  it("an inconclusive background analysis pauses the rollout for a human; abort then rolls back", async () => {
    h = await RolloutHarness.create();
    const analysis = "{ interval: 1s, window: 5s, minRequests: 10, maxErrorRate: 5%, inconclusiveLimit: 1 }";
    const run = await canaryOfV2(canary(["setWeight: 50", "pause: 10m"], analysis));
    await h.until(() => h.phase === "paused", "the inconclusive pause");
    expect(h.rollouts.active?.control.state.pausedReason).toBe(
      "background analysis inconclusive; slipway resume to go on, slipway abort to roll back",
    );
    expect(h.rollouts.active?.analysis?.tick).toMatchObject({ verdict: "inconclusive", inconclusives: 2 });
    expect(h.rolloutEvents(2).at(-1)).toBe("rollout.paused");
    await h.clock.advance(3_600_000);
    expect(h.phase).toBe("paused");
    expect(run.settled).toBe(false);
    h.rollouts.control("abort", { holder: "test" });
    await h.finish(run, "the abort");
    expect(h.rollout(2).status).toBe("aborted");
    expectV1Serves();
  });

  it("an inconclusive analysis step pauses until promote, then the canary goes on to success", async () => {
    h = await RolloutHarness.create();
    const run = await canaryOfV2(
      canary(["setWeight: 50", "analysis: { interval: 1s, window: 5s, minRequests: 10, maxErrorRate: 5%, inconclusiveLimit: 0 }"]),
    );
    await h.until(() => h.phase === "paused", "the inconclusive step");
    expect(h.rollouts.active?.control.state.pausedReason).toBe(
      "step 2/2: analysis inconclusive; slipway promote to go on, slipway abort to roll back",
    );
    h.rollouts.control("promote", { holder: "test" });
    // The analysis measures again; traffic now passes it.
    for (let n = 0; n < 10; n++) h.recorder.record(2, 200, 5);
    await h.finish(run, "the promotion");
    expect(run.error).toBeUndefined();
    expect(h.rollout(2).status).toBe("succeeded");
    expect(h.release(2).status).toBe("active");
  });

  it("today: a canary that crashes during a pause is noticed only at promotion, which then fails and rolls back", async () => {
    h = await RolloutHarness.create();
    const run = await canaryOfV2(canary(["setWeight: 30", "pause: {}"]));
    await h.until(() => h.phase === "paused", "the pause");
    h.platform.crash("r2-1");
    await h.clock.advance(60_000);
    // Still paused at 30%, with an empty canary group (not supervised: the crash is not restarted).
    expect(h.phase).toBe("paused");
    expect(h.instances(2)).toEqual({ "r2-1": "failed" });
    expect(h.traffic.current).toEqual({
      canary: { weight: 30, targets: [] },
      stable: { weight: 70, targets: ["r1-1", "r1-2"] },
    });
    h.rollouts.control("promote", { holder: "test" });
    await h.finish(run, "the promotion to fail");
    expect(run.error?.message).toBe("release 2 (v2) failed: instance r2-1 failed: process exited with code 1");
    expect(h.rolloutEvents(2)).toEqual([
      "rollout.started",
      "rollout.step",
      "rollout.paused",
      "rollout.promoted",
      "rollout.failed",
      "rollout.rolled-back",
    ]);
    expect(h.rollout(2).status).toBe("rolled-back");
    expectV1Serves();
  });

  it("a pause taken while prePromote runs holds the promotion: traffic stays split until resume", async () => {
    h = await RolloutHarness.create();
    const started = join(h.dir, "hook-started");
    const go = join(h.dir, "go");
    // A real hook (a child process), released by the test: the pause lands while it runs.
    const script = join(h.dir, "hook.sh");
    writeFileSync(script, `touch ${started}\nwhile [ ! -f ${go} ]; do sleep 0.02; done\n`);
    const hook = `hooks:\n  prePromote: sh ${script}\n`;
    const run = await canaryOfV2(canary(["setWeight: 50"]) + hook);
    await h.until(() => h.traffic.current.canary?.weight === 50, "the step to 50%");
    await realTime(() => existsSync(started), "the prePromote hook to start"); // a child process: real time, the fake clock still
    expect(h.rollouts.control("pause", { holder: "test" })).toMatchObject({ phase: "paused" });
    writeFileSync(go, "");
    await realTime(() => h.ledger.events({ limit: 50 }).some((e) => e.message.startsWith("prePromote hook passed")), "the hook to end");
    await h.clock.advance(5_000);
    expect(h.phase).toBe("paused");
    expect(h.traffic.current).toMatchObject({ canary: { weight: 50, targets: ["r2-1"] } });
    expect(h.instances(2)).toEqual({ "r2-1": "ready" });
    h.rollouts.control("resume", { holder: "test" });
    await h.finish(run, "the promotion");
    expect(run.error).toBeUndefined();
    expect(h.phases(2)).toEqual(["progressing", "paused", "promoting", "committing", "done"]);
    expect(h.traffic.current).toEqual({ shop: { weight: 1, targets: ["r2-1", "r2-2"] } });
  });
});
