import type { InitStrategy } from "./options.js";
import type { Stack } from "./stack.js";

/** Releases kept for `slipway rollback` (the audit wants at least 2). */
export const INIT_RETAIN = 5;
/** Where Slipway's router listens in the generated config. */
export const INIT_LISTEN = ":8080";

/**
 * `slipway.yaml` for the docker platform: build from the Dockerfile, two
 * replicas, startup/readiness/liveness probes on the app's health routes, a
 * rolling update that never goes below the desired count (or a canary gated
 * by metric analysis), draining, and 5 releases kept for rollback.
 *
 * @example
 * slipwayConfig(stack, "rolling"); // "# slipway.yaml ...\nname: web\nplatform: docker\n..."
 */
export function slipwayConfig(stack: Stack, strategy: InitStrategy): string {
  const { liveness, readiness } = stack.health;
  return `# How Slipway deploys ${stack.name}, written by \`slipway init\`. Reference: docs/config.md.
# Check it with \`slipway config validate\`, deploy with \`slipway deploy\`, undo with \`slipway rollback\`.
name: ${stack.name}
# One container per instance, built from the Dockerfile; Slipway gives each its own PORT.
platform: docker
# Slipway's router: where clients reach the app (put your TLS proxy in front of it).
listen: "${INIT_LISTEN}"
app:
  build:
    context: .
    dockerfile: Dockerfile
  # Two or more: a crash or a deploy never leaves the service without an instance.
  replicas: 2
  resources: { cpus: 1, memory: 512MB }
${shutdownComment(stack)}  shutdown: { signal: SIGTERM, timeout: 30s }
${sharedLines(stack)}health:
  # Gates the other probes while the app starts (up to 60 s).
  startup: { http: ${liveness}, interval: 1s, failureThreshold: 60 }
  # Decides whether an instance gets traffic; a deploy waits for new instances to be ready.
  readiness: { http: ${readiness}, interval: 2s, timeout: 1s, failureThreshold: 3 }
  # Restarts an instance that stops answering: slower and more tolerant than readiness.
  liveness: { http: ${liveness}, interval: 10s, timeout: 2s, failureThreshold: 3 }
${strategy === "canary" ? CANARY : ROLLING}# In-flight requests get this long to finish before an old instance stops.
drain: { timeout: 30s }
# A rollout making no progress for this long fails and rolls back by itself.
progressDeadline: 5m
# Releases kept (with their images) for \`slipway rollback\`.
retain: ${INIT_RETAIN}
`;
}

function shutdownComment(stack: Stack): string {
  if (stack.sigterm) return `  # SIGTERM first (${stack.sigterm} handles it: in-flight requests finish), a kill after the timeout.\n`;
  const why =
    stack.language?.language === "go" ? "" : "\n  # (docker.init, on by default, keeps it from being PID 1, where it would ignore SIGTERM)";
  return `  # SIGTERM first, a kill after the timeout. No SIGTERM handler was found in the app: until it has one,\n  # SIGTERM ends it at once, cutting any request still running after the drain${why}.\n`;
}

function sharedLines(stack: Stack): string {
  if (stack.shared.length === 0) return "";
  return `  # Data the app writes, kept across releases and shared by every instance (a named volume per path on
  # docker). Two releases run side by side during a rollout: keep schema changes backward compatible.
  shared: [${stack.shared.join(", ")}]
`;
}

const ROLLING = `strategy:
  # Rolling update: one extra instance at a time, never fewer ready instances than app.replicas.
  type: rolling
  rolling: { maxSurge: 1, maxUnavailable: 0, minReady: 5s }
`;

const CANARY = `strategy:
  # Canary: a share of the traffic goes to the new release while its error rate and latency are
  # compared with the thresholds below; failing them rolls back before everyone gets it.
  type: canary
  canary:
    replicas: 1
    steps:
      - setWeight: 10
      - pause: 2m
      - analysis: { interval: 10s, window: 1m, minRequests: 50, maxErrorRate: 1%, maxLatency: { p95: 500ms } }
      - setWeight: 50
      - pause: 2m
    # Runs for the whole canary; one failed measurement too many aborts the rollout.
    analysis: { interval: 10s, window: 1m, minRequests: 50, maxErrorRate: 1%, maxLatency: { p95: 500ms }, failureLimit: 1 }
`;
