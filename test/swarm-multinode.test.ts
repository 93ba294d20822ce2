import { appendFileSync, cpSync, mkdirSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLoad, type LoadReport } from "../src/load/load-generator.js";
import type { Target } from "../src/router/types.js";
import type { ListenerState } from "../src/routerd/state.js";
import { answersSentAfter } from "./support/load.js";
import { claimPortBase, sidePort, SWARM_PORT_BASES } from "./support/ports.js";
import { REPO, TestProject, waitFor } from "./support/project.js";
import { swarmStrategyYaml } from "./support/swarm-config.js";
import type { Status } from "./support/status.js";
import { swarmClusterGate, type ClusterNode } from "./support/swarm-cluster.js";

/**
 * Slipway on a swarm of three engines (test/support/swarm-cluster.ts): tasks
 * spread over the nodes, the router reaching each at its node's address,
 * rolling, canary and blue-green under load with no failed request, and one
 * engine killed mid-load, its tasks rescheduled on the others with the router
 * following. The figures of that failure are printed and appended to
 * `<tmp>/slipway-swarm-multinode/figures.jsonl`; only recovery within a
 * generous bound is asserted, never a time.
 */

const cluster = await swarmClusterGate();

const PORT_BASE = claimPortBase(SWARM_PORT_BASES.daemon);
const REPLICAS = 3;
/** Recovery from a lost node: a budget, not a measurement (Swarm marks a node down after missed heartbeats, ~10 s). */
const RECOVERY_BOUND_MS = 120_000;
const FIGURES = join(tmpdir(), "slipway-swarm-multinode");

function multiNodeConfig(port: number, name: string, previewPort: number, registry: string): string {
  return `name: ${name}
platform: swarm
listen: 127.0.0.1:${port}
app:
  build: { context: . }
  replicas: ${REPLICAS}
  env: { HOST: 0.0.0.0 } # reached from the router at its node's address, not on 127.0.0.1
  shutdown: { signal: SIGTERM, timeout: 10s }
health:
  readiness: { http: /health, interval: 1s, timeout: 2s, failureThreshold: 3 }
${swarmStrategyYaml(previewPort, PORT_BASE)}registry: { repository: ${registry}/slipway/${name} } # the other nodes pull from it
progressDeadline: 150s
`;
}

/** The router's targets on the app's listener, as its control API reports them (`.slipway/router.sock`). */
function routerTargets(p: TestProject): Promise<Target[]> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(p.dir, ".slipway/router.sock"), path: "/v1/state" }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => {
        const listeners = (JSON.parse(body) as { state: { listeners: Record<string, ListenerState> } }).state.listeners;
        const app = Object.values(listeners).find((l) => l.listen.port === p.port);
        resolve(app?.groups.flatMap((g) => g.targets) ?? []);
      });
    });
    req.on("error", reject);
    req.end();
  });
}

describe.skipIf(!cluster)(
  "platform swarm on three engines",
  () => {
    const name = `swmulti-${process.pid}`;
    const service = `slipway-${name}`;
    let project: TestProject;
    let previousDockerHost: string | undefined;

    /** The service's tasks meant to run, with the node each is on. */
    async function tasks(): Promise<{ id: string; node: ClusterNode; state: string }[]> {
      const listed = (await cluster!.manager.docker.listTasks({ filters: { service: [service], "desired-state": ["running"] } })) as {
        ID: string;
        NodeID: string;
        Status: { State: string };
      }[];
      return listed.map((t) => ({ id: t.ID, node: cluster!.nodeOf(t.NodeID)!, state: t.Status.State }));
    }

    /** Serving in full: every replica ready, and the router's targets exactly those, none on a killed node. */
    async function fullyServed(s?: Status, targets?: Target[]): Promise<Target[] | undefined> {
      s ??= await project.status();
      targets ??= await routerTargets(project);
      const ready = s.instances.filter((i) => i.state === "ready").map((i) => i.id);
      const live = new Set(cluster!.nodes.filter((n) => !n.killed).map((n) => n.address));
      const full =
        ready.length === REPLICAS &&
        s.instances.length === REPLICAS &&
        targets.length === REPLICAS &&
        targets.every((t) => ready.includes(t.id) && live.has(t.host));
      return full ? targets : undefined;
    }

    beforeAll(async () => {
      previousDockerHost = process.env.DOCKER_HOST;
      process.env.DOCKER_HOST = cluster!.manager.host; // the CLI, and the daemon it starts, talk to node 1, not the main engine
      const previewPort = await sidePort();
      project = await TestProject.create((port) => multiNodeConfig(port, name, previewPort, cluster!.registry));
      cpSync(join(REPO, "test/fixtures/docker-app"), project.dir, { recursive: true });
    });

    afterAll(async () => {
      await project?.cleanup(); // slipway down removes the services
      if (previousDockerHost === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = previousDockerHost;
      await cluster?.stop();
    }, 120_000);

    it("spreads the tasks over the nodes; the router reaches each at its node's address", async () => {
      const v1 = await project.run("deploy", "--version", "v1");
      expect(v1.stderr).toBe("");
      expect(v1.code).toBe(0);
      expect(v1.stdout).toContain(`pushed ${cluster!.registry}/slipway/${name}:release-1`);
      const targets = await waitFor("three tasks served", fullyServed, 60_000, 250);

      const placed = await tasks();
      const nodes = new Set(placed.map((t) => t.node.index));
      expect(nodes.size).toBeGreaterThanOrEqual(2);
      // each router target is at the address of the node its task runs on
      for (const task of placed) {
        const target = targets.find((t) => t.id.endsWith(task.id.slice(0, 12)));
        expect(target?.host).toBe(task.node.address);
      }
      expect(new Set(targets.map((t) => t.host)).size).toBe(nodes.size);
      const s = await project.status();
      expect(s.instances.map((i) => i.id).sort()).toEqual(targets.map((t) => t.id).sort());
      for (const target of targets) {
        const answer = await fetch(`http://${target.host}:${target.port}/`).then((r) => r.json() as Promise<{ version: string }>);
        expect(answer.version).toBe("v1");
      }
    });

    it("updates across the nodes (native rolling update) under load with zero failed requests", async () => {
      const load = startLoad({ url: project.url, rate: 100, concurrency: 4 });
      const v2 = await project.run("deploy", "--version", "v2");
      await waitFor(
        "only v2 served on every node",
        async () => {
          const targets = await fullyServed();
          const s = await project.status();
          return targets && s.instances.every((i) => i.version === "v2");
        },
        120_000,
        250,
      );
      const after = await answersSentAfter(load, Date.now());
      const report = await load.stop();
      expect(v2.stderr).toBe("");
      expect(v2.code).toBe(0);
      expect(report.failures).toEqual([]);
      expect(after.filter((t) => t.version !== "v2")).toEqual([]);
      expect(new Set((await tasks()).map((t) => t.node.index)).size).toBeGreaterThanOrEqual(2);
    });

    it("runs a canary at 50% and promotes it, under load with zero failed requests", async () => {
      const load = startLoad({ url: project.url, rate: 100, concurrency: 4 });
      const canary = await project.run("deploy", "--version", "v3", "--strategy", "canary");
      expect(canary.stderr).toBe("");
      expect(canary.code).toBe(0);
      expect(canary.stdout).toContain(`canary service ${service}-r3 created with 1 replica(s)`);
      // the load's own answers while paused at 50%: smooth weighted round-robin over all of them, so about half each
      const paused = await answersSentAfter(load, Date.now(), 200);
      const seen: Record<string, number> = {};
      for (const answer of paused.slice(0, 200)) seen[answer.version ?? "none"] = (seen[answer.version ?? "none"] ?? 0) + 1;
      expect(Object.keys(seen).sort()).toEqual(["v2", "v3"]);
      expect(Math.abs((seen.v3 ?? 0) - 100)).toBeLessThanOrEqual(10);
      await project.ok("promote");
      await waitFor(
        "the canary promoted on every node",
        async () => {
          const s = await project.status();
          return s.rollout === null && s.current?.version === "v3" && s.instances.every((i) => i.version === "v3") && (await fullyServed());
        },
        120_000,
        250,
      );
      const after = await answersSentAfter(load, Date.now());
      const report = await load.stop();
      expect(report.failures).toEqual([]);
      expect(after.filter((t) => t.version !== "v3")).toEqual([]);
    });

    it("switches blue-green under load with zero failed requests", async () => {
      const load = startLoad({ url: project.url, rate: 100, concurrency: 4 });
      const blueGreen = await project.run("deploy", "--version", "v4", "--strategy", "blue-green");
      expect(blueGreen.stderr).toBe("");
      expect(blueGreen.code).toBe(0);
      expect(blueGreen.stdout).toMatch(/switched all traffic to release \d+ \(v4\)/);
      const afterSwitch = await answersSentAfter(load, Date.now());
      await waitFor(
        "v4 served in full",
        async () => (await project.status()).instances.every((i) => i.version === "v4") && fullyServed(),
        60_000,
        250,
      );
      const report = await load.stop();
      expect(report.failures).toEqual([]);
      expect(afterSwitch.filter((t) => t.version !== "v4")).toEqual([]);
    });

    it("loses an engine mid-load: its tasks move to the others and the router follows", async () => {
      const placed = await tasks();
      const victim = cluster!.nodes.find((n) => n !== cluster!.manager && placed.some((t) => t.node === n));
      expect(victim, "a task on a node other than Slipway's manager").toBeDefined();
      const lost = placed.filter((t) => t.node === victim).length;
      const load = startLoad({ url: project.url, rate: 100, concurrency: 4 });
      await answersSentAfter(load, Date.now()); // the load is flowing
      const killedAt = Date.now();
      cluster!.kill(victim!);

      let ejectedMs: number | undefined; // the router's passive health took the lost tasks out (first seen; polls take ~0.3 s)
      let routerLiveMs: number | undefined; // the router's table holds live tasks only (Swarm declared them gone)
      await waitFor(
        "full replicas on the remaining nodes, the router on them alone",
        async () => {
          const s = await project.status();
          const targets = await routerTargets(project);
          const lostTargets = targets.filter((t) => t.host === victim!.address).map((t) => t.id);
          const since = Date.now() - killedAt;
          if (ejectedMs === undefined && lostTargets.every((id) => s.traffic?.ejected.includes(id))) ejectedMs = since;
          if (routerLiveMs === undefined && targets.length > 0 && lostTargets.length === 0) routerLiveMs = since;
          return fullyServed(s, targets);
        },
        RECOVERY_BOUND_MS,
        200,
      );
      const fullMs = Date.now() - killedAt;
      const after = await answersSentAfter(load, Date.now());
      const report: LoadReport = await load.stop();

      const placedAfter = await tasks();
      expect(placedAfter.every((t) => t.node !== victim && t.state === "running")).toBe(true);
      expect(after.filter((t) => t.status !== 200)).toEqual([]);
      const figures = {
        at: new Date(killedAt).toISOString(),
        killed: `node ${victim!.index} (${lost} of ${REPLICAS} tasks)`,
        requests: report.sent,
        failed: report.failed,
        failures: report.failures,
        lostTasksEjectedMs: ejectedMs,
        routerOnLiveTasksMs: routerLiveMs,
        fullReplicasMs: fullMs,
      };
      console.log(
        `swarm multinode: killed node ${victim!.index} (${lost}/${REPLICAS} tasks) under ${report.sent} requests at 100/s: ` +
          `${report.failed} failed${report.failures.length ? ` (${[...new Set(report.failures)].join("; ")})` : ""}, ` +
          `lost tasks ejected by the router after ${ejectedMs} ms, router table on live tasks only after ${routerLiveMs} ms, ` +
          `full replicas after ${fullMs} ms`,
      );
      mkdirSync(FIGURES, { recursive: true });
      appendFileSync(join(FIGURES, "figures.jsonl"), `${JSON.stringify(figures)}\n`);
    });
  },
  600_000,
);
