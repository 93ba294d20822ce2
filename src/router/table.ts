import { performance } from "node:perf_hooks";
import { cohortOwner, cohortRanges, leastInFlight, nextSmooth, type CohortRange, type CohortSlot, type WeightedSlot } from "./balancer.js";
import { COHORT_BUCKETS } from "./cohort.js";
import type { TargetPool, TargetState } from "./target-pool.js";
import type { RouteGroup } from "./types.js";

/** Where a request goes; filled in place by the table (no allocation per pick). */
export interface Choice {
  group: GroupState | null;
  target: TargetState | null;
}

/** A group of the current table: its smooth-WRR score and its targets. */
export class GroupState implements WeightedSlot, CohortSlot {
  readonly name: string;
  /** Effective weight: 0 when the group has no targets. */
  readonly weight: number;
  /** Configured weight (0 if not positive): sizes the group's range of sticky buckets, targets or not. */
  readonly share: number;
  current = 0;
  /** Requests routed here (carried over from the previous table by name). */
  requests = 0;
  readonly targets: readonly TargetState[];
  private cursor = 0;

  constructor(name: string, weight: number, targets: readonly TargetState[]) {
    this.name = name;
    this.targets = targets;
    this.share = Number.isFinite(weight) && weight > 0 ? weight : 0;
    this.weight = targets.length > 0 ? this.share : 0;
  }

  /** Least in-flight target, ties rotating; never `skipA`/`skipB`, nor one ejected at `now` unless `allowEjected` and none else. */
  pickTarget(skipA: TargetState | null, skipB: TargetState | null, now: number, allowEjected: boolean): TargetState | null {
    const n = this.targets.length;
    if (n === 0) return null;
    const start = this.cursor;
    this.cursor = start + 1 === n ? 0 : start + 1;
    const i = leastInFlight(this.targets, start, skipA, skipB, now, allowEjected);
    return i < 0 ? null : (this.targets[i] as TargetState);
  }
}

/**
 * An immutable routing table (groups and their targets); the router swaps
 * whole tables, so a request never sees half an update. Only the picking
 * counters inside it change.
 *
 * @example
 * const table = RoutingTable.build([{ name: "r1", weight: 1, targets }], pool, null);
 * const pick: Choice = { group: null, target: null };
 * if (table.pick(pick, undefined, -1)) console.log(pick.group!.name, pick.target!.id);
 */
export class RoutingTable {
  readonly groups: readonly GroupState[];
  private readonly byName: ReadonlyMap<string, GroupState>;
  private readonly total: number;
  /** Sticky bucket ranges, in table order (see `cohortRanges`). */
  private readonly ranges: readonly CohortRange[];

  private constructor(groups: GroupState[]) {
    this.groups = groups;
    this.byName = new Map(groups.map((g) => [g.name, g]));
    this.total = groups.reduce((sum, g) => sum + g.weight, 0);
    this.ranges = cohortRanges(groups, COHORT_BUCKETS);
  }

  /** An empty table: every request gets the 503. */
  static empty(): RoutingTable {
    return new RoutingTable([]);
  }

  /**
   * Builds a table from `groups`, registering their targets in `pool` and
   * retiring targets no longer listed. Request counters carry over by name.
   */
  static build(groups: readonly RouteGroup[], pool: TargetPool, previous: RoutingTable | null): RoutingTable {
    const generation = pool.nextGeneration();
    const states = groups.map((group) => {
      const targets = group.targets.map((t) => pool.use(t, generation));
      const state = new GroupState(group.name, group.weight, targets);
      state.requests = previous?.byName.get(group.name)?.requests ?? 0;
      return state;
    });
    pool.retireOthers(generation);
    if (previous !== null && sameSplit(previous.groups, states)) {
      // Only targets changed (an instance came or went): keep the round-robin where it was, so the
      // split stays exact. With other groups or weights the state restarts from zero (its sum must be 0).
      states.forEach((state, i) => (state.current = (previous.groups[i] as GroupState).current));
    }
    return new RoutingTable(states);
  }

  /**
   * Chooses a group and a target in it: the group named by `route` if it has
   * targets; else, for a sticky `bucket` (>= 0), the group whose bucket range
   * holds it; else by smooth weighted round-robin. False when none is ready.
   */
  pick(into: Choice, route: string | undefined, bucket: number): boolean {
    let group: GroupState | undefined;
    if (route !== undefined) {
      group = this.byName.get(route);
      if (group !== undefined && group.targets.length === 0) group = undefined;
    }
    if (group === undefined) {
      const i = bucket < 0 ? nextSmooth(this.groups, this.total) : cohortOwner(this.ranges, bucket);
      if (i < 0) return false;
      group = this.groups[i] as GroupState;
    }
    const now = performance.now();
    let target = group.pickTarget(null, null, now, false);
    if (target === null) {
      // Every target of the group is ejected (passive health): another group's, else one of them anyway.
      if (this.fallback(into, group, null, null, now)) {
        (into.group as GroupState).requests++;
        return true;
      }
      target = group.pickTarget(null, null, now, true);
      if (target === null) return false;
    }
    group.requests++;
    into.group = group;
    into.target = target;
    return true;
  }

  /**
   * Another target for a retry: first in the group of the same name, then in
   * any weighted group; never `skipA`/`skipB`, and ejected targets only
   * when no other is left. False when none is left.
   */
  retry(into: Choice, skipA: TargetState | null, skipB: TargetState | null): boolean {
    const same = into.group === null ? undefined : this.byName.get(into.group.name);
    const now = performance.now();
    for (const allowEjected of [false, true]) {
      const target = same === undefined ? null : same.pickTarget(skipA, skipB, now, allowEjected);
      if (target !== null) {
        into.group = same as GroupState;
        into.target = target;
        return true;
      }
      if (this.fallback(into, same, skipA, skipB, allowEjected ? Infinity : now)) return true;
    }
    return false;
  }

  /** A target of a weighted group other than `except` (at `now`: Infinity ignores ejection). */
  private fallback(
    into: Choice,
    except: GroupState | undefined,
    skipA: TargetState | null,
    skipB: TargetState | null,
    now: number,
  ): boolean {
    for (const group of this.groups) {
      if (group === except || group.weight === 0) continue;
      const target = group.pickTarget(skipA, skipB, now, false);
      if (target !== null) {
        into.group = group;
        into.target = target;
        return true;
      }
    }
    return false;
  }

  /** Requests routed to each group, by name. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const group of this.groups) out[group.name] = group.requests;
    return out;
  }
}

/** Same groups, in the same order, with the same effective weights. */
function sameSplit(a: readonly GroupState[], b: readonly GroupState[]): boolean {
  return a.length === b.length && a.every((g, i) => g.name === b[i]?.name && g.weight === b[i]?.weight);
}
