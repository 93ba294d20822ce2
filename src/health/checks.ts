/**
 * `pass`, `warn` (a non-critical check failed) or `fail`, as in the IETF health check response format.
 *
 * @example
 * const status: HealthStatus = (await health.report()).status;
 */
export type HealthStatus = "pass" | "warn" | "fail";

/**
 * What a check may return: nothing (its duration is reported), or its own measurement.
 *
 * @example
 * const connections: HealthCheck = { name: "pool:connections", check: (): CheckValue => ({ observedValue: pool.totalCount, observedUnit: "connections" }) };
 */
export type CheckValue = void | { observedValue?: unknown; observedUnit?: string };

/**
 * One dependency check. It gets an AbortSignal that aborts at its timeout
 * (pass it on to the driver or `fetch`); throwing or rejecting fails it.
 *
 * @example
 * const billing: HealthCheck = {
 *   name: "billing", // reported as "billing:responseTime"
 *   check: async (signal) => {
 *     const res = await fetch("http://billing.internal/health", { signal }); // aborted at the timeout
 *     if (!res.ok) throw new Error(`billing answered ${res.status}`);
 *   },
 *   timeout: 300,
 * };
 */
export interface HealthCheck {
  /** `component:measurement` (`postgres:responseTime`), or a component name (`postgres`, reported as `postgres:responseTime`). */
  name: string;
  check: (signal: AbortSignal) => CheckValue | Promise<CheckValue>;
  /** Default true. A failing non-critical check makes the status `warn`, not `fail`, and never fails readiness. */
  critical?: boolean;
  /** Milliseconds before the check fails with "timed out after Xms" (default: createHealth's `timeout`). */
  timeout?: number;
  componentId?: string;
  componentType?: string;
}

/**
 * One entry of `checks` in an `application/health+json` body.
 *
 * @example
 * const entry: CheckResult = { observedValue: 3, observedUnit: "ms", status: "pass", time: "2026-11-26T09:12:03.000Z" };
 */
export interface CheckResult {
  componentId?: string;
  componentType?: string;
  observedValue: unknown;
  observedUnit?: string;
  status: HealthStatus;
  time: string;
  /** Only on failure: the error's message (first line, credentials in URLs masked, truncated). Never a stack. */
  output?: string;
}

/**
 * Longest `output` in a check result; the rest is cut with an ellipsis.
 *
 * @example
 * if (result.output?.length === MAX_OUTPUT_LENGTH) console.log("output was truncated");
 */
export const MAX_OUTPUT_LENGTH = 200;

/**
 * The `checks` key of a check: its name when it has a measurement part, else
 * `<name>:responseTime`.
 *
 * @example
 * checkKey({ name: "postgres", check }); // "postgres:responseTime"
 */
export function checkKey(check: Pick<HealthCheck, "name">): string {
  return check.name.includes(":") ? check.name : `${check.name}:responseTime`;
}

/**
 * Runs one check under its timeout. Never throws: a failure is a result with
 * status `fail` (or `warn` when not critical) and a safe `output`.
 *
 * @example
 * const result = await runCheck({ name: "redis", check: (signal) => ping(signal) }, 500);
 */
export async function runCheck(check: HealthCheck, defaultTimeout: number): Promise<CheckResult> {
  const limit = check.timeout ?? defaultTimeout;
  const controller = new AbortController();
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`timed out after ${limit}ms`);
      controller.abort(error);
      reject(error);
    }, limit);
  });
  const ids = {
    ...(check.componentId ? { componentId: check.componentId } : {}),
    ...(check.componentType ? { componentType: check.componentType } : {}),
  };
  try {
    const value = (await Promise.race([Promise.resolve().then(() => check.check(controller.signal)), timedOut])) ?? undefined;
    const own = value?.observedValue !== undefined;
    return {
      ...ids,
      observedValue: own ? value?.observedValue : elapsed(started),
      ...(own ? (value?.observedUnit ? { observedUnit: value.observedUnit } : {}) : { observedUnit: "ms" }),
      status: "pass",
      time: new Date().toISOString(),
    };
  } catch (err) {
    return {
      ...ids,
      observedValue: elapsed(started),
      observedUnit: "ms",
      status: check.critical === false ? "warn" : "fail",
      time: new Date().toISOString(),
      output: controller.signal.aborted ? `timed out after ${limit}ms` : safeOutput(err),
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A failure's message made safe for a public body: first line only (no
 * stack), `user:password@` in URLs masked, at most MAX_OUTPUT_LENGTH characters.
 *
 * @example
 * safeOutput(new Error("connect postgres://app:s3cret@db:5432 refused")); // "connect postgres://***@db:5432 refused"
 */
export function safeOutput(err: unknown): string {
  const message = err instanceof Error ? err.message : typeof err === "string" ? err : "check failed";
  const line =
    (message.split("\n")[0] ?? "").trim().replace(/(\w+:\/\/)[^/\s@]+@/g, "$1***@") || (err instanceof Error ? err.name : "check failed");
  return line.length > MAX_OUTPUT_LENGTH ? `${line.slice(0, MAX_OUTPUT_LENGTH - 1)}…` : line;
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
