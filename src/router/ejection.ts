/**
 * Passive health (Envoy's outlier detection, simplified): an instance that
 * refuses connections is ejected from picking for a period that starts at
 * `EJECTION_BASE_MS` and doubles with each ejection in a row, up to
 * `EJECTION_MAX_MS`; a response from it resets the count.
 */

/** First ejection period (ms). */
export const EJECTION_BASE_MS = 1_000;

/** Longest ejection period (ms). */
export const EJECTION_MAX_MS = 30_000;

/**
 * The period of the `count`-th ejection in a row (1-based).
 *
 * @example
 * [1, 2, 3, 6, 7].map((n) => ejectionPeriod(n)); // [1000, 2000, 4000, 30000, 30000]
 */
export function ejectionPeriod(count: number, base = EJECTION_BASE_MS, max = EJECTION_MAX_MS): number {
  if (count < 1) return 0;
  return Math.min(max, base * 2 ** Math.min(count - 1, 30));
}

/**
 * True for an error that says the instance took no connection: nothing was
 * delivered, so the request is safe to send elsewhere and the instance is
 * ejected.
 *
 * @example
 * connectFailed(Object.assign(new Error(), { code: "ECONNREFUSED", syscall: "connect" })); // true
 */
export function connectFailed(err: NodeJS.ErrnoException): boolean {
  const code = err.code;
  return (
    code === "ECONNREFUSED" ||
    code === "EHOSTUNREACH" ||
    code === "ENETUNREACH" ||
    (err.syscall === "connect" && (code === "ECONNRESET" || code === "ETIMEDOUT"))
  );
}
