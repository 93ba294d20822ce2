// @ts-check
/** @param {number | null | undefined} ms */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** @param {number | string | null | undefined} at */
export function time(at) {
  if (at === null || at === undefined) return "–";
  const d = new Date(at);
  return d.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

/** @param {number | string | null | undefined} at */
export function age(at) {
  if (at === null || at === undefined) return "–";
  return `${duration(Date.now() - new Date(at).getTime())} ago`;
}

/** @param {number | null | undefined} rate 0..1 */
export function percent(rate) {
  return rate === null || rate === undefined ? "–" : `${(rate * 100).toFixed(rate < 0.1 ? 1 : 0)}%`;
}

/** @param {string | null | undefined} sha */
export function shortCommit(sha) {
  return sha ? sha.slice(0, 10) : "–";
}
