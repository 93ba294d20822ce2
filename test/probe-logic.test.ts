import { describe, expect, it } from "vitest";
import { FakeClock } from "./support/fake-clock.js";
import { probeSpec } from "./support/probe-spec.js";
import type { ProbeSpec } from "../src/config/types.js";
import type { CheckResult } from "../src/probe/check.js";
import type { HealthConfig, ProbeCheck } from "../src/config/types.js";
import { InstanceHealth, type HealthEvent } from "../src/probe/instance-health.js";
import { CHECK_GRACE_MS, Prober, type ProbeTransition } from "../src/probe/prober.js";

const spec = probeSpec;

/** A prober whose checks answer from `results` in turn (the last one repeats). */
function scripted(s: ProbeSpec, results: boolean[]) {
  const clock = new FakeClock();
  const calls: number[] = [];
  const transitions: ProbeTransition[] = [];
  const check = async (): Promise<CheckResult> => {
    const ok = results[Math.min(calls.length, results.length - 1)] ?? false;
    calls.push(clock.now());
    return { ok, message: `check ${calls.length} ${ok ? "ok" : "failed"}` };
  };
  const prober = new Prober({ spec: s, check, clock });
  prober.onTransition((t) => transitions.push(t));
  return { clock, calls, transitions, prober };
}

describe("Prober timing", () => {
  it("runs the first check after initialDelay, then every interval", async () => {
    const { clock, calls, prober } = scripted(spec({ initialDelay: 5000, interval: 1000 }), [true]);
    prober.start();
    await clock.advance(4999);
    expect(calls).toEqual([]);
    await clock.advance(3001);
    expect(calls).toEqual([5000, 6000, 7000, 8000]);
  });

  it("never overlaps checks: a slow check delays the next one", async () => {
    const clock = new FakeClock();
    let inFlight = 0;
    let maxInFlight = 0;
    const starts: number[] = [];
    const check = async () => {
      starts.push(clock.now());
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await clock.sleep(2500); // slower than the interval, within timeout + grace
      inFlight--;
      return { ok: true, message: "slow ok" };
    };
    const prober = new Prober({ spec: spec({ interval: 1000, timeout: 3000 }), check, clock });
    prober.start();
    await clock.advance(6000);
    expect(maxInFlight).toBe(1);
    expect(starts).toEqual([0, 2500, 5000]);
  });

  it("counts a check that never settles as failed after timeout + grace", async () => {
    const clock = new FakeClock();
    const prober = new Prober({
      spec: spec({ timeout: 500, failureThreshold: 1 }),
      check: () => new Promise<CheckResult>(() => {}),
      clock,
    });
    prober.start();
    await clock.advance(500 + CHECK_GRACE_MS - 1);
    expect(prober.failures).toBe(0);
    await clock.advance(1);
    expect(prober.state).toBe("unhealthy");
    expect(prober.lastMessage).toBe("check did not finish within 500ms");
  });

  it("counts a rejected check as a failure with its message", async () => {
    const clock = new FakeClock();
    const prober = new Prober({ spec: spec(), check: () => Promise.reject(new Error("boom")), clock });
    prober.start();
    await clock.advance(0);
    expect(prober.failures).toBe(1);
    expect(prober.lastMessage).toBe("boom");
  });

  it("stop() ends probing and ignores the result of a check in flight", async () => {
    const clock = new FakeClock();
    let calls = 0;
    const check = async () => {
      calls++;
      await clock.sleep(100);
      return { ok: true, message: "ok" };
    };
    const prober = new Prober({ spec: spec(), check, clock });
    prober.start();
    await clock.advance(50);
    prober.stop();
    await clock.advance(10_000);
    expect(calls).toBe(1);
    expect(prober.successes).toBe(0);
    expect(prober.state).toBe("unknown");
    expect(prober.active).toBe(false);
  });
});

describe("Prober thresholds", () => {
  const cases: { name: string; spec: Partial<ProbeSpec>; results: boolean[]; checks: number; expected: string[] }[] = [
    { name: "one success is enough by default", spec: {}, results: [true], checks: 3, expected: ["unknown>healthy@1"] },
    {
      name: "successThreshold 3 needs three in a row",
      spec: { successThreshold: 3 },
      results: [true, true, false, true, true, true],
      checks: 6,
      expected: ["unknown>healthy@6"],
    },
    {
      name: "failureThreshold 3 needs three in a row",
      spec: { failureThreshold: 3 },
      results: [false, false, true, false, false, false],
      checks: 6,
      expected: ["unknown>healthy@3", "healthy>unhealthy@6"],
    },
    {
      name: "recovers when successes cross the threshold again",
      spec: { failureThreshold: 2, successThreshold: 2 },
      results: [true, true, false, false, true, false, true, true],
      checks: 8,
      expected: ["unknown>healthy@2", "healthy>unhealthy@4", "unhealthy>healthy@8"],
    },
    {
      name: "stays unhealthy without repeating the transition",
      spec: { failureThreshold: 1 },
      results: [false],
      checks: 5,
      expected: ["unknown>unhealthy@1"],
    },
  ];

  it.each(cases)("$name", async ({ spec: overrides, results, checks, expected }) => {
    const { clock, calls, transitions, prober } = scripted(spec({ interval: 1000, ...overrides }), results);
    const seen: string[] = [];
    prober.onTransition((t) => seen.push(`${t.from}>${t.to}@${calls.length}`));
    prober.start();
    await clock.advance((checks - 1) * 1000);
    expect(calls).toHaveLength(checks);
    expect(seen).toEqual(expected);
    expect(transitions.map((t) => t.message)).toEqual(
      expected.map((e) => `check ${e.split("@")[1]} ${e.includes(">healthy") ? "ok" : "failed"}`),
    );
  });

  it("exposes consecutive counts and the last message", async () => {
    const { clock, prober, transitions } = scripted(spec({ failureThreshold: 3 }), [true, false, false]);
    prober.start();
    await clock.advance(2000);
    expect(prober.state).toBe("healthy");
    expect(prober.successes).toBe(0);
    expect(prober.failures).toBe(2);
    expect(prober.lastMessage).toBe("check 3 failed");
    await clock.advance(1000);
    expect(prober.state).toBe("unhealthy");
    expect(transitions.at(-1)).toEqual({ from: "healthy", to: "unhealthy", message: "check 4 failed" });
  });

  it("unsubscribed listeners hear nothing", async () => {
    const { clock, prober } = scripted(spec(), [true]);
    const heard: ProbeTransition[] = [];
    const off = prober.onTransition((t) => heard.push(t));
    off();
    prober.start();
    await clock.advance(0);
    expect(prober.state).toBe("healthy");
    expect(heard).toEqual([]);
  });
});

describe("InstanceHealth composition", () => {
  const target = { host: "127.0.0.1", port: 4000, cwd: "/", env: {} };
  const http = (path: string): ProbeCheck => ({ kind: "http", path });

  /** InstanceHealth over fake checks: `answers[path]` decides each check; calls are recorded. */
  function harness(health: HealthConfig, answers: Record<string, () => boolean>) {
    const clock = new FakeClock();
    const calls: string[] = [];
    const events: string[] = [];
    const runCheck = async (check: ProbeCheck): Promise<CheckResult> => {
      const key = check.kind === "http" ? check.path : check.kind;
      calls.push(key);
      const ok = answers[key]?.() ?? false;
      return { ok, message: check.kind === "http" ? `GET ${key} -> ${ok ? 200 : 503}` : `${key} ${ok ? "ok" : "refused"}` };
    };
    const instance = new InstanceHealth({ health, target, clock, runCheck });
    const raw: HealthEvent[] = [];
    instance.onEvent((e) => {
      raw.push(e);
      events.push(`${e.type} (${e.message})`);
    });
    return { clock, calls, events, raw, instance };
  }

  it("holds readiness and liveness back until the startup probe passes", async () => {
    let started = false;
    const { clock, calls, events, instance } = harness(
      {
        startup: spec({ check: http("/started"), interval: 1000, failureThreshold: 10 }),
        readiness: spec({ check: http("/ready"), interval: 1000 }),
        liveness: spec({ check: http("/live"), interval: 1000 }),
      },
      { "/started": () => started, "/ready": () => true, "/live": () => true },
    );
    instance.start();
    await clock.advance(3000);
    expect(calls).toEqual(["/started", "/started", "/started", "/started"]);
    expect(instance.started).toBe(false);
    expect(instance.status().detail).toBe("startup: GET /started -> 503");
    started = true;
    await clock.advance(1000);
    expect(events).toEqual(["started (startup: GET /started -> 200)", "ready (readiness: GET /ready -> 200)"]);
    expect(instance.ready).toBe(true);
    await clock.advance(5000);
    expect(calls.filter((c) => c === "/started")).toHaveLength(5); // startup stops once passed
    expect(calls.filter((c) => c === "/live").length).toBeGreaterThan(0);
    instance.stop();
  });

  it("counts readiness and liveness initialDelay from the instance's start, not from startup passing", async () => {
    const { clock, calls, instance } = harness(
      {
        startup: spec({ check: http("/started"), interval: 1000, failureThreshold: 10 }),
        readiness: spec({ check: http("/ready"), initialDelay: 5000, interval: 1000 }),
        liveness: spec({ check: http("/live"), initialDelay: 1000, interval: 10_000 }),
      },
      { "/started": () => clock.now() >= 3000, "/ready": () => true, "/live": () => true },
    );
    const at: string[] = [];
    instance.onEvent((e) => at.push(`${e.type}@${clock.now()}`));
    instance.start();
    await clock.advance(3000);
    expect(calls).toEqual(["/started", "/started", "/started", "/started", "/live"]);
    await clock.advance(1999);
    expect(calls).not.toContain("/ready");
    await clock.advance(1);
    expect(at).toEqual(["started@3000", "ready@5000"]);
    instance.stop();
  });

  it("reports startup-failed after failureThreshold and stops probing", async () => {
    const { clock, calls, events, instance } = harness(
      { startup: spec({ check: http("/started"), failureThreshold: 3 }), readiness: spec({ check: http("/ready") }) },
      { "/started": () => false, "/ready": () => true },
    );
    instance.start();
    await clock.advance(10_000);
    expect(events).toEqual(["startup-failed (startup: GET /started -> 503)"]);
    expect(calls).toEqual(["/started", "/started", "/started"]);
    expect(instance.status().failure?.type).toBe("startup-failed");
  });

  it("turns readiness changes into ready / unready events with the probe's message", async () => {
    let healthy = true;
    const { clock, events, instance, raw } = harness(
      { readiness: spec({ check: http("/health"), failureThreshold: 2 }) },
      { "/health": () => healthy },
    );
    instance.start();
    await clock.advance(0);
    expect(events).toEqual(["ready (readiness: GET /health -> 200)"]);
    healthy = false;
    await clock.advance(2000);
    expect(events.at(-1)).toBe("unready (readiness: GET /health -> 503)");
    expect(instance.ready).toBe(false);
    expect(instance.status().detail).toBe("readiness: GET /health -> 503");
    healthy = true;
    await clock.advance(1000);
    expect(events.at(-1)).toBe("ready (readiness: GET /health -> 200)");
    expect(raw.map((e) => e.probe)).toEqual(["readiness", "readiness", "readiness"]);
    instance.stop();
  });

  it("does not report unready for an instance that was never ready", async () => {
    const { clock, events, instance } = harness(
      { readiness: spec({ check: http("/health"), failureThreshold: 1 }) },
      { "/health": () => false },
    );
    instance.start();
    await clock.advance(5000);
    expect(events).toEqual([]);
    expect(instance.status().detail).toBe("readiness: GET /health -> 503");
    instance.stop();
  });

  it("reports liveness-failed when liveness crosses failureThreshold, and stops", async () => {
    let alive = true;
    const { clock, calls, events, instance } = harness(
      { readiness: spec({ check: http("/ready") }), liveness: spec({ check: http("/live"), failureThreshold: 3 }) },
      { "/ready": () => true, "/live": () => alive },
    );
    instance.start();
    await clock.advance(2000);
    alive = false;
    await clock.advance(2000);
    expect(events).toEqual(["ready (readiness: GET /ready -> 200)"]);
    await clock.advance(1000);
    expect(events.at(-1)).toBe("liveness-failed (liveness: GET /live -> 503)");
    expect(instance.ready).toBe(false);
    const count = calls.length;
    await clock.advance(10_000);
    expect(calls).toHaveLength(count);
  });

  it("without a readiness probe, is ready once the port accepts TCP, polling every 100ms, then stops polling", async () => {
    let open = false;
    const { clock, calls, events, instance } = harness({}, { tcp: () => open });
    instance.start();
    expect(instance.started).toBe(true);
    await clock.advance(1000);
    expect(calls).toHaveLength(11);
    expect(events).toEqual([]);
    expect(instance.status().detail).toBe("port: tcp refused");
    open = true;
    await clock.advance(100);
    expect(events).toEqual(["ready (port: tcp ok)"]);
    open = false;
    await clock.advance(5000);
    expect(calls).toHaveLength(12);
    expect(instance.ready).toBe(true);
  });

  it("without a liveness probe never fails liveness", async () => {
    const { clock, events, instance } = harness({ readiness: spec({ check: http("/ready") }) }, { "/ready": () => true });
    instance.start();
    await clock.advance(60_000);
    expect(events).toEqual(["ready (readiness: GET /ready -> 200)"]);
    expect(Object.keys(instance.status().probes)).toEqual(["readiness"]);
    instance.stop();
  });
});
