import { cpSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { dockerGate, ensureNodeBaseImage, removeAppContainers, removeAppImages } from "./support/docker.js";
import { flakyConfig, instancesOf, trafficMovedTo, letGo, poke, tracked } from "./support/flaky-app.js";
import { REPO, TestProject, waitFor } from "./support/project.js";

const gate = await dockerGate();

describe.skipIf(!gate.run)("docker supervision, real engine", () => {
  let project: TestProject | undefined;
  let held: number[] = [];
  const app = `swsup-${process.pid}`;
  beforeAll(async () => {
    await ensureNodeBaseImage();
  }, 120_000);
  afterEach(async () => {
    await letGo(held);
    held = [];
    await project?.cleanup();
    project = undefined;
    await removeAppContainers(gate.docker, app);
    await removeAppImages(gate.docker, app);
  });

  it("a rollback does not report success while a container is unhealthy; supervision restarts it and status shows the restart", async () => {
    const p = (project = await TestProject.create((port) => flakyConfig(port, { name: app, platform: "docker", progressDeadline: "30s" })));
    cpSync(join(REPO, "test/fixtures/flaky-app"), p.dir, { recursive: true });
    await p.ok("deploy", "--version", "v1");
    await p.ok("deploy", "--version", "v2");
    // v2's containers keep serving on SIGTERM until let go: the rollback has moved traffic but not ended.
    held = (await instancesOf(p, 2)).map((i) => i.port);
    for (const port of held) await poke(port, "/hold");

    const rollback = tracked(p.run("rollback"));
    const back = await trafficMovedTo(p, 1, 2);
    const victim = back[0]!;
    await poke(victim.port, "/sick"); // its HEALTHCHECK fails from now on
    await waitFor("supervision to take the unhealthy container down", async () => {
      const i = (await instancesOf(p, 1)).find((x) => x.id === victim.id);
      return i?.lastFailure ? i : undefined; // it may be back already: status is polled
    });
    expect(rollback.settled()).toBe(false);
    await letGo(held);

    const r = await rollback.promise;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const failed = r.stdout.indexOf(`${victim.id} ready -> restarting: liveness probe failed: container HEALTHCHECK reports unhealthy`);
    const ready = r.stdout.indexOf(`${victim.id} starting -> ready`, failed);
    const live = r.stdout.indexOf("rolled back: release 1 (v1) is live");
    expect(failed).toBeGreaterThan(-1);
    expect(ready).toBeGreaterThan(failed);
    expect(live).toBeGreaterThan(ready);
    expect(r.stdout).toMatch(/rolled back: release 1 \(v1\) is live in [\d.]+s \(was release 2 \(v2\)\), all 2 instances ready\n/);

    const status = await p.status();
    expect(status.instances.filter((i) => i.release === 1).map((i) => i.state)).toEqual(["ready", "ready"]);
    expect(status.instances.find((i) => i.id === victim.id)).toMatchObject({
      restarts: 1,
      lastFailure: { reason: "liveness probe failed: container HEALTHCHECK reports unhealthy" },
    });
    expect(JSON.parse((await p.get("/")).body)).toMatchObject({ version: "v1" });

    // After the rollout: the serving release is supervised on Docker too.
    const other = back[1]!;
    const port = (await instancesOf(p, 1)).find((i) => i.id === other.id)!.port;
    await poke(port, "/sick");
    const restarted = await waitFor("the second container to be restarted and ready", async () => {
      const i = (await instancesOf(p, 1)).find((x) => x.id === other.id);
      return i && i.state === "ready" && i.restarts === 1 ? i : undefined;
    });
    expect(restarted.lastFailure?.reason).toBe("liveness probe failed: container HEALTHCHECK reports unhealthy");
    const text = await p.run("status");
    expect(text.stdout).toContain("current release: 1 (v1): 2 of 2 instances ready");
    expect(text.stdout).toMatch(new RegExp(`${other.id} last failed at [\\d:]+ \\(restarts: 1\\): liveness probe failed`));
  });
});
