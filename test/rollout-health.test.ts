import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { flakyConfig, instancesOf, trafficMovedTo, letGo, poke, tracked } from "./support/flaky-app.js";
import { REPO, TestProject, waitFor } from "./support/project.js";

let project: TestProject | undefined;
let held: number[] = [];
let sickDir = "";
afterEach(async () => {
  await letGo(held);
  held = [];
  await project?.cleanup();
  project = undefined;
  if (sickDir) rmSync(sickDir, { recursive: true, force: true });
  sickDir = "";
});

async function create(progressDeadline: string): Promise<TestProject> {
  const p = (project = await TestProject.create((port) => flakyConfig(port, { name: "flaky", platform: "process", progressDeadline })));
  cpSync(join(REPO, "test/fixtures/flaky-app/server.mjs"), join(p.dir, "server.mjs"));
  return p;
}

/**
 * Deploys v1, holds its instances on stop, starts deploying v2 and waits
 * until both v2 instances are ready while v1 still drains: the rollout has
 * moved all traffic but not ended. Makes one v2 instance sick (its liveness
 * fails), waits until supervision takes it down, and lets v1 go.
 */
async function sickenDuringRollout(p: TestProject, env: string[]) {
  await p.ok("deploy", "--version", "v1");
  const v1 = await instancesOf(p, 1);
  held = v1.map((i) => i.port);
  for (const port of held) await poke(port, "/hold");

  const deploy = tracked(p.run("deploy", "--version", "v2", ...env));
  const fresh = await trafficMovedTo(p, 2, 2);
  const victim = fresh[1]!;
  await poke(victim.port, "/sick");
  await waitFor("supervision to take the sick instance down", async () => {
    const i = (await instancesOf(p, 2)).find((x) => x.id === victim.id);
    return i?.lastFailure ? i : undefined; // it may be back already: status is polled
  });
  expect(deploy.settled()).toBe(false); // not reported while an instance of v2 is down
  expect((await p.status()).rollout).not.toBeNull();
  await letGo(held);
  return { deploy: await deploy.promise, victim };
}

it("a deploy waits while supervision restarts an instance that fails after the traffic moved, then reports all ready", async () => {
  const p = await create("20s");
  const { deploy, victim } = await sickenDuringRollout(p, []);
  expect(deploy.stderr).toBe("");
  expect(deploy.code).toBe(0);
  const out = deploy.stdout;
  const failed = out.indexOf(`${victim.id} ready -> restarting: liveness probe failed`);
  const back = out.indexOf(`${victim.id} starting -> ready`, failed);
  const live = out.indexOf("release 2 (v2) is live in");
  expect(failed).toBeGreaterThan(-1);
  expect(back).toBeGreaterThan(failed);
  expect(live).toBeGreaterThan(back);
  expect(out).toMatch(/release 2 \(v2\) is live in [\d.]+s \(rolling\), replacing release 1 \(v1\), all 2 instances ready\n/);

  const status = await p.status();
  expect(status.current).toMatchObject({ id: 2, replicas: 2 });
  const again = status.instances.find((i) => i.id === victim.id)!;
  expect(again).toMatchObject({ state: "ready", restarts: 1 });
  expect(again.lastFailure?.reason).toMatch(/^liveness probe failed: liveness: GET \/alive -> 503/);
  const text = await p.run("status");
  expect(text.stdout).toContain("current release: 2 (v2): 2 of 2 instances ready");
  expect(text.stdout).toMatch(new RegExp(`${victim.id} last failed at [\\d:]+ \\(restarts: 1\\): liveness probe failed`));
});

it("a deploy whose restarted instance does not come back fails as degraded, exit 1, and the previous release serves", async () => {
  const p = await create("4s");
  sickDir = mkdtempSync(join(tmpdir(), "slipway-sick-"));
  const { deploy, victim } = await sickenDuringRollout(p, ["--env", `SICK_DIR=${sickDir}`]);
  expect(deploy.code).toBe(1);
  expect(deploy.stdout).not.toContain("is live");
  expect(deploy.stderr).toMatch(
    new RegExp(`release 2 \\(v2\\) failed: release 2 is degraded: 1 of 2 instances ready after progressDeadline \\(4s\\); ${victim.id} `),
  );
  expect(deploy.stderr).toContain("release 1 (v1) still serves");
  const status = await p.status();
  expect(status.current?.id).toBe(1);
  expect(status.instances.filter((i) => i.state === "ready").map((i) => i.release)).toEqual([1, 1]);
  expect(JSON.parse((await p.get("/")).body)).toMatchObject({ version: "v1" });
});
