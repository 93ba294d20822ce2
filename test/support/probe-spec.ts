import type { ProbeSpec } from "../../src/config/types.js";

/**
 * A probe spec for tests: GET /health every second, 500 ms timeout, 1 success
 * to pass, 3 failures to fail; `overrides` change any field.
 *
 * @example
 * probeSpec({ check: { kind: "http", path: "/ready" }, failureThreshold: 5 });
 */
export const probeSpec = (overrides: Partial<ProbeSpec> = {}): ProbeSpec => ({
  check: { kind: "http", path: "/health" },
  initialDelay: 0,
  interval: 1000,
  timeout: 500,
  successThreshold: 1,
  failureThreshold: 3,
  ...overrides,
});
