/**
 * Pure picking logic, no sockets: smooth weighted round-robin between groups
 * (the nginx algorithm) and least-in-flight between targets of one group.
 * Both mutate small counters in place and allocate nothing per pick.
 */

/** One entry of a smooth weighted round-robin. `current` is the running score. */
export interface WeightedSlot {
  readonly weight: number;
  current: number;
}

/**
 * Smooth weighted round-robin (nginx's `ngx_http_upstream_get_peer`): every
 * slot gains its weight, the highest score wins and pays back the total.
 * Over any `total` consecutive picks from a fresh start, each slot is chosen
 * exactly `weight` times, and picks of a heavy slot are spread out.
 * Slots with weight <= 0 are never chosen; `total` is the sum of the positive
 * weights. Returns the index of the chosen slot, or -1 when none can be.
 *
 * @example
 * const slots = [{ weight: 5, current: 0 }, { weight: 1, current: 0 }, { weight: 1, current: 0 }];
 * const seq = Array.from({ length: 7 }, () => "abc"[nextSmooth(slots, 7)]).join("");
 * // seq === "aabacaa"
 */
export function nextSmooth(slots: readonly WeightedSlot[], total: number): number {
  let best = -1;
  let bestScore = -Infinity;
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i] as WeightedSlot;
    if (!(slot.weight > 0)) continue;
    slot.current += slot.weight;
    if (slot.current > bestScore) {
      bestScore = slot.current;
      best = i;
    }
  }
  if (best >= 0) (slots[best] as WeightedSlot).current -= total;
  return best;
}

/** What `leastInFlight` needs to know about a target. */
export interface Loaded {
  readonly inFlight: number;
  /** Clock time until which the item is ejected (passive health); absent or past: not ejected. */
  readonly ejectedUntil?: number;
}

/**
 * The item with the fewest in-flight requests, scanning from `start` (mod
 * length) so that ties rotate: with equal load this is plain round-robin.
 * `skipA` and `skipB` (targets already tried by a retry) are never chosen,
 * nor items ejected at `now` (`ejectedUntil > now`) unless `allowEjected`
 * and no other item is left. Returns the index, or -1 when every item is
 * skipped or the list is empty.
 *
 * @example
 * leastInFlight([{ inFlight: 2 }, { inFlight: 0 }, { inFlight: 0 }], 0); // 1
 * leastInFlight([{ inFlight: 2 }, { inFlight: 0 }, { inFlight: 0 }], 2); // 2
 * leastInFlight([{ inFlight: 2 }, { inFlight: 0, ejectedUntil: 50 }], 1, null, null, 10); // 0
 */
export function leastInFlight<T extends Loaded>(
  items: readonly T[],
  start: number,
  skipA: T | null = null,
  skipB: T | null = null,
  now = 0,
  allowEjected = false,
): number {
  const n = items.length;
  let best = -1;
  let bestLoad = Infinity;
  let ejected = -1;
  let ejectedLoad = Infinity;
  for (let k = 0; k < n; k++) {
    const i = (start + k) % n;
    const item = items[i] as T;
    if (item === skipA || item === skipB) continue;
    const until = item.ejectedUntil;
    if (until !== undefined && until > now) {
      if (item.inFlight < ejectedLoad) {
        ejectedLoad = item.inFlight;
        ejected = i;
      }
    } else if (item.inFlight < bestLoad) {
      bestLoad = item.inFlight;
      best = i;
    }
  }
  return best >= 0 || !allowEjected ? best : ejected;
}

/** What `cohortRanges` needs to know about a group. */
export interface CohortSlot {
  /** Configured weight: sizes the slot's range of buckets (<= 0: no range). */
  readonly share: number;
  /** Effective weight: 0 when the slot cannot take requests (no targets, or weight 0). */
  readonly weight: number;
}

/** Buckets below `end` (and at or above the previous range's end) go to slot `owner`. */
export interface CohortRange {
  readonly end: number;
  readonly owner: number;
}

/**
 * Splits `[0, buckets)` into consecutive ranges, one per slot with a positive
 * share, IN SLOT ORDER, each sized by its share of the total (rounded). A
 * range whose slot cannot take requests goes to the next slot that can
 * (wrapping to the first), so the ranges of the other slots do not move;
 * its owner is -1 when no slot can. With the canary listed first, buckets
 * below `canaryShare / total * buckets` are the canary's, so raising its
 * weight only adds buckets to it.
 *
 * @example
 * cohortRanges([{ share: 10, weight: 10 }, { share: 90, weight: 90 }], 10_000);
 * // [{ end: 1000, owner: 0 }, { end: 10000, owner: 1 }]
 * cohortRanges([{ share: 10, weight: 0 }, { share: 90, weight: 90 }], 10_000);
 * // [{ end: 1000, owner: 1 }, { end: 10000, owner: 1 }]
 */
export function cohortRanges(slots: readonly CohortSlot[], buckets: number): CohortRange[] {
  let total = 0;
  for (const slot of slots) if (slot.share > 0) total += slot.share;
  const ranges: CohortRange[] = [];
  if (!(total > 0)) return ranges;
  let sum = 0;
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i] as CohortSlot;
    if (!(slot.share > 0)) continue;
    sum += slot.share;
    const end = sum === total ? buckets : Math.round((sum * buckets) / total);
    ranges.push({ end, owner: nextUsable(slots, i) });
  }
  return ranges;
}

/** `from` if it can take requests, else the next slot that can (wrapping), else -1. */
function nextUsable(slots: readonly CohortSlot[], from: number): number {
  const n = slots.length;
  for (let k = 0; k < n; k++) {
    const i = (from + k) % n;
    if ((slots[i] as CohortSlot).weight > 0) return i;
  }
  return -1;
}

/**
 * The slot that owns `bucket` in `ranges` (from `cohortRanges`), or -1.
 *
 * @example
 * const ranges = cohortRanges([{ share: 10, weight: 10 }, { share: 90, weight: 90 }], 10_000);
 * cohortOwner(ranges, 999); // 0
 * cohortOwner(ranges, 1000); // 1
 */
export function cohortOwner(ranges: readonly CohortRange[], bucket: number): number {
  for (let i = 0; i < ranges.length; i++) {
    const range = ranges[i] as CohortRange;
    if (bucket < range.end) return range.owner;
  }
  return -1;
}
