import { cpSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { REPO, TestProject } from "./support/project.js";

let project: TestProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

/** test/fixtures/apps/slow-boot.mjs: listens after BOOT_MS; /health answers 200, any other path 404. */
function slowBootConfig(port: number, o: { bootMs: number; startup: string; readiness: string; progressDeadline: string }): string {
  return `name: slow-boot
listen: 127.0.0.1:${port}
app:
  command: ["node", "slow-boot.mjs"]
  replicas: 1
  env: { BOOT_MS: "${o.bootMs}" }
  shutdown: { signal: SIGTERM, timeout: 3s }
health:
  startup: ${o.startup}
  readiness: ${o.readiness}
strategy:
  type: rolling
  rolling: { maxSurge: 1, maxUnavailable: 0, minReady: 0s }
drain: { timeout: 1s }
progressDeadline: ${o.progressDeadline}
`;
}

async function slowBootProject(o: Parameters<typeof slowBootConfig>[1]): Promise<TestProject> {
  const p = await TestProject.create((port) => slowBootConfig(port, o));
  cpSync(join(REPO, "test/fixtures/apps/slow-boot.mjs"), join(p.dir, "slow-boot.mjs"));
  return p;
}

describe("feedback while probes fail (CLI)", () => {
  // The budgets are hours; the test's own timeout is 90 s: it passes only if the deploy did not wait them out.
  it("fails a deploy whose readiness path answers 404 early, with a hint naming the path and key, and rolls back", async () => {
    const budget = { bootMs: 0, startup: "{ http: /health, interval: 200ms, failureThreshold: 100000 }", progressDeadline: "24h" };
    project = await slowBootProject({ ...budget, readiness: "{ http: /health, interval: 200ms, failureThreshold: 3 }" });
    const first = await project.run("deploy", "--version", "v1");
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);

    project.writeConfig(slowBootConfig(project.port, { ...budget, readiness: "{ http: /healthz, interval: 200ms, failureThreshold: 3 }" }));
    const bad = await project.run("deploy", "--version", "v2");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      "error: release 2 (v2) failed: instance r2-1 failed: readiness path not served: GET /healthz -> 404, 3 times in a row",
    );
    expect(bad.stderr).toContain(
      "hint: the app answers /healthz with 404/405: set health.readiness.http in slipway.yaml to a path it serves, or add the route (an app that mounts its routes late: raise health.readiness.failureThreshold)",
    );
    expect(bad.stderr).toContain("release 1 (v1) still serves");
    expect((await project.get("/")).body).toBe("v1 ok\n");
    const releases = await project.json<{ id: number; status: string }[]>("releases");
    expect(releases.map((r) => [r.id, r.status])).toEqual([
      [2, "failed"],
      [1, "active"],
    ]);
  }, 90_000);

  it("says which instance waits for which probe, its last result and the time left while a slow app boots", async () => {
    project = await slowBootProject({
      bootMs: 10_000,
      startup: "{ http: /health, interval: 500ms, failureThreshold: 120 }",
      readiness: "{ http: /health, interval: 500ms, failureThreshold: 3 }",
      progressDeadline: "5m",
    });
    const r = await project.run("deploy", "--version", "v1");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    const live = lines.findIndex((l) => l.includes("release 1 (v1) is live"));
    const waits = lines
      .map((l, i) => ({ l, i }))
      .filter(({ l }) =>
        /r1-1 waiting for its startup probe: GET \/health: connect ECONNREFUSED [\d.:]+ \(\d+ failed in a row\); \d+s left before the startup probe gives up$/.test(
          l,
        ),
      );
    expect(waits.length).toBeGreaterThanOrEqual(1);
    expect(live).toBeGreaterThan(waits[0]!.i);
  }, 90_000);
});
