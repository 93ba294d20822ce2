import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe } from "vitest";
import { systemClock } from "../src/clock.js";
import { parseConfig } from "../src/config/load.js";
import type { Config } from "../src/config/types.js";
import { Fleet, type HealthFactory } from "../src/daemon/fleet.js";
import { FleetWorkload } from "../src/daemon/fleet-workload.js";
import { RouteTable } from "../src/daemon/route-table.js";
import { SwarmWorkload } from "../src/daemon/swarm-workload.js";
import { Ledger } from "../src/ledger/ledger.js";
import type { Release } from "../src/ledger/types.js";
import { DockerPlatform } from "../src/platform/docker/docker-platform.js";
import { buildImage } from "../src/platform/docker/image-builder.js";
import { MultiPlatform } from "../src/platform/multi-platform.js";
import { freePort } from "../src/platform/process/port.js";
import { ProcessPlatform } from "../src/platform/process/process-platform.js";
import { InstanceHealth } from "../src/probe/instance-health.js";
import type { RouteGroup } from "../src/router/types.js";
import { dockerGate, ensureNodeBaseImage, removeAppContainers, removeImages, swarmGate } from "./support/docker.js";
import { REPO } from "./support/project.js";
import { workloadContract, type WorkloadSubject } from "./support/workload-contract.js";
import { claimPortBase, SWARM_PORT_BASES } from "./support/ports.js";

const APP_DIR = join(REPO, "test/fixtures/docker-app");

/**
 * On Swarm the readiness probe becomes the tasks' healthcheck, and a task that fails `failureThreshold` checks in a
 * row makes Swarm roll the update back by itself. Under a second suite's load a healthy task's checks starved 3 times
 * running and Swarm undid the contract's restoring update (two-copy round 50), so the Swarm variant allows 8, as
 * swarm.test does. No step of the contract waits on a task failing.
 */
function config(name: string, platform: "process" | "swarm", extra = ""): Config {
  const yaml = `name: ${name}
platform: ${platform}
app:
  ${platform === "process" ? "command: node server.mjs" : "image: unused"}
  replicas: 2
  shutdown: { signal: SIGTERM, timeout: 5s }
health:
  readiness: { http: /health, interval: ${platform === "process" ? "300ms" : "1s"}, timeout: 2s, failureThreshold: ${platform === "process" ? 3 : 8} }
strategy:
  rolling: { maxSurge: 1, maxUnavailable: 0, minReady: 0s }
  canary: { replicas: 1, steps: [{ setWeight: 50 }] }
drain: { timeout: 1s }
progressDeadline: 90s
${extra}`;
  return parseConfig(yaml, { file: "slipway.yaml", root: "/tmp" }).config;
}

/** Releases in a real in-memory ledger, each running the same app (its version comes from SLIPWAY_VERSION). */
function releases(ledger: Ledger, cfg: Config, snapshot: string, image: string | null): (version: string) => Release {
  return (version) => {
    const r = ledger.createRelease({
      version,
      configText: "",
      config: cfg,
      configFile: "slipway.yaml",
      environment: null,
      env: {},
      snapshot,
    });
    if (image) ledger.setImage(r.id, image);
    return ledger.release(r.id)!;
  };
}

/** The routes the router would get: the RouteTable's, following one workload. */
function table(source: "fleet" | "swarm"): { routes: RouteTable; current: () => RouteGroup[] } {
  const routes = new RouteTable(() => {});
  routes.follow(source);
  routes.release();
  return { routes, current: () => routes.current() };
}

describe("Workload contract: the fleet on the process platform", () => {
  let subject: WorkloadSubject | undefined;
  let fleet: Fleet | undefined;
  const root = mkdtempSync(join(tmpdir(), "slipway-workload-fleet-"));
  beforeAll(() => {
    const app = join(root, "app");
    mkdirSync(app);
    cpSync(join(APP_DIR, "server.mjs"), join(app, "server.mjs"));
    const ledger = Ledger.open(":memory:", systemClock);
    const platform = new ProcessPlatform({ logDir: join(root, "logs"), logMaxSize: 1 << 20, logMaxFiles: 2, clock: systemClock });
    const createHealth: HealthFactory = (spec, health, onEvent) => {
      const monitor = new InstanceHealth({
        health,
        target: { host: spec.host, port: spec.port, cwd: spec.cwd, env: spec.env },
        clock: systemClock,
      });
      monitor.onEvent((e) => {
        if (e.type === "started") return;
        onEvent(
          e.type === "path-unserved" ? { type: e.type, message: e.message, hint: e.hint ?? "" } : { type: e.type, message: e.message },
        );
      });
      monitor.start();
      return { stop: () => monitor.stop(), detail: () => monitor.status().detail, waiting: () => monitor.waiting() };
    };
    const { routes, current } = table("fleet");
    fleet = new Fleet({
      platform,
      traffic: { setGroups: routes.writer("fleet"), drain: () => Promise.resolve() },
      ledger,
      clock: systemClock,
      createHealth,
      groupName: () => "contract",
      drainTimeout: () => 1000,
      allocatePort: (host) => freePort(host),
    });
    const workload = new FleetWorkload({
      fleet,
      ledger,
      clock: systemClock,
      processLogs: (id) => platform.releaseLogs(id),
      tail: (id, lines) => platform.tail(id, lines),
    });
    const cfg = config("contract", "process");
    subject = { workload, config: cfg, routes: current, release: releases(ledger, cfg, app, null), patience: 30_000 };
  });
  afterAll(async () => {
    await fleet?.retireAll("test over");
    fleet?.close();
    rmSync(root, { recursive: true, force: true });
  });
  workloadContract(() => subject!, 120_000);
});

const gate = await dockerGate();
const swarmReady = gate.docker ? await swarmGate(gate.docker) : false;

const PORT_BASE = claimPortBase(SWARM_PORT_BASES.daemon);

describe.skipIf(!swarmReady)("Workload contract: Swarm services on the real engine", () => {
  const name = `wlcontract-${process.pid}`;
  const image = `${name}:release`;
  let subject: WorkloadSubject | undefined;
  let workload: SwarmWorkload | undefined;
  beforeAll(async () => {
    const docker = gate.docker!;
    await ensureNodeBaseImage(docker);
    await buildImage(docker, { context: APP_DIR, tag: image, labels: { "slipway.app": name }, onLine: () => {} });
    const ledger = Ledger.open(":memory:", systemClock);
    const platforms = new MultiPlatform(new ProcessPlatform({ logDir: tmpdir(), logMaxSize: 1 << 20, logMaxFiles: 1 }), () =>
      Promise.resolve({ docker, platform: new DockerPlatform({ docker, clock: systemClock }) }),
    );
    const { routes, current } = table("swarm");
    // No router process here: the table is read by the test, so nothing is in flight to drain.
    workload = new SwarmWorkload(platforms, systemClock, routes.writer("swarm"), () => Promise.resolve());
    const cfg = config(name, "swarm", `swarm: { portBase: ${PORT_BASE} }\n`);
    subject = { workload, config: cfg, routes: current, release: releases(ledger, cfg, "", image), patience: 120_000 };
  }, 180_000);
  afterAll(async () => {
    await workload?.down().catch(() => undefined);
    const docker = gate.docker!;
    for (const s of await docker.listServices({ filters: { label: [`slipway.app=${name}`] } }).catch(() => [])) {
      await docker
        .getService(s.ID)
        .remove()
        .catch(() => undefined);
    }
    await removeAppContainers(docker, name);
    await removeImages(docker, [image]);
  }, 120_000);
  workloadContract(() => subject!, 600_000);
});
