import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HEALTHCHECK_START_ALLOWANCE } from "../src/daemon/swarm-workload.js";
import { buildImage } from "../src/platform/docker/image-builder.js";
import { httpHealthTest, type ServiceOptions } from "../src/platform/swarm/service-spec.js";
import { SwarmServices } from "../src/platform/swarm/swarm-services.js";
import type { SwarmTask } from "../src/platform/swarm/swarm-task.js";
import type { UpdateProgress } from "../src/platform/swarm/update-progress.js";
import { dockerGate, ensureNodeBaseImage, NODE_BASE_IMAGE, removeImages, swarmGate } from "./support/docker.js";
import { claimPortBase, SWARM_PORT_BASES } from "./support/ports.js";

/**
 * SwarmServices against the real engine: a swarm of this one node (initialised
 * here when inactive), host networking, images built FROM the local base image.
 */

const gate = await dockerGate();
const swarmReady = gate.docker ? await swarmGate(gate.docker) : false;

const APP = `swarmtest-${process.pid}`;
const REPO = `slipway-swarm-test-${process.pid}`;
/** Below the ephemeral range; a lane of 1000 ports each, per test process. */
const PORT_BASE = claimPortBase(SWARM_PORT_BASES.services);

const SERVER = `import { createServer } from "node:http";
const port = Number(process.env.PORT);
const version = process.env.APP_VERSION;
const server = createServer((req, res) => {
  const ok = req.url !== "/health" || process.env.BROKEN !== "health";
  res.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
  res.end(JSON.stringify({ version, port, slot: process.env.SLIPWAY_SLOT }));
});
server.listen(port, "127.0.0.1", () => console.log("listening on " + port + " as " + version));
process.on("SIGTERM", () => { server.close(() => process.exit(0)); server.closeAllConnections(); });
`;

async function buildTestImage(docker: Dockerode, tag: string, version: string, broken: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "slipway-swarm-image-"));
  try {
    writeFileSync(join(dir, "server.mjs"), SERVER);
    const env = `ENV APP_VERSION=${version}${broken ? " BROKEN=health" : ""}`;
    writeFileSync(
      join(dir, "Dockerfile"),
      `FROM ${NODE_BASE_IMAGE}\nWORKDIR /app\nCOPY server.mjs /app/server.mjs\n${env}\nCMD ["node", "/app/server.mjs"]\n`,
    );
    await buildImage(docker, { context: dir, tag, labels: { "slipway.app": APP }, onLine: () => {} });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function options(releaseId: number, image: string, name: string): ServiceOptions {
  return {
    app: APP,
    name,
    releaseId,
    version: `v${releaseId}`,
    image: `${REPO}:${image}`,
    replicas: 2,
    env: { SLIPWAY_VERSION: `v${releaseId}` },
    portBase: PORT_BASE,
    // The probe's timeout has the allowance Slipway gives a healthcheck that starts node, and a
    // healthy task must fail 8 checks in a row: under a second suite's load (load average 9), a
    // v1 task was replaced twice during the failed update, its own checks starved, not the update's
    // doing. The bad image still fails its checks within seconds. Its healthcheck's node runs in
    // the task's memory limit beside the app: 256 MB leaves room for both.
    health: { test: httpHealthTest("/health"), interval: 500, timeout: 3000 + HEALTHCHECK_START_ALLOWANCE, startPeriod: 0, retries: 8 },
    resources: { cpus: 0.5, memoryBytes: 256 * 1024 * 1024 },
    constraints: ["node.role==manager"],
    updateConfig: { parallelism: 1, monitor: 1500 },
    shutdown: { signal: "SIGTERM", timeout: 3000 },
  };
}

async function get(task: Pick<SwarmTask, "address" | "port">): Promise<{ version: string; port: number }> {
  const res = await fetch(`http://${task.address}:${task.port}/`, { signal: AbortSignal.timeout(2000) });
  return (await res.json()) as { version: string; port: number };
}

/**
 * The ready tasks once there are `count` of them, all of `releaseId`. Swarm
 * stops replaced tasks in its own time (slow on a loaded machine): the wait is
 * bounded by the test's budget, not by a window of its own.
 */
async function readyTasks(swarm: SwarmServices, name: string, count: number, releaseId: number, timeoutMs = 90_000): Promise<SwarmTask[]> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const tasks = (await swarm.tasks(name)).filter((task) => task.ready);
    if (tasks.length === count && tasks.every((task) => task.releaseId === releaseId)) return tasks;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name}: no ${count} ready tasks of release ${releaseId}: ${JSON.stringify(await swarm.tasks(name))}`);
}

/**
 * Asks every ready task of the service, as the router would (the task list
 * read again each round), until stopped; resolves with the failures.
 */
/** Every task of a service with its state and error (`docker service ps --no-trunc`), to say why a task was replaced. */
async function taskHistory(docker: Dockerode, service: string): Promise<string> {
  const tasks = (await docker.listTasks({ filters: { service: [service] } })) as {
    ID: string;
    Slot?: number;
    DesiredState: string;
    Status: { State: string; Err?: string; ContainerStatus?: { ExitCode?: number } };
    Spec: { ContainerSpec?: { Image?: string } };
  }[];
  return tasks
    .map(
      (t) =>
        `${t.ID} slot ${t.Slot} ${t.Spec.ContainerSpec?.Image?.split("@")[0]} ${t.Status.State}/${t.DesiredState} exit ${t.Status.ContainerStatus?.ExitCode ?? "-"} ${t.Status.Err ?? ""}`,
    )
    .join("\n");
}

function keepAsking(swarm: SwarmServices, name: string): { stop: () => Promise<string[]> } {
  const failures: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const tasks = (await swarm.tasks(name)).filter((task) => task.ready);
      for (const task of tasks) await get(task).catch((err: Error) => failures.push(`${task.port}: ${err.message}`));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return failures;
    },
  };
}

describe.skipIf(!swarmReady)("SwarmServices, real engine", () => {
  const docker = gate.docker as Dockerode;
  const swarm = new SwarmServices({ docker, pollMs: 200 });
  const rolling = `slipway-${APP}`;
  const canary = `slipway-${APP}-r9`;
  const images = ["v1", "v2", "bad"].map((tag) => `${REPO}:${tag}`);

  beforeAll(async () => {
    await ensureNodeBaseImage(docker);
    await buildTestImage(docker, `${REPO}:v1`, "v1", false);
    await buildTestImage(docker, `${REPO}:v2`, "v2", false);
    await buildTestImage(docker, `${REPO}:bad`, "bad", true);
  }, 180_000);

  afterAll(async () => {
    // each step whatever the one before did: a service left running keeps its image in use
    await Promise.allSettled([rolling, canary].map((name) => swarm.removeService(name, { wait: true })));
    await removeImages(docker, images);
  }, 120_000);

  it("ensureSwarm passes on a manager", async () => {
    await expect(swarm.ensureSwarm()).resolves.toBeUndefined();
  });

  it("runs 2 replicas on host networking, each task answering on its own port", async () => {
    const created = await swarm.deployService(options(1, "v1", rolling));
    expect(created).toMatchObject({ name: rolling, laneBase: PORT_BASE });
    const tasks = await readyTasks(swarm, rolling, 2, 1);
    expect(tasks.map((task) => [task.slot, task.address, task.port])).toEqual([
      [1, "127.0.0.1", PORT_BASE + 1],
      [2, "127.0.0.1", PORT_BASE + 2],
    ]);
    expect(await Promise.all(tasks.map(get))).toEqual([
      { version: "v1", port: PORT_BASE + 1, slot: "1" },
      { version: "v1", port: PORT_BASE + 2, slot: "2" },
    ]);
    const service = await docker.getService(rolling).inspect();
    expect(service.Spec.Labels).toMatchObject({ "slipway.app": APP, "slipway.release": "1", "slipway.version": "v1" });
    await expect(swarm.deployService(options(1, "v1", rolling))).rejects.toThrow(`swarm service ${rolling} exists already`);
  });

  it("rolls out a new image natively (start-first, monitor) while the old tasks keep answering, and reports progress", async () => {
    await readyTasks(swarm, rolling, 2, 1);
    const load = keepAsking(swarm, rolling);
    const seen: UpdateProgress[] = [];
    const final = await swarm.updateService(rolling, options(2, "v2", rolling), { onProgress: (p) => seen.push(p) });
    const failures = await load.stop();
    expect(final, final.message).toMatchObject({ state: "completed", targetRelease: 2, updated: 2, desired: 2 });
    expect(seen.map((p) => p.state)).toContain("updating");
    const tasks = await readyTasks(swarm, rolling, 2, 2);
    expect(tasks.map((task) => task.port)).toEqual([PORT_BASE + 1001, PORT_BASE + 1002]);
    expect((await Promise.all(tasks.map(get))).map((body) => body.version)).toEqual(["v2", "v2"]);
    // the task list is read before each round: an old task may be stopped between the read and the request
    expect(failures.length).toBeLessThanOrEqual(2);
    expect((await swarm.logs(rolling, 50)).some((line) => /\| listening on \d+ as v2$/.test(line))).toBe(true);
  }, 180_000);

  it("rolls back explicitly to the previous spec", async () => {
    const final = await swarm.rollbackService(rolling);
    expect(final, final.message).toMatchObject({ state: "rollback_completed", targetRelease: 1 });
    const tasks = await readyTasks(swarm, rolling, 2, 1);
    expect(tasks.map((task) => task.port)).toEqual([PORT_BASE + 1, PORT_BASE + 2]);
    expect((await Promise.all(tasks.map(get))).map((body) => body.version)).toEqual(["v1", "v1"]);
  }, 180_000);

  it("an update whose tasks fail their healthcheck is rolled back by Swarm; the old tasks keep answering", async () => {
    const old = await readyTasks(swarm, rolling, 2, 1);
    const load = keepAsking(swarm, rolling);
    const final = await swarm.updateService(rolling, options(3, "bad", rolling));
    const failures = await load.stop();
    expect(final.state, final.message).toBe("rollback_completed");
    expect(final.targetRelease).toBe(1);
    // Under a second suite's load (two-copy rounds 36 and 39, and a CI run with six failures), Swarm reached
    // the second slot before the first bad task was judged and replaced that slot's old task on the way back:
    // requests to it failed while the engine still listed it running (through Slipway's router they are
    // retried on the other task). The first slot's old task is always kept, and an old task that is kept
    // never fails a request. (Round 56 saw slot 2's old task replaced with no request failing, so a clean
    // run does not mean both were kept.)
    const tasks = await readyTasks(swarm, rolling, 2, 1);
    const history = await taskHistory(docker, rolling);
    const kept = tasks.filter((task) => old.some((before) => before.id === task.id));
    expect(
      kept.map((task) => task.slot),
      history,
    ).toContain(1);
    expect(
      failures.filter((failure) => kept.some((task) => failure.startsWith(`${task.port}:`))),
      history,
    ).toEqual([]);
    expect(tasks.map((task) => task.port)).toEqual(old.map((task) => task.port));
    expect((await Promise.all(tasks.map(get))).map((body) => body.version)).toEqual(["v1", "v1"]);
  }, 180_000);

  it("runs a second release as its own service beside the first (canary, blue-green) and scales it", async () => {
    await swarm.deployService({ ...options(9, "v2", canary), replicas: 1, portBase: PORT_BASE + 500 });
    expect((await readyTasks(swarm, canary, 1, 9)).map((task) => task.port)).toEqual([PORT_BASE + 501]);
    await swarm.scaleService(canary, 2);
    const tasks = await readyTasks(swarm, canary, 2, 9);
    expect((await Promise.all(tasks.map(get))).map((body) => [body.version, body.port])).toEqual([
      ["v2", PORT_BASE + 501],
      ["v2", PORT_BASE + 502],
    ]);
    expect((await swarm.services(APP)).map((s) => [s.name, s.releaseId]).sort()).toEqual([
      [rolling, 1],
      [canary, 9],
    ]);
    await swarm.removeService(canary, { wait: true });
    expect(await swarm.tasks(canary)).toEqual([]);
  }, 180_000);

  it("rebuilds an update Swarm refuses as out of sequence (the service changed since it was read) and sends it again", async () => {
    // Between Slipway's read and its update, someone else updates the service (as Swarm does when it
    // finishes an update or rollback): the engine refuses the stale version with "update out of sequence".
    const sent: number[] = [];
    const racing = new Proxy(docker, {
      get(target, prop) {
        if (prop !== "getService") return Reflect.get(target, prop, target) as unknown;
        return (id: string) => {
          const service = target.getService(id);
          const update = async (opts: { _query: { version: number } }) => {
            sent.push(opts._query.version);
            if (sent.length === 1) {
              const now = (await service.inspect()) as { Version: { Index: number }; Spec: Dockerode.ServiceSpec };
              await service.update({
                _query: { version: now.Version.Index },
                _body: { ...now.Spec, Labels: { ...now.Spec.Labels, "slipway.test-race": "1" } },
              });
            }
            return service.update(opts);
          };
          return Object.assign(Object.create(service) as Dockerode.Service, { update });
        };
      },
    });
    await new SwarmServices({ docker: racing, pollMs: 200 }).scaleService(rolling, 2);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toBeGreaterThan(sent[0]!);
    // the update sent again was built from the service as read again: the other writer's change is kept
    const spec = (await docker.getService(rolling).inspect()) as { Spec: Dockerode.ServiceSpec };
    expect(spec.Spec.Labels?.["slipway.test-race"]).toBe("1");
    expect(spec.Spec.Mode?.Replicated?.Replicas).toBe(2);
  }, 60_000);
});
