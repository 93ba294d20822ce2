import { describe, expect, it } from "vitest";
import { withContainerHealth } from "../src/daemon/container-health.js";
import type { HealthEvent } from "../src/daemon/fleet.js";
import { healthOf } from "../src/platform/docker/docker-platform.js";
import type { ContainerHealth } from "../src/platform/platform.js";
import { FakeClock } from "./support/fake-clock.js";

/** An instance's verdict from Slipway's probes and its image's HEALTHCHECK, on a fake clock with a scripted Docker. */
function combined() {
  const clock = new FakeClock();
  const events: HealthEvent[] = [];
  let docker: ContainerHealth = "starting";
  const health = withContainerHealth(
    () => Promise.resolve(docker),
    clock,
    (e) => events.push(e),
  );
  return {
    events,
    health,
    set: (next: ContainerHealth) => (docker = next),
    /** One poll of Docker's status. */
    tick: () => clock.advance(1000),
    types: () => events.map((e) => e.type),
  };
}

const timeout = (seconds: number) => ({ ExitCode: -1, Output: `Health check exceeded timeout (${seconds}s)` });

describe("a container's HEALTHCHECK verdict", () => {
  it("is 'timed-out' when Docker says unhealthy and every failure of the streak it lists ran past its timeout", () => {
    expect(healthOf({ Status: "unhealthy", FailingStreak: 3, Log: [{ ExitCode: 0 }, timeout(2), timeout(2), timeout(2)] })).toBe(
      "timed-out",
    );
    // one failure in the streak was the app's own answer: unhealthy
    expect(healthOf({ Status: "unhealthy", FailingStreak: 3, Log: [timeout(2), { ExitCode: 1, Output: "503" }, timeout(2)] })).toBe(
      "unhealthy",
    );
    // a streak longer than the five checks Docker keeps: judged on those five
    expect(healthOf({ Status: "unhealthy", FailingStreak: 9, Log: [timeout(3), timeout(3), timeout(3), timeout(3), timeout(3)] })).toBe(
      "timed-out",
    );
    expect(healthOf({ Status: "unhealthy", FailingStreak: 3, Log: [] })).toBe("unhealthy");
    expect(healthOf({ Status: "healthy", FailingStreak: 0, Log: [timeout(2), { ExitCode: 0 }] })).toBe("healthy");
    expect(healthOf({ Status: "starting" })).toBe("starting");
    expect(healthOf(undefined)).toBe("none");
  });
});

describe("an instance with Slipway's probes and its image's HEALTHCHECK", () => {
  it("is ready when both pass, and failed like a liveness probe when Docker calls it unhealthy", async () => {
    const c = combined();
    c.health.onProbeEvent({ type: "ready", message: "readiness passed" });
    await c.tick();
    expect(c.types()).toEqual([]);
    c.set("healthy");
    await c.tick();
    expect(c.types()).toEqual(["ready"]);
    c.set("unhealthy");
    await c.tick();
    expect(c.events.at(-1)).toEqual({ type: "liveness-failed", message: "container HEALTHCHECK reports unhealthy" });
    c.health.stop();
  });

  it("stays ready through checks that only time out while the probes pass, and is failed once the probes fail too", async () => {
    const c = combined();
    c.set("healthy");
    c.health.onProbeEvent({ type: "ready", message: "readiness passed" });
    await c.tick();
    expect(c.types()).toEqual(["ready"]);
    c.set("timed-out");
    for (let i = 0; i < 5; i++) await c.tick();
    expect(c.types()).toEqual(["ready"]);
    expect(c.health.detail()).toMatch(/timing out/);
    c.set("healthy"); // the host caught up
    await c.tick();
    expect(c.health.detail()).toBe("");
    c.set("timed-out");
    await c.tick();
    c.health.onProbeEvent({ type: "unready", message: "readiness: GET /health -> timeout" });
    await c.tick();
    expect(c.types()).toEqual(["ready", "unready", "liveness-failed"]);
    expect(c.events.at(-1)?.message).toBe("container HEALTHCHECK timed out and the probes fail");
    c.health.stop();
  });

  it("a starting instance whose checks time out waits: not ready, not failed", async () => {
    const c = combined();
    c.set("timed-out");
    for (let i = 0; i < 5; i++) await c.tick();
    c.health.onProbeEvent({ type: "ready", message: "readiness passed" });
    await c.tick();
    expect(c.types()).toEqual([]); // Docker's verdict is still the first one: starting
    c.set("healthy");
    await c.tick();
    expect(c.types()).toEqual(["ready"]);
    c.health.stop();
  });
});
