import { waitFor, type TestProject } from "./project.js";
import type { InstanceStatus } from "./status.js";

// Helpers for test/fixtures/flaky-app: instances are reached directly on
// their own port (processes, and containers on host networking).

/**
 * slipway.yaml of the flaky app, 2 replicas, rolling. On the process platform
 * liveness is Slipway's probe on /alive; on Docker it is the image's
 * HEALTHCHECK on /alive. A long shutdown timeout lets `/hold` keep an
 * instance draining until the test lets it go.
 */
export function flakyConfig(port: number, o: { name: string; platform: "process" | "docker"; progressDeadline: string }): string {
  const docker = o.platform === "docker";
  return `name: ${o.name}
platform: ${o.platform}
listen: 127.0.0.1:${port}
app:
  ${docker ? "build: { context: ., dockerfile: Dockerfile }" : 'command: ["node", "server.mjs"]'}
  replicas: 2
  shutdown: { signal: SIGTERM, timeout: 60s }
health:
  startup: { http: /health, interval: 100ms, failureThreshold: ${docker ? 100 : 20} }
  readiness: { http: /health, interval: 200ms, failureThreshold: 2 }
${docker ? "" : "  liveness: { http: /alive, interval: 200ms, failureThreshold: 2 }\n"}strategy:
  type: rolling
  rolling: { maxSurge: 1, maxUnavailable: 0, minReady: 300ms }
drain: { timeout: 1s }
progressDeadline: ${o.progressDeadline}
`;
}

/** POSTs to one instance of the flaky app (`/sick`, `/hold`, `/let-go`). */
export async function poke(port: number, path: "/sick" | "/hold" | "/let-go"): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST" });
  if (!res.ok) throw new Error(`POST ${path} on port ${port}: ${res.status}`);
}

/** Lets every held instance go (best effort: used in cleanup too). */
export async function letGo(ports: number[]): Promise<void> {
  await Promise.all(ports.map((port) => poke(port, "/let-go").catch(() => undefined)));
}

/** A promise that remembers whether it settled (the rollout command must still be running). */
export function tracked<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  void promise.finally(() => (settled = true)).catch(() => undefined);
  return { promise, settled: () => settled };
}

/** The instances of `release` from `slipway status --json`. */
export async function instancesOf(project: TestProject, release: number): Promise<InstanceStatus[]> {
  const status = await project.status();
  return status.instances.filter((i) => i.release === release);
}

/**
 * Waits until every instance of `release` is ready and no other instance is
 * in rotation: the rollout has moved all traffic (its new instances are now
 * supervised) but has not ended while the old ones are held draining.
 */
export async function trafficMovedTo(project: TestProject, release: number, replicas: number): Promise<InstanceStatus[]> {
  return waitFor(`all traffic on release ${release}, its ${replicas} instances ready`, async () => {
    const { instances } = await project.status();
    const mine = instances.filter((i) => i.release === release);
    const others = instances.filter((i) => i.release !== release && i.inRotation);
    return mine.length === replicas && mine.every((i) => i.state === "ready") && others.length === 0 ? mine : undefined;
  });
}
