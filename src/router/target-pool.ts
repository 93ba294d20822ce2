import { performance } from "node:perf_hooks";
import type { Duplex } from "node:stream";
import { ejectionPeriod } from "./ejection.js";
import type { Target } from "./types.js";
import { DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS, UpstreamAgent } from "./upstream-agent.js";

/**
 * One instance as the router sees it: its keep-alive agent, its in-flight
 * count (HTTP requests and open WebSockets) and whether the current routing
 * table still lists it. A target that left the table keeps serving what it
 * has in flight, then is forgotten and its agent destroyed.
 */
export class TargetState {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** `host:port`, used as Host when a client sent none. */
  readonly authority: string;
  readonly agent: UpstreamAgent;
  inFlight = 0;
  /** `performance.now()` until which the balancer skips this target (0: not ejected). */
  ejectedUntil = 0;
  /** Ejections in a row (reset by a response). */
  ejections = 0;
  /** Listed in the current routing table (may get new requests). */
  active = true;
  /** Table generation that last listed this target. */
  generation = 0;
  private tunnels: Set<Duplex> | null = null;
  private waiters: (() => void)[] | null = null;
  private readonly pool: TargetPool;

  constructor(target: Target, pool: TargetPool) {
    this.id = target.id;
    this.host = target.host;
    this.port = target.port;
    this.authority = `${target.host}:${target.port}`;
    this.pool = pool;
    this.agent = new UpstreamAgent(pool.idleTimeout);
  }

  /** The instance refused a connection: skip it for the next ejection period, close its idle sockets. */
  eject(): void {
    this.ejections++;
    this.ejectedUntil = performance.now() + ejectionPeriod(this.ejections);
    this.agent.closeIdle();
  }

  /** The instance answered: it is healthy again. */
  succeeded(): void {
    if (this.ejections === 0) return;
    this.ejections = 0;
    this.ejectedUntil = 0;
  }

  /** Listed in the routing table (again): its agent pools sockets. */
  activate(generation: number): void {
    this.active = true;
    this.agent.retired = false;
    this.generation = generation;
  }

  acquire(): void {
    this.inFlight++;
  }

  release(): void {
    if (--this.inFlight === 0 && (this.waiters !== null || !this.active)) this.settle();
  }

  /** Count an open WebSocket (client side socket) until `untrack`. */
  track(socket: Duplex): void {
    (this.tunnels ??= new Set()).add(socket);
    this.inFlight++;
  }

  untrack(socket: Duplex): void {
    if (this.tunnels?.delete(socket)) this.release();
  }

  /** See `Router.drain`. */
  drain(timeout: number): Promise<void> {
    if (this.inFlight === 0) {
      this.settle();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.forceClose();
        resolve();
      }, timeout);
      timer.unref();
      (this.waiters ??= []).push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Leave the table: no new requests, idle sockets closed now and busy ones
   * as their responses end (none is left for the instance's shutdown to
   * reset); forgotten once idle.
   */
  retire(): void {
    this.active = false;
    this.agent.retired = true;
    this.agent.closeIdle();
    if (this.inFlight === 0) this.settle();
  }

  /** Destroy open WebSockets (router shutdown, drain timeout). */
  closeTunnels(): void {
    if (this.tunnels) for (const socket of this.tunnels) socket.destroy();
  }

  /** Destroy open WebSockets and, unless still routed, in-flight HTTP requests. */
  forceClose(): void {
    this.closeTunnels();
    if (!this.active) {
      this.agent.destroy();
      this.pool.forget(this);
    }
    this.wake();
  }

  /** No request in flight: close idle sockets, wake drainers, forget if retired. */
  private settle(): void {
    this.agent.destroy();
    if (!this.active) this.pool.forget(this);
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = null;
    if (waiters) for (const wake of waiters) wake();
  }
}

/**
 * Every target the router knows: those in the current table and those still
 * draining. One `TargetState` per instance id, reused across table swaps so
 * in-flight counts and keep-alive sockets survive a reweighting.
 *
 * @example
 * const pool = new TargetPool();
 * const gen = pool.nextGeneration();
 * const a = pool.use({ id: "web-1", host: "127.0.0.1", port: 4001 }, gen);
 * pool.retireOthers(gen); // every target not used in `gen` stops getting requests
 */
export class TargetPool {
  private readonly states = new Map<string, TargetState>();
  private generation = 0;
  /** Ms an idle pooled socket is kept (`router.upstreamIdleTimeout`). */
  idleTimeout = DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS;

  /** Changes the idle timeout of every agent (from each socket's next release on). */
  setIdleTimeout(ms: number): void {
    this.idleTimeout = ms;
    for (const state of this.states.values()) state.agent.idleTimeout = ms;
  }

  /** Ids of the targets ejected now (passive health), sorted. */
  ejected(): string[] {
    const now = performance.now();
    const out: string[] = [];
    for (const state of this.states.values()) if (state.ejectedUntil > now) out.push(state.id);
    return out.sort();
  }

  nextGeneration(): number {
    return ++this.generation;
  }

  /** The state for `target`, created if new (or if its address changed). */
  use(target: Target, generation: number): TargetState {
    let state = this.states.get(target.id);
    if (state && (state.host !== target.host || state.port !== target.port)) {
      state.retire();
      state = undefined;
    }
    if (!state) {
      state = new TargetState(target, this);
      this.states.set(target.id, state);
    }
    state.activate(generation);
    return state;
  }

  /** Retire every target not used in `generation`. */
  retireOthers(generation: number): void {
    for (const state of this.states.values()) {
      if (state.generation !== generation && state.active) state.retire();
    }
  }

  get(id: string): TargetState | undefined {
    return this.states.get(id);
  }

  forget(state: TargetState): void {
    if (this.states.get(state.id) === state) this.states.delete(state.id);
  }

  /** Per-target in-flight counts. */
  inFlight(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const state of this.states.values()) out[state.id] = state.inFlight;
    return out;
  }

  /** Retire and force-close everything (router shutdown). */
  closeAll(): void {
    for (const state of [...this.states.values()]) {
      state.active = false;
      state.forceClose();
    }
  }
}
