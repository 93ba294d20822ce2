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
 */
export function withContainerHealth(
  read: () => Promise<ContainerHealth>,
  clock: Clock,
  onEvent: (event: HealthEvent) => void,
): { onProbeEvent: (event: HealthEvent) => void; stop: () => void; detail: () => string } {
  let state: ContainerHealth = "starting";
  let probesReady = false;
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
    state = await read().catch(() => state);
    if (stopped) return;
    if (state === "unhealthy") {
      onEvent({ type: "liveness-failed", message: "container HEALTHCHECK reports unhealthy" });
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
        sync();
      } else onEvent(e);
    },
    stop: () => {
      stopped = true;
      if (timer) clock.clearTimeout(timer);
    },
    detail: () => (state === "starting" ? "container HEALTHCHECK: starting" : ""),
  };
}
