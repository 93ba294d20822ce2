import { Router } from "../router/router.js";
import type { RouteGroup, RouterStats } from "../router/types.js";
import { SampleBatch, type WireBatch } from "./sample-batch.js";
import type { ListenerState, RouterState } from "./state.js";

interface Listener {
  router: Router;
  state: ListenerState;
  bound: { host: string; port: number };
}

/**
 * The router process's listeners by key ("public", "preview"): each a
 * `Router` with the state it was last given. Applying a state binds a new
 * address first and closes the old one after, so there is no listener gap.
 */
export class RouterHost {
  private readonly listeners = new Map<string, Listener>();
  /** Samples gathered until the daemon takes them; while no daemon reads, the batch fills and further ones are dropped. */
  private readonly samples = new SampleBatch();

  constructor(private readonly onChange: (state: RouterState) => void) {}

  /** The whole state, as saved to disk. */
  state(): RouterState {
    const listeners: RouterState["listeners"] = {};
    for (const [key, l] of this.listeners) listeners[key] = l.state;
    return { listeners };
  }

  /** Where each listener is bound. */
  bound(): Record<string, { host: string; port: number }> {
    const out: Record<string, { host: string; port: number }> = {};
    for (const [key, l] of this.listeners) out[key] = l.bound;
    return out;
  }

  /**
   * Serves `state` on listener `key`: binds (or re-binds on a new address),
   * configures, installs the groups. Throws `SlipwayError` when the address
   * cannot be bound or an option is invalid, leaving the listener as it was.
   */
  async apply(key: string, state: ListenerState): Promise<{ host: string; port: number }> {
    let current = this.listeners.get(key);
    const sameAddress = current && current.state.listen.host === state.listen.host && current.state.listen.port === state.listen.port;
    if (!current || !sameAddress) {
      const router = new Router({
        listen: state.listen,
        onResponse: (s) => {
          if (s.target) this.samples.add(key, s.target, s.status, s.durationMs);
        },
      });
      router.configure(state.options);
      router.setGroups(state.groups);
      const bound = await router.listen();
      const old = current;
      current = { router, state, bound };
      this.listeners.set(key, current);
      if (old) void old.router.close();
    } else {
      current.router.configure(state.options);
      current.router.setGroups(state.groups);
      current.state = state;
    }
    this.onChange(this.state());
    return current.bound;
  }

  /** Replaces only the groups of listener `key` (the frequent case). */
  setGroups(key: string, groups: RouteGroup[]): boolean {
    const l = this.listeners.get(key);
    if (!l) return false;
    l.router.setGroups(groups);
    l.state = { ...l.state, groups };
    this.onChange(this.state());
    return true;
  }

  /** Stops listener `key` (in-flight requests finish). */
  async remove(key: string): Promise<void> {
    const l = this.listeners.get(key);
    if (!l) return;
    this.listeners.delete(key);
    this.onChange(this.state());
    await l.router.close();
  }

  drain(key: string, target: string, timeout: number): Promise<void> {
    return this.listeners.get(key)?.router.drain(target, timeout) ?? Promise.resolve();
  }

  stats(): Record<string, RouterStats> {
    const out: Record<string, RouterStats> = {};
    for (const [key, l] of this.listeners) out[key] = l.router.stats();
    return out;
  }

  /** Takes the samples gathered since the last call (`null` when there are none). */
  takeSamples(): WireBatch | null {
    return this.samples.size ? this.samples.take() : null;
  }

  async close(): Promise<void> {
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(all.map((l) => l.router.close()));
  }
}
