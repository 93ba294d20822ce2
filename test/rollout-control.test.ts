import { describe, expect, it } from "vitest";
import { PHASE_TRANSITIONS, RolloutControl, type RolloutPhase } from "../src/rollout/control.js";
import { FAILURE_OUTCOMES } from "../src/rollout/failure-outcome.js";
import { RolloutFailure } from "../src/rollout/rollout-failure.js";
import { FakeClock, settle } from "./support/fake-clock.js";

function control(): { c: RolloutControl; seen: RolloutPhase[] } {
  const seen: RolloutPhase[] = [];
  const c = new RolloutControl(new FakeClock(), (s) => {
    if (seen.at(-1) !== s.phase) seen.push(s.phase);
  });
  return { c, seen };
}

describe("a rollout's phases", () => {
  it("start at preparing and end at done, by committing or by rolling back", () => {
    const ok = control();
    expect(ok.c.state.phase).toBe("preparing");
    ok.c.enter("progressing");
    ok.c.enter("promoting");
    ok.c.enter("committing");
    ok.c.enter("done");
    expect(ok.seen).toEqual(["progressing", "promoting", "committing", "done"]);

    const undone = control();
    undone.c.enter("progressing");
    undone.c.enter("rolling-back");
    undone.c.enter("done");
    expect(undone.seen).toEqual(["progressing", "rolling-back", "done"]);
  });

  it("refuses a move the table does not allow (a bug, not a user error)", () => {
    const { c } = control();
    expect(() => c.enter("committing")).toThrow("rollout phase preparing -> committing is not allowed");
    c.enter("progressing");
    c.enter("rolling-back");
    expect(() => c.enter("progressing")).toThrow("rolling-back -> progressing");
    c.enter("done");
    for (const phase of Object.keys(PHASE_TRANSITIONS) as RolloutPhase[]) if (phase !== "done") expect(() => c.enter(phase)).toThrow();
  });

  it("can roll back from every phase before done, and only reaches done by committing or rolling back", () => {
    for (const [from, to] of Object.entries(PHASE_TRANSITIONS)) {
      if (from !== "done" && from !== "rolling-back") expect(to, from).toContain("rolling-back");
      if (to.includes("done")) expect(["committing", "rolling-back"]).toContain(from);
    }
  });

  it("holds a pause through a step's phase change: resume goes to the phase the step entered", async () => {
    const { c, seen } = control();
    c.enter("progressing");
    c.pause("paused by ops");
    c.enter("promoting"); // the strategy moved on while a human paused: the pause holds
    expect(c.state.phase).toBe("paused");
    let through = false;
    const waiting = c.checkpoint().then(() => (through = true));
    await settle();
    expect(through).toBe(false);
    c.resume();
    await waiting;
    expect(c.state.phase).toBe("promoting");
    expect(seen).toEqual(["progressing", "paused", "promoting"]);
  });

  it("cannot be paused once committing: the release is whole and about to become current", () => {
    const { c } = control();
    c.enter("progressing");
    expect(c.pausable).toBe(true);
    c.enter("committing");
    expect(c.pausable).toBe(false);
    c.pause("too late");
    expect(c.state.phase).toBe("committing");
  });

  it("rolls back from a pause when the rollout is aborted", async () => {
    const { c } = control();
    c.enter("progressing");
    c.pause("waiting for promote");
    const waiting = c.checkpoint().catch((err: unknown) => err);
    c.fail(new RolloutFailure("aborted by ops", null, "aborted"));
    expect(await waiting).toBeInstanceOf(RolloutFailure);
    c.enter("rolling-back");
    expect(c.state.phase).toBe("rolling-back");
  });
});

describe("the outcome of a rollout that does not commit", () => {
  it("is one table by failure kind: what is restored, recorded and told", () => {
    expect(FAILURE_OUTCOMES.failed).toMatchObject({
      rolloutStatus: "rolled-back",
      releaseStatus: "failed",
      restore: true,
      postRollback: true,
    });
    expect(FAILURE_OUTCOMES.aborted).toMatchObject({
      event: "rollout.aborted",
      rolloutStatus: "aborted",
      releaseStatus: "aborted",
      restore: true,
    });
    // A daemon stopping stops every instance anyway: nothing is started again, no hook runs.
    expect(FAILURE_OUTCOMES.interrupted).toMatchObject({ rolloutStatus: "interrupted", restore: false, postRollback: false });
  });
});
