/** Restart backoff for crashed instances: 1s, 2s, 4s ... capped at 30s. */
export const RESTART_BACKOFF_BASE = 1000;
export const RESTART_BACKOFF_MAX = 30_000;
/** An instance ready this long has its restart count reset. */
export const RESTART_RESET_AFTER = 60_000;

export function restartDelay(restarts: number): number {
  return Math.min(RESTART_BACKOFF_MAX, RESTART_BACKOFF_BASE * 2 ** Math.max(0, restarts));
}
