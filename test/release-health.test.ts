import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.js";
import type { HealthConfig } from "../src/config/types.js";
import { Fleet, type HealthEvent } from "../src/daemon/fleet.js";
import type { InstanceState } from "../src/rollout/instance-state.js";
import { Ledger } from "../src/ledger/ledger.js";
import { awaitReleaseHealthy, readyCount, releaseHealth } from "../src/rollout/release-health.js";
import { FakeClock, settle } from "./support/fake-clock.js";
import { MemoryPlatform } from "./support/rollout-harness.js";

describe("releaseHealth", () => {
  const of = (...states: InstanceState[]) => states.map((state, n) => ({ id: `r1-${n + 1}`, state }));
  it.each([
    { states: of("ready", "ready"), replicas: 2, healthy: true, ready: 2, failed: null, waiting: null },
    { states: of("ready", "restarting"), replicas: 2, healthy: false, ready: 1, failed: null, waiting: "r1-2" },
    { states: of("ready", "unready"), replicas: 2, healthy: false, ready: 1, failed: null, waiting: "r1-2" },
    { states: of("starting", "ready"), replicas: 2, healthy: false, ready: 1, failed: null, waiting: "r1-1" },
    { states: of("ready", "failed"), replicas: 2, healthy: false, ready: 1, failed: "r1-2", waiting: null },
    { states: of("ready"), replicas: 2, healthy: false, ready: 1, failed: null, waiting: null },
    { states: of("ready", "ready", "ready"), replicas: 2, healthy: false, ready: 3, failed: null, waiting: null },
    { states: of("ready", "ready", "stopping", "stopped"), replicas: 2, healthy: true, ready: 2, failed: null, waiting: null },
  ])("$states.length instances ($replicas wanted): healthy $healthy", ({ states, replicas, ...want }) => {
    const h = releaseHealth(states, replicas);
    expect({ healthy: h.healthy, ready: h.ready, failed: h.failed?.id ?? null, waiting: h.waiting?.id ?? null }).toEqual(want);
  });

  it("says how many instances are ready", () => {
    expect(readyCount({ ready: 2, replicas: 2 })).toBe("all 2 instances ready");
    expect(readyCount({ ready: 1, replicas: 1 })).toBe("its instance is ready");
    expect(readyCount({ ready: 1, replicas: 2 })).toBe("1 of 2 instances ready");
  });
});

describe("awaitReleaseHealthy: a rollout succeeds only when every instance of its release is ready", () => {
  let dir: string;
  let ledger: Ledger;
  let clock: FakeClock;
  let platform: MemoryPlatform;
  let fleet: Fleet;
  /** The latest health callback of each instance (a restart gets a new one). */
  const health = new Map<string, (e: HealthEvent) => void>();
  const ready = (id: string) => health.get(id)!({ type: "ready", message: "readiness passed" });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "slipway-release-health-"));
    clock = new FakeClock(1_000);
    ledger = Ledger.open(join(dir, "ledger.db"), clock);
    const configText = "name: x\napp: { command: node s.js, replicas: 2 }\n";
    const config = parseConfig(configText, { file: "slipway.yaml", root: dir }).config;
    ledger.createRelease({ version: "v1", configText, config, configFile: "slipway.yaml", environment: null, env: {}, snapshot: dir });
    platform = new MemoryPlatform(clock);
    let port = 4000;
    fleet = new Fleet({
      platform,
      traffic: { setGroups: () => undefined, drain: () => Promise.resolve() },
      ledger,
      clock,
      createHealth: (spec, _health, onEvent) => {
        health.set(spec.id, onEvent);
        return { stop: () => undefined, detail: () => "" };
      },
      groupName: () => "x",
      drainTimeout: () => 1000,
      allocatePort: () => Promise.resolve(++port),
    });
    for (const n of [1, 2]) {
      const spec = { id: `r1-${n}`, releaseId: 1, version: "v1", command: ["node", "s.js"], cwd: dir, host: "127.0.0.1" };
      await fleet.launch({ ...spec, env: {}, shutdown: { signal: "SIGTERM", timeout: 1000 } }, {} as HealthConfig, {
        inRotation: true,
        restart: false,
      });
    }
    ready("r1-1");
    ready("r1-2");
  });
  afterEach(() => {
    fleet.close();
    ledger.close();
    health.clear();
    rmSync(dir, { recursive: true, force: true });
  });

  const gate = () => {
    const outcome = { done: false, result: undefined as unknown, error: undefined as Error | undefined };
    const lines: string[] = [];
    void awaitReleaseHealthy({ fleet, clock, releaseId: 1, replicas: 2, deadline: 5_000, onWait: (m) => lines.push(m) }).then(
      (r) => Object.assign(outcome, { done: true, result: r }),
      (e: Error) => Object.assign(outcome, { done: true, error: e }),
    );
    return { outcome, lines };
  };

  it("waits while supervision restarts an instance that failed after the traffic moved, then succeeds", async () => {
    fleet.supervise(1);
    platform.crash("r1-2");
    expect(fleet.get("r1-2")?.state).toBe("restarting");
    const { outcome, lines } = gate();
    await clock.advance(1_000); // the restart backoff: r1-2 starts again
    expect(platform.started).toEqual(["r1-1", "r1-2", "r1-2"]);
    expect(fleet.get("r1-2")?.state).toBe("starting");
    expect(outcome.done).toBe(false);
    expect(lines).toEqual(["1 of 2 instances of release 1 ready, waiting for the rest; r1-2 restarting: process exited with code 1"]);
    ready("r1-2");
    await clock.advance(200);
    expect(outcome).toMatchObject({ done: true, result: { ready: 2, replicas: 2 } });
    expect(fleet.get("r1-2")).toMatchObject({
      state: "ready",
      restarts: 1,
      lastFailure: { at: 1_000, reason: "process exited with code 1" },
    });
  });

  it("says every 4 s what a restarted instance waits for, while the gate waits", async () => {
    fleet.supervise(1);
    platform.crash("r1-2");
    const { outcome } = gate();
    await clock.advance(1_000); // restarted: starting, its probes not passed yet
    const waits = () => ledger.events().filter((e) => e.type === "probe");
    expect(waits()).toEqual([]);
    await clock.advance(3_200);
    expect(waits().map((e) => e.message)).toEqual(["r1-2 waiting: process exited with code 1; 1s left before progressDeadline"]);
    ready("r1-2");
    await clock.advance(200);
    expect(outcome).toMatchObject({ done: true, result: { ready: 2, replicas: 2 } });
  });

  it("fails as degraded when the release is still short of ready instances after the deadline", async () => {
    fleet.supervise(1);
    health.get("r1-1")!({ type: "unready", message: "readiness: GET /health -> 503" });
    const { outcome } = gate();
    await clock.advance(4_800);
    expect(outcome.done).toBe(false);
    await clock.advance(400);
    expect(outcome.error?.message).toBe(
      "release 1 is degraded: 1 of 2 instances ready after progressDeadline (5s); r1-1 unready: readiness: GET /health -> 503",
    );
  });

  it("fails at once when an instance failed before supervision began", async () => {
    platform.crash("r1-1"); // not supervised yet: the instance is failed for good
    expect(fleet.get("r1-1")?.state).toBe("failed");
    const { outcome } = gate();
    await settle();
    expect(outcome.error?.message).toBe("instance r1-1 failed: process exited with code 1");
  });
});
