import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { HealthConfig, ProbeCheck, ProbeSpec } from "../src/config/types.js";
import { Fleet, type HealthFactory } from "../src/daemon/fleet.js";
import { Ledger } from "../src/ledger/ledger.js";
import type { Platform } from "../src/platform/platform.js";
import type { CheckResult } from "../src/probe/check.js";
import { InstanceHealth, unservedLimit, type ProbeWait } from "../src/probe/instance-health.js";
import { converge } from "../src/rollout/rolling.js";
import { RolloutFailure } from "../src/rollout/rollout-failure.js";
import { WAIT_REPORT_EVERY, waitLine } from "../src/rollout/wait-report.js";
import { FakeClock } from "./support/fake-clock.js";
import { probeSpec } from "./support/probe-spec.js";

const probe = (path: string, overrides: Partial<ProbeSpec> = {}): ProbeSpec => probeSpec({ check: { kind: "http", path }, ...overrides });

/** An answer per path, like runCheck gives it: a status, or a refused connection. */
const answer = (path: string, status: number | "refused"): CheckResult =>
  status === "refused"
    ? { ok: false, message: `GET ${path}: connect ECONNREFUSED 127.0.0.1:4000` }
    : { ok: status >= 200 && status < 400, message: `GET ${path} -> ${status}`, status };

type Script = (path: string, sinceStart: number) => number | "refused";

const START = 1_000_000;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A rolling rollout of one instance, in process: the real Fleet, InstanceHealth,
 * converge and a real ledger, on a fake clock; the platform and the checks are
 * fakes that answer from `script` (what a process would answer at that time).
 */
function rollout(health: HealthConfig, script: Script, opts: { progressDeadline?: number; restart?: boolean } = {}) {
  const clock = new FakeClock(START);
  const dir = mkdtempSync(join(tmpdir(), "slipway-probe-wait-"));
  dirs.push(dir);
  const ledger = Ledger.open(join(dir, "ledger.db"), clock);
  const stopped: string[] = [];
  const platform: Platform = {
    name: "fake",
    start: async (spec) => ({
      id: spec.id,
      releaseId: spec.releaseId,
      pid: 4242,
      host: spec.host,
      port: spec.port,
      startedAt: clock.now(),
    }),
    stop: async (id) => void stopped.push(id),
    onExit: () => () => undefined,
    adopt: async () => null,
    running: () => [],
    tail: async () => [],
    stopAll: async () => undefined,
  };
  const runCheck = async (check: ProbeCheck): Promise<CheckResult> => {
    const path = check.kind === "http" ? check.path : "";
    return answer(path, script(path, clock.now() - START));
  };
  const createHealth: HealthFactory = (spec, config, onEvent) => {
    const target = { host: spec.host, port: spec.port, cwd: spec.cwd, env: spec.env };
    const monitor = new InstanceHealth({ health: config, target, clock, runCheck });
    monitor.onEvent((e) => {
      if (e.type === "path-unserved") onEvent({ type: e.type, message: e.message, hint: e.hint ?? "" });
      else if (e.type !== "started") onEvent({ type: e.type, message: e.message });
    });
    monitor.start();
    return { stop: () => monitor.stop(), detail: () => monitor.status().detail, waiting: () => monitor.waiting() };
  };
  const fleet = new Fleet({
    platform,
    traffic: { setGroups: () => undefined, drain: async () => undefined },
    ledger,
    clock,
    createHealth,
    groupName: () => "app",
    drainTimeout: () => 0,
    allocatePort: async () => 4000,
  });
  const lines: { at: number; type: string; message: string }[] = [];
  ledger.onRecord((e) => lines.push({ at: e.at - START, type: e.type, message: e.message }));
  let n = 0;
  const restart = opts.restart ?? false;
  const spec = () => ({
    id: `r1-${++n}`,
    releaseId: 1,
    version: "v1",
    command: ["app"],
    cwd: dir,
    env: {},
    host: "127.0.0.1",
    shutdown: { signal: "SIGTERM" as const, timeout: 1000 },
  });
  let outcome: "succeeded" | RolloutFailure | undefined;
  converge({
    fleet,
    clock,
    releaseId: 1,
    replicas: 1,
    rolling: { maxSurge: { count: 1 }, maxUnavailable: { count: 0 }, minReady: 0 },
    progressDeadline: opts.progressDeadline ?? 600_000,
    launch: () => fleet.launch(spec(), health, { inRotation: true, restart }),
  }).then(
    () => (outcome = "succeeded"),
    (err: RolloutFailure) => (outcome = err),
  );
  return {
    clock,
    fleet,
    lines,
    stopped,
    /** Advances the clock in small steps until the rollout ends or `limit` ms have passed; the time it ended at. */
    async run(limit: number): Promise<{ outcome: typeof outcome; at: number }> {
      while (outcome === undefined && clock.now() - START < limit) await clock.advance(100);
      return { outcome, at: clock.now() - START };
    },
    close: () => {
      fleet.close();
      ledger.close();
    },
  };
}

describe("a fresh instance whose probe path is not served", () => {
  it("fails the rollout after readiness.failureThreshold 404s, with a hint naming the path and the key, not the budget", async () => {
    const r = rollout(
      { startup: probe("/health", { failureThreshold: 600 }), readiness: probe("/healthz", { failureThreshold: 3 }) },
      (path) => (path === "/health" ? 200 : 404),
    );
    const { outcome, at } = await r.run(60_000);
    expect(outcome).toBeInstanceOf(RolloutFailure);
    const failure = outcome as RolloutFailure;
    expect(failure.message).toBe("instance r1-1 failed: readiness path not served: GET /healthz -> 404, 3 times in a row");
    expect(failure.instanceId).toBe("r1-1");
    expect(failure.hint).toBe(
      "the app answers /healthz with 404/405: set health.readiness.http in slipway.yaml to a path it serves, or add the route (an app that mounts its routes late: raise health.readiness.failureThreshold)",
    );
    // startup passes at 0 s, readiness answers 404 at 0, 1 and 2 s: three checks, not progressDeadline (10 min)
    expect(at).toBeLessThan(3_000);
    expect(r.stopped).toEqual(["r1-1"]);
    expect(r.fleet.get("r1-1")?.state).toBe("failed"); // the rollout's undo retires it
    r.close();
  });

  it("a startup probe with a long budget gives up after the readiness failureThreshold (3 by default) 405s", async () => {
    const r = rollout({ startup: probe("/started", { failureThreshold: 600 }) }, () => 405);
    const { outcome, at } = await r.run(60_000);
    expect((outcome as RolloutFailure).message).toBe(
      "instance r1-1 failed: startup path not served: GET /started -> 405, 3 times in a row",
    );
    expect((outcome as RolloutFailure).hint).toContain("set health.startup.http in slipway.yaml");
    expect(at).toBeLessThan(3_000);
    r.close();
  });

  it("tolerates fewer 404s in a row than the limit (routes mounted late), then goes live", async () => {
    const r = rollout({ readiness: probe("/ready", { failureThreshold: 3 }) }, (_path, t) => (t < 1_500 ? 404 : 200));
    const { outcome } = await r.run(60_000);
    expect(outcome).toBe("succeeded");
    expect(r.fleet.get("r1-1")?.state).toBe("ready");
    r.close();
  });

  it("does not count 503s (not ready yet) as a path not served: only progressDeadline ends that rollout", async () => {
    const r = rollout({ readiness: probe("/ready") }, () => 503, { progressDeadline: 20_000 });
    const { outcome, at } = await r.run(60_000);
    expect((outcome as RolloutFailure).message).toBe("no progress within progressDeadline (20s); r1-1: readiness: GET /ready -> 503");
    expect(at).toBeGreaterThan(20_000);
    r.close();
  });

  it("a supervised instance (the serving release) is not failed: one line says it, and its probes keep their thresholds", async () => {
    const r = rollout({ readiness: probe("/ready") }, () => 404, { restart: true, progressDeadline: 10_000 });
    const { outcome } = await r.run(60_000);
    const notes = r.lines.filter((l) => l.type === "probe" && l.message.includes("path not served"));
    expect(notes.map((l) => l.message)).toEqual(["r1-1 readiness path not served: GET /ready -> 404, 3 times in a row"]);
    expect((outcome as RolloutFailure).message).toMatch(
      /^no progress within progressDeadline \(10s\); r1-1: readiness: GET \/ready -> 404/,
    );
    expect(r.fleet.get("r1-1")?.state).toBe("starting");
    expect(r.stopped).toEqual([]);
    r.close();
  });
});

describe("what a waiting rollout says", () => {
  it("names the instance, the probe, its last result and the time left, every few seconds while a slow app boots", async () => {
    // refuses connections for 10 s, then answers
    const r = rollout({ startup: probe("/health", { failureThreshold: 60 }), readiness: probe("/health/ready") }, (_path, t) =>
      t < 10_000 ? "refused" : 200,
    );
    const { outcome, at } = await r.run(60_000);
    expect(outcome).toBe("succeeded");
    const waits = r.lines.filter((l) => l.type === "probe");
    expect(waits.map((l) => [l.at, l.message])).toEqual([
      [
        WAIT_REPORT_EVERY,
        "r1-1 waiting for its startup probe: GET /health: connect ECONNREFUSED 127.0.0.1:4000 (5 failed in a row); 56s left before the startup probe gives up",
      ],
      [
        2 * WAIT_REPORT_EVERY,
        "r1-1 waiting for its startup probe: GET /health: connect ECONNREFUSED 127.0.0.1:4000 (9 failed in a row); 52s left before the startup probe gives up",
      ],
    ]);
    const ready = r.lines.find((l) => l.message.startsWith("r1-1 starting -> ready"));
    expect(ready?.at).toBe(10_000);
    expect(at).toBeGreaterThanOrEqual(10_000);
    r.close();
  });

  it("keeps saying it at most WAIT_REPORT_EVERY apart until the deadline ends the rollout", async () => {
    const r = rollout({ readiness: probe("/ready") }, () => 503, { progressDeadline: 20_000 });
    await r.run(60_000);
    const at = r.lines.filter((l) => l.type === "probe").map((l) => l.at);
    expect(at.length).toBeGreaterThanOrEqual(4);
    expect(at[0]).toBeLessThanOrEqual(WAIT_REPORT_EVERY);
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeLessThanOrEqual(5_000);
    expect(r.lines.find((l) => l.type === "probe")?.message).toMatch(
      /^r1-1 waiting for its readiness probe: GET \/ready -> 503 \(\d+ failed in a row\); 1[67]s left before progressDeadline$/,
    );
    r.close();
  });
});

describe("waitLine", () => {
  const wait = (w: Partial<ProbeWait>): ProbeWait => ({ probe: "readiness", result: "GET /r -> 503", failures: 2, deadline: null, ...w });
  it.each([
    [wait({}), "", 0, 52_000, "waiting for its readiness probe: GET /r -> 503 (2 failed in a row); 52s left before progressDeadline"],
    [
      wait({ probe: "startup", result: "", failures: 0, deadline: 30_000 }),
      "",
      0,
      52_000,
      "waiting for its startup probe: no check finished yet; 30s left before the startup probe gives up",
    ],
    [
      wait({ probe: "startup", deadline: 90_000 }),
      "",
      0,
      52_000,
      "waiting for its startup probe: GET /r -> 503 (2 failed in a row); 52s left before progressDeadline",
    ],
    [
      wait({ probe: "port", result: "tcp 127.0.0.1:9: connect ECONNREFUSED", failures: 0 }),
      "",
      1_500,
      3_000,
      "waiting for its port to accept a connection: tcp 127.0.0.1:9: connect ECONNREFUSED; 2s left before progressDeadline",
    ],
    [null, "container HEALTHCHECK: starting", 0, 10_000, "waiting: container HEALTHCHECK: starting; 10s left before progressDeadline"],
    [wait({}), "", 70_000, 52_000, "waiting for its readiness probe: GET /r -> 503 (2 failed in a row); 0s left before progressDeadline"],
  ])("%#", (w, fallback, now, deadlineAt, line) => {
    expect(waitLine(w, fallback, now, deadlineAt)).toBe(line);
  });
});

describe("InstanceHealth and paths not served", () => {
  const target = { host: "127.0.0.1", port: 4000, cwd: "/", env: {} };

  function harness(health: HealthConfig, script: Script) {
    const clock = new FakeClock();
    const runCheck = async (check: ProbeCheck) => {
      const path = check.kind === "http" ? check.path : "";
      return answer(path, script(path, clock.now()));
    };
    const instance = new InstanceHealth({ health, target, clock, runCheck });
    const events: string[] = [];
    instance.onEvent((e) => events.push(`${e.type}@${clock.now()} ${e.message}`));
    return { clock, instance, events };
  }

  it("says path-unserved once per streak of 404s, and keeps probing", async () => {
    // 404 for 5 s, 503 for 2 s, 404 again
    const { clock, instance, events } = harness({ readiness: probe("/r") }, (_p, t) => (t < 5_000 || t >= 7_000 ? 404 : 503));
    instance.start();
    await clock.advance(11_000);
    expect(events).toEqual([
      "path-unserved@2000 readiness path not served: GET /r -> 404, 3 times in a row",
      "path-unserved@9000 readiness path not served: GET /r -> 404, 3 times in a row",
    ]);
    instance.stop();
  });

  it("says nothing for an instance that was ready once (the route went away: it is only unready)", async () => {
    const { clock, instance, events } = harness({ readiness: probe("/r") }, (_p, t) => (t < 2_000 ? 200 : 404));
    instance.start();
    await clock.advance(10_000);
    expect(events).toEqual(["ready@0 readiness: GET /r -> 200", "unready@4000 readiness: GET /r -> 404"]);
    instance.stop();
  });

  it("tells what it waits for: the holding probe, its last result, failures in a row, the startup budget's end", async () => {
    const { clock, instance } = harness(
      { startup: probe("/s", { interval: 500, failureThreshold: 20, initialDelay: 1_000 }), readiness: probe("/r") },
      (path, t) => (path === "/s" ? (t < 3_000 ? "refused" : 200) : 503),
    );
    instance.start();
    expect(instance.waiting()).toEqual({ probe: "startup", result: "", failures: 0, deadline: 11_000 });
    await clock.advance(2_000);
    expect(instance.waiting()).toEqual({
      probe: "startup",
      result: "GET /s: connect ECONNREFUSED 127.0.0.1:4000",
      failures: 3,
      deadline: 11_000,
    });
    await clock.advance(3_000);
    expect(instance.waiting()).toEqual({ probe: "readiness", result: "GET /r -> 503", failures: 3, deadline: null });
    instance.stop();
  });

  it.each([
    ["readiness", { readiness: probe("/r", { failureThreshold: 5 }) }, 5],
    ["startup", { startup: probe("/s", { failureThreshold: 120 }) }, 3],
    ["startup", { startup: probe("/s", { failureThreshold: 120 }), readiness: probe("/r", { failureThreshold: 6 }) }, 6],
    ["startup", { startup: probe("/s", { failureThreshold: 2 }), readiness: probe("/r", { failureThreshold: 6 }) }, 2],
  ] as const)("unservedLimit(%s, %j) = %i", (name, health, limit) => {
    expect(unservedLimit(name, health)).toBe(limit);
  });
});
