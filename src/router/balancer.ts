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
}

/**
 * The item with the fewest in-flight requests, scanning from `start` (mod
 * length) so that ties rotate: with equal load this is plain round-robin.
 * `skipA` and `skipB` (targets already tried by a retry) are never chosen.
 * Returns the index, or -1 when every item is skipped or the list is empty.
 *
 * @example
 * leastInFlight([{ inFlight: 2 }, { inFlight: 0 }, { inFlight: 0 }], 0); // 1
 * leastInFlight([{ inFlight: 2 }, { inFlight: 0 }, { inFlight: 0 }], 2); // 2
 */
export function leastInFlight<T extends Loaded>(
  items: readonly T[],
  start: number,
  skipA: T | null = null,
  skipB: T | null = null,
): number {
  const n = items.length;
  let best = -1;
  let bestLoad = Infinity;
  for (let k = 0; k < n; k++) {
    const i = (start + k) % n;
    const item = items[i] as T;
    if (item === skipA || item === skipB) continue;
    if (item.inFlight < bestLoad) {
      bestLoad = item.inFlight;
      best = i;
    }
  }
  return best;
}
