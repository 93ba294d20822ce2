import { cpSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { startLoad } from "../src/load/load-generator.js";
import { dockerGate, ensureNodeBaseImage, removeAppContainers, removeAppImages, swarmGate } from "./support/docker.js";
import { answersSentAfter } from "./support/load.js";
import { REPO, TestProject, waitFor } from "./support/project.js";
import { swarmStrategyYaml } from "./support/swarm-config.js";
import { claimPortBase, SIDE_HOST, sidePort, SWARM_PORT_BASES } from "./support/ports.js";

const gate = await dockerGate();
const swarmReady = gate.docker ? await swarmGate(gate.docker) : false;

const PORT_BASE = claimPortBase(SWARM_PORT_BASES.daemon);

function swarmConfig(port: number, name: string, previewPort: number): string {
  return `name: ${name}
platform: swarm
listen: 127.0.0.1:${port}
app:
  build: { context: . }
  replicas: 2
  shutdown: { signal: SIGTERM, timeout: 10s }
health:
  readiness: { http: /health, interval: 1s, timeout: 2s, failureThreshold: 3 } # each check starts a node in the task
${swarmStrategyYaml(previewPort, PORT_BASE)}progressDeadline: 150s # a budget, not what the test proves: Swarm on a loaded 2-core machine is slow
`;
}

describe.skipIf(!swarmReady)("platform swarm, real engine", () => {
  let project: TestProject | undefined;
  beforeAll(async () => {
    await ensureNodeBaseImage();
  }, 120_000);
  afterEach(async () => {
    await project?.cleanup(); // slipway down removes the service
    project = undefined;
    await removeAppContainers(gate.docker, `swdeploy-${process.pid}`); // whatever cleanup() could not stop
    await removeAppImages(gate.docker, `swdeploy-${process.pid}`);
  });

  it("deploys a service, updates it with native update_config under load with zero failed requests, rolls back through the spec", async () => {
    const name = `swdeploy-${process.pid}`;
    const previewPort = await sidePort();
    const p = (project = await TestProject.create((port) => swarmConfig(port, name, previewPort)));
    cpSync(join(REPO, "test/fixtures/docker-app"), p.dir, { recursive: true });

    const v1 = await p.run("deploy", "--version", "v1");
    expect(v1.stderr).toBe("");
    expect(v1.code).toBe(0);
    expect(v1.stdout).toContain(`service slipway-${name} created with 2 replica(s) of ${name}:release-1`);
    const first = await p.status();
    expect(first.instances.map((i) => [i.version, i.state])).toEqual([
      ["v1", "ready"],
      ["v1", "ready"],
    ]);
    expect(first.instances.map((i) => i.port).sort()).toEqual([PORT_BASE + 1, PORT_BASE + 2]);

    const load = startLoad({ url: p.url, rate: 100, concurrency: 4 });
    const v2 = await p.run("deploy", "--version", "v2");
    await waitFor(
      "only v2 to run and be routed to",
      async () => {
        const s = await p.status();
        const ready = s.instances.filter((i) => i.version === "v2" && i.state === "ready").map((i) => i.id);
        return ready.length === 2 && s.instances.length === 2 && s.traffic?.targets.every((t) => ready.includes(t));
      },
      120_000,
    ); // Swarm retires the old tasks on its own schedule; on a loaded CI machine that can pass 30 s
    const after = await answersSentAfter(load, Date.now());
    const report = await load.stop();
    expect(v2.stderr).toBe("");
    expect(v2.code).toBe(0);
    expect(v2.stdout).toMatch(/slipway-swdeploy-\d+: updat/); // Swarm's own progress, followed
    expect(report.failures).toEqual([]);
    expect(report.versions.v2).toBeGreaterThan(0);
    expect(after.filter((t) => t.version !== "v2")).toEqual([]);

    const back = await p.run("rollback");
    expect(back.code).toBe(0);
    const served = await waitFor("v1 again", async () => {
      const body = JSON.parse((await p.get("/")).body) as { version: string };
      return body.version === "v1" ? body : undefined;
    });
    expect(served.version).toBe("v1");
    expect((await p.status()).current?.version).toBe("v1");

    // a canary through the router: its own service, half of the requests, then promotion by a native update
    const canary = await p.run("deploy", "--version", "v3", "--strategy", "canary");
    expect(canary.stderr).toBe("");
    expect(canary.code).toBe(0);
    expect(canary.stdout).toContain(`canary service slipway-${name}-r3 created with 1 replica(s)`);
    expect(canary.stdout).toContain("rollout 4 is paused");
    const seen: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const v = (JSON.parse((await p.get("/")).body) as { version: string }).version;
      seen[v] = (seen[v] ?? 0) + 1;
    }
    expect(seen).toEqual({ v1: 20, v3: 20 }); // smooth weighted round-robin at 50%: exact
    await p.ok("promote");
    const done = await waitFor(
      "the canary promoted to the service",
      async () => {
        const s = await p.status();
        return s.rollout === null && s.current?.version === "v3" ? s : undefined;
      },
      120_000,
    );
    expect(done.instances.map((i) => i.version)).toEqual(["v3", "v3"]);
    for (let i = 0; i < 10; i++) expect(JSON.parse((await p.get("/")).body).version).toBe("v3");

    // blue-green: green as its own service behind the preview listener, one switch, then the app's service takes green's image
    const bgLoad = startLoad({ url: p.url, rate: 100, concurrency: 4 });
    const blueGreen = await p.run("deploy", "--version", "v5", "--strategy", "blue-green");
    const afterSwitch = await answersSentAfter(bgLoad, Date.now());
    const bgReport = await bgLoad.stop();
    expect(blueGreen.stderr).toBe("");
    expect(blueGreen.code).toBe(0);
    expect(blueGreen.stdout).toContain(`preview on http://${SIDE_HOST}:${previewPort}`);
    expect(blueGreen.stdout).toContain("switched all traffic to release 4 (v5)");
    expect(bgReport.failures).toEqual([]);
    expect(afterSwitch.filter((t) => t.version !== "v5")).toEqual([]);
    const final = await p.status();
    expect(final.instances.map((i) => i.version)).toEqual(["v5", "v5"]);
  }, 600_000); // five rollouts through Swarm
});
