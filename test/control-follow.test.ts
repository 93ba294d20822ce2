import { afterEach, describe, expect, it } from "vitest";
import { helloConfig, TestProject, waitFor } from "./support/project.js";

/**
 * `slipway promote`, `resume` and `abort` through the built CLI: they follow
 * the rollout they act on like `deploy` does (its events, then its end or its
 * next pause, with deploy's exit codes); `--no-wait` returns at once.
 */

const CANARY_STEPS = `      - setWeight: 20
      - pause: {}
      - setWeight: 50
      - pause: { duration: 1s }
      - setWeight: 80
      - pause: {}`;

/** A canary of one instance: 20%, wait for promote, 50% for 1s, 80%, wait for promote. */
function canary(port: number, steps = CANARY_STEPS): string {
  return helloConfig(port).replace(
    /strategy:\n {2}type: rolling\n/,
    `strategy:
  type: canary
  canary:
    replicas: 1
    steps:
${steps}
`,
  );
}

let project: TestProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

describe("promote, resume and abort follow the rollout", () => {
  it("promote streams to the next pause, then to the end; --no-wait returns at once; abort streams the undo", async () => {
    project = await TestProject.create(canary);
    await project.ok("deploy", "--version", "v1");
    expect((await project.ok("deploy", "--version", "v2")).stdout).toContain("rollout 2 is paused: step 2/6: paused until slipway promote");

    // through 50%, the timed pause and 80%, to the next manual pause
    const promote = await project.ok("promote");
    expect(promote.stdout).toMatch(/step 3\/6: 50% of traffic to release 2 \(v2\)\n.*step 4\/6: pause 1s\n.*step 5\/6: 80% of traffic/);
    expect(promote.stdout).toContain("rollout 2 is paused: step 6/6: paused until slipway promote");
    expect((await project.status()).rollout).toMatchObject({ phase: "paused", weight: 80 });

    // the last promote follows the rollout to its end: the same closing line as deploy
    const done = await project.ok("promote");
    expect(done.stdout).toMatch(/release 2 \(v2\) is live in \d+\.\ds \(canary\), replacing release 1 \(v1\), all 3 instances ready\n$/);
    const status = await project.status();
    expect(status.rollout).toBeNull();
    expect(status.current?.version).toBe("v2");

    // --no-wait: the one line of the action, before the rollout moves on
    await project.ok("deploy", "--version", "v3");
    const quick = await project.ok("promote", "--no-wait");
    expect(quick.stdout).toBe("rollout 3: promoted (was at step 2/6)\n");
    await waitFor("the paused 80% step", async () => (await project!.status()).rollout?.weight === 80);

    // abort: the undo's events, then the action's line; the stable release serves alone
    const abort = await project.ok("abort");
    expect(abort.stdout).toMatch(/rollout 3 aborted: traffic is back on the stable release/);
    expect(abort.stdout.split("\n").length).toBeGreaterThan(2);
    const after = await project.status();
    expect(after.rollout).toBeNull();
    expect(after.instances.map((i) => i.version)).toEqual(["v2", "v2", "v2"]);
  }, 120_000);

  it("resume follows a paused rollout; a promote whose rollout then fails exits 1 with the failure", async () => {
    const steps = ["      - setWeight: 20", "      - pause: { duration: 8s }", "      - setWeight: 50", "      - pause: {}"].join("\n");
    project = await TestProject.create((port) =>
      canary(port, steps).replace(
        /progressDeadline: 20s\n/,
        // v3's promotion is refused by its prePromote hook
        `progressDeadline: 20s\nhooks:\n  prePromote: ["node", "-e", "process.exit(process.env.SLIPWAY_VERSION === 'v3' ? 1 : 0)"]\n`,
      ),
    );
    await project.ok("deploy", "--version", "v1");
    // deploy follows the 8s pause; slipway pause holds it there, and deploy returns paused
    const deploy = project.run("deploy", "--version", "v2");
    await waitFor("the timed pause at 20%", async () => (await project!.status()).rollout?.weight === 20);
    expect((await project.ok("pause")).stdout).toMatch(/^rollout 2: paused at 20%; slipway resume continues\n$/);
    const held = await deploy;
    expect(held.code).toBe(0);
    expect(held.stdout).toMatch(
      /rollout 2 is paused: pause by .*; slipway resume continues\ncontinue with slipway resume, roll back with slipway abort/,
    );
    // resume follows the rest of the pause, 50%, to the next manual pause
    const resume = await project.ok("resume");
    expect(resume.stdout).toMatch(/50% of traffic to release 2 \(v2\)/);
    expect(resume.stdout).toContain("rollout 2 is paused: step 4/4: paused until slipway promote");
    await project.ok("abort");

    // promote --full cuts v3's pause short; its prePromote hook fails, and promote says so, exit 1
    const deploy3 = project.run("deploy", "--version", "v3");
    await waitFor("v3 at 20%", async () => (await project!.status()).rollout?.weight === 20);
    const failed = await project.run("promote", "--full");
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stderr).toMatch(/^error: .*prePromote/m);
    expect((await deploy3).code).toBe(1);
    const status = await project.status();
    expect(status.rollout).toBeNull();
    expect(status.current?.version).toBe("v1");
  }, 120_000);
});
