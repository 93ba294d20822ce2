import type { ProbeCheck, ProbeSpec } from "../config/types.js";

/**
 * Defaults for a probe's timing and thresholds (ms), close to Kubernetes'
 * but with a 1 s interval, since deploys wait on readiness. The config
 * schema and docs/health-probes.md use these.
 */
export const PROBE_DEFAULTS: Readonly<Omit<ProbeSpec, "check">> = Object.freeze({
  initialDelay: 0,
  interval: 1000,
  timeout: 1000,
  successThreshold: 1,
  failureThreshold: 3,
});

/** Fill in the defaults for a probe given only its check. */
export function probeSpec(check: ProbeCheck, overrides: Partial<Omit<ProbeSpec, "check">> = {}): ProbeSpec {
  return { check, ...PROBE_DEFAULTS, ...overrides };
}

/**
 * Without a readiness probe an instance is ready once its port accepts a TCP
 * connection: polled every 100 ms until it does once.
 */
export const PORT_READINESS: Readonly<ProbeSpec> = Object.freeze<ProbeSpec>({
  check: { kind: "tcp" },
  initialDelay: 0,
  interval: 100,
  timeout: 1000,
  successThreshold: 1,
  failureThreshold: Number.POSITIVE_INFINITY,
});
