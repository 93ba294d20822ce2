import type { Clock } from "../clock.js";
import type { ContainerHealth } from "../platform/platform.js";
import type { HealthEvent } from "./fleet.js";

/** How often a container's own HEALTHCHECK status is read. */
export const CONTAINER_HEALTH_EVERY = 1000;

/**
 * Combines Slipway's probes with a container's own HEALTHCHECK (when the
 * image has one): the instance is ready only when its readiness passes and
 * Docker calls it healthy; Docker calling it unhealthy fails it like a
 * liveness probe. Containers without a HEALTHCHECK ("none") follow the
 * probes alone.
 *
 * A streak of checks that only timed out ("timed-out") is no verdict on the
 * app: on a loaded host, starting the check's process in the container
 * (`node -e`, `wget`) took longer than a 1-3 s timeout, and replacing
 * instances that answer fine only adds load (two-copy rounds 52 and 54 failed
 * deploys that way). While Slipway's own probes pass, the last real verdict
 * stands; an instance that had passed them and now answers neither them nor
 * its HEALTHCHECK is failed like a liveness failure; one still starting waits
 * (its startup window or progressDeadline bounds it).
 */
export function withContainerHealth(
  read: () => Promise<ContainerHealth>,
  clock: Clock,
  onEvent: (event: HealthEvent) => void,
): { onProbeEvent: (event: HealthEvent) => void; stop: () => void; detail: () => string } {
  let state: ContainerHealth = "starting";
  let timedOut = false;
  let probesReady = false;
  let probesPassed = false;
  let reportedReady = false;
  let stopped = false;
  let timer: ReturnType<Clock["setTimeout"]> | null = null;

  const sync = () => {
    const ready = probesReady && (state === "healthy" || state === "none");
    if (ready && !reportedReady)
      onEvent({ type: "ready", message: state === "healthy" ? "readiness passed; container healthy" : "readiness passed" });
    if (!ready && reportedReady) onEvent({ type: "unready", message: `container health: ${state}` });
    reportedReady = ready;
  };
  const poll = async () => {
    timer = null;
    if (stopped) return;
    const seen = await read().catch(() => state);
    if (stopped) return;
    timedOut = seen === "timed-out";
    if (!timedOut) state = seen;
    if (state === "unhealthy" || (timedOut && probesPassed && !probesReady)) {
      const why = timedOut ? "container HEALTHCHECK timed out and the probes fail" : "container HEALTHCHECK reports unhealthy";
      onEvent({ type: "liveness-failed", message: why });
      return;
    }
    sync();
    timer = clock.setTimeout(() => void poll(), CONTAINER_HEALTH_EVERY);
  };
  void poll();

  return {
    onProbeEvent: (e) => {
      if (e.type === "ready" || e.type === "unready") {
        probesReady = e.type === "ready";
        probesPassed ||= probesReady;
        sync();
      } else onEvent(e);
    },
    stop: () => {
      stopped = true;
      if (timer) clock.clearTimeout(timer);
    },
    detail: () =>
      timedOut ? "container HEALTHCHECK: timing out (the host is slow?)" : state === "starting" ? "container HEALTHCHECK: starting" : "",
  };
}
