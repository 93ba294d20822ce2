import { access, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ApiClient } from "../control/api-client.js";
import { SlipwayError } from "../errors.js";
import type { RouteGroup, RouterStats, RoutingOptions } from "../router/types.js";
import type { AcmeHostStatus } from "../routerd/acme.js";
import { readBatch, type Sample, type WireBatch } from "../routerd/sample-batch.js";
import type { ListenerState, RouterState } from "../routerd/state.js";
import { singletonHeld } from "../supervise/singleton.js";
import { spawnDetached } from "../supervise/spawn-detached.js";
import { statePaths, type StatePaths } from "./paths.js";

/** How long the daemon waits for a router process to answer (start included) before an operation fails. */
export const ROUTER_WAIT = 10_000;
/** Between two attempts to reach the router. */
const RETRY_EVERY = 50;

/** Where a listener is bound: its plain address, and its HTTPS one when it has TLS. */
export interface BoundListener {
  host: string;
  port: number;
  tls: { host: string; port: number } | null;
}

/** A listener of the router process as a strategy sees it (the blue-green preview). */
export interface ListenerHandle {
  url: string;
  setGroups(groups: RouteGroup[]): void;
  close(): Promise<void>;
}

/** Opens listener `key` of the router process on `listen`. */
export type OpenListener = (key: string, listen: { host: string; port: number }, options: RoutingOptions) => Promise<ListenerHandle>;

/**
 * Which router process serves the project: its own (state in its
 * `.slipway`), or the shared router of its listen address when it names its
 * hosts (`router.hosts`), which serves every such project on this machine.
 */
export type RouterLocation = { shared: false } | { shared: true; root: string; project: string };

export interface RouterLinkOptions {
  /** The project's paths (its own router lives there). */
  paths: StatePaths;
  /** Per-request samples from the router, in batches. */
  onSamples: (samples: Sample[]) => void;
  log: (message: string) => void;
  /** The project's `.slipway` is gone (deleted under the daemon): stop. */
  onOrphaned: () => void;
}

/**
 * The daemon's side of the channel to the router process: the desired state
 * of each listener, sent in order (one change at a time, the newest groups
 * coalesced), the attach stream of samples, and the other half of the
 * mutual supervision: when the stream breaks, the router is restarted at
 * once and given the whole desired state again.
 */
export class RouterLink {
  private client: ApiClient;
  /** Where the router is, its paths, and the prefix of this project's listener keys on it ("" on its own). */
  private location: RouterLocation = { shared: false };
  private routerPaths: StatePaths;
  private prefix = "";
  /** Aborts the attach stream (the router moved). */
  private attachAbort = new AbortController();
  private readonly desired = new Map<string, ListenerState>();
  /** Keys whose whole state (address, options) must be sent; others only need their groups. */
  private readonly fullDirty = new Set<string>();
  private readonly groupsDirty = new Set<string>();
  private chain: Promise<unknown> = Promise.resolve();
  private flushQueued = false;
  private ensuring: Promise<void> | null = null;
  private lastStats: Record<string, RouterStats> = {};
  private lastAcme: AcmeHostStatus[] = [];
  private closed = false;

  constructor(private readonly o: RouterLinkOptions) {
    this.routerPaths = o.paths;
    this.client = routerClient(o.paths);
  }

  /** Where the router serving this project is. */
  get at(): RouterLocation {
    return this.location;
  }

  /**
   * Moves this project's listeners to the router at `location` (its own, or
   * a shared one): leaves the old router (its own router exits; on a shared
   * one its listeners close), then the next `bind` sends them to the new one.
   * Both serve the same address, so the old one must let go first: requests
   * in that instant are refused.
   */
  async relocate(location: RouterLocation): Promise<void> {
    if (sameLocation(location, this.location)) return;
    await this.flushed();
    const old = { client: this.client, prefix: this.prefix, shared: this.location.shared };
    const keys = [...this.desired.keys()];
    this.place(location);
    this.attachAbort.abort();
    this.attachAbort = new AbortController();
    if (old.shared) {
      for (const key of keys) await old.client.delete(`/v1/listeners/${old.prefix}${key}`).catch(() => undefined);
    } else {
      await old.client.post("/v1/shutdown").catch(() => undefined);
    }
    for (const key of keys) this.fullDirty.add(key);
    this.o.log(`the router moved to ${this.routerPaths.routerSocket}`);
  }

  private place(location: RouterLocation): void {
    this.location = location;
    this.routerPaths = location.shared ? statePaths(location.root) : this.o.paths;
    this.prefix = location.shared ? `${location.project}.` : "";
    this.client = routerClient(this.routerPaths);
  }

  /**
   * Makes sure a router serves this project (starting one when none runs),
   * attaches to it and returns what it serves now: a restarted daemon takes
   * the table over from there, so traffic never sees the daemon come back.
   */
  async start(location: RouterLocation = { shared: false }): Promise<RouterState> {
    this.place(location);
    await this.ensureRouter();
    const { state } = await this.client.get<{ state: RouterState }>("/v1/state");
    const mine: RouterState = { listeners: {} };
    for (const [key, l] of Object.entries(state.listeners)) {
      if (!key.startsWith(this.prefix) || (this.prefix === "" && key.includes("."))) continue;
      mine.listeners[key.slice(this.prefix.length)] = l;
      this.desired.set(key.slice(this.prefix.length), l);
    }
    void this.attachLoop();
    return mine;
  }

  /** The last state given to listener `key` (as restored, or as set since). */
  listener(key: string): ListenerState | undefined {
    return this.desired.get(key);
  }

  /** This project's automatic certificates as the router last reported them (at most half a second old). */
  acme(): AcmeHostStatus[] {
    return this.lastAcme;
  }

  /** The router's counters for listener `key`, as of its last batch (at most half a second old). */
  stats(key: string): RouterStats | null {
    return this.lastStats[key] ?? null;
  }

  /**
   * Serves listener `key` on the addresses and hosts of `spec` with `options` (keeping its groups).
   * Resolves with the bound address; rejects with the router's error (e.g. the
   * address is in use), leaving the listener as it was.
   */
  bind(key: string, spec: Omit<ListenerState, "options" | "groups">, options: RoutingOptions): Promise<BoundListener> {
    return this.enqueue(async () => {
      const next: ListenerState = { ...spec, options, groups: this.desired.get(key)?.groups ?? [] };
      const { bound } = await this.call(() => this.client.put<{ bound: BoundListener }>(`/v1/listeners/${this.prefix}${key}`, next));
      this.desired.set(key, next);
      this.fullDirty.delete(key);
      return bound;
    });
  }

  /** Installs `groups` on listener `key` (sent in order, coalesced). No-op for a listener never bound. */
  setGroups(key: string, groups: RouteGroup[]): void {
    const current = this.desired.get(key);
    if (!current) return;
    this.desired.set(key, { ...current, groups });
    this.groupsDirty.add(key);
    this.queueFlush();
  }

  /** Resolves once every change made so far has reached the router. */
  flushed(): Promise<void> {
    return this.enqueue(async () => undefined);
  }

  /** Resolves once `target` has nothing in flight on listener `key`, or after `timeout` ms. */
  async drain(key: string, target: string, timeout: number): Promise<void> {
    await this.flushed();
    try {
      await this.client.post(`/v1/listeners/${this.prefix}${key}/drain`, { target, timeout });
    } catch (err) {
      // A router that restarted meanwhile has nothing in flight for it.
      this.o.log(`drain of ${target}: ${(err as Error).message}`);
    }
  }

  /** Stops listener `key`. */
  remove(key: string): Promise<void> {
    this.desired.delete(key);
    return this.enqueue(() => this.call(() => this.client.delete(`/v1/listeners/${this.prefix}${key}`)));
  }

  /** A listener handle for a strategy (the blue-green preview). */
  async open(key: string, listen: { host: string; port: number }, options: RoutingOptions): Promise<ListenerHandle> {
    const bound = await this.bind(key, { listen }, options);
    return {
      url: `http://${connectHost(bound.host)}:${bound.port}`,
      setGroups: (groups) => this.setGroups(key, groups),
      close: () => this.remove(key),
    };
  }

  /** `slipway down`: the router closes its listeners and exits (after the instances were drained). */
  async shutdown(): Promise<void> {
    this.closed = true;
    await this.flushed();
    await this.client
      .post(`/v1/shutdown${this.location.shared ? `?project=${encodeURIComponent(this.location.project)}` : ""}`)
      .catch((err: Error) => this.o.log(`cannot tell the router to stop: ${err.message}`));
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    void this.enqueue(async () => {
      this.flushQueued = false;
      await this.flush();
    });
  }

  /** Sends every pending change; a router that cannot be reached is waited for (and restarted). */
  private async flush(): Promise<void> {
    for (;;) {
      const key = this.fullDirty.values().next().value ?? this.groupsDirty.values().next().value;
      if (key === undefined) return;
      const state = this.desired.get(key);
      const full = this.fullDirty.has(key);
      this.fullDirty.delete(key);
      this.groupsDirty.delete(key);
      if (!state) continue;
      try {
        if (full) await this.call(() => this.client.put(`/v1/listeners/${this.prefix}${key}`, state));
        else await this.call(() => this.client.put(`/v1/listeners/${this.prefix}${key}/groups`, { groups: state.groups }));
      } catch (err) {
        if (err instanceof SlipwayError && err.code === "NOT_FOUND") {
          // The router lost the listener (restarted without its file): send it whole.
          this.fullDirty.add(key);
          continue;
        }
        this.o.log(`cannot update the router's ${key} listener: ${(err as Error).message}`);
        if (isUnreachable(err) && !this.closed) {
          (full ? this.fullDirty : this.groupsDirty).add(key);
          setTimeout(() => this.queueFlush(), 1_000).unref();
          return;
        }
      }
    }
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.chain.then(op, op);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Runs `op`, waiting for (and restarting) an unreachable router until `ROUTER_WAIT` passes. */
  private async call<T>(op: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + ROUTER_WAIT;
    for (;;) {
      try {
        return await op();
      } catch (err) {
        if (!isUnreachable(err) || Date.now() > deadline || this.closed) throw err;
        await this.ensureRouter().catch(() => sleep(RETRY_EVERY));
      }
    }
  }

  /** Starts a router when none holds the project's router lock, and waits until it answers. */
  private ensureRouter(): Promise<void> {
    this.ensuring ??= (async () => {
      const deadline = Date.now() + ROUTER_WAIT;
      let spawnedAt = 0;
      while (Date.now() < deadline) {
        if (await this.ping()) return;
        const paths = this.routerPaths;
        if (Date.now() - spawnedAt > 2_000 && !(await singletonHeld(paths.root, "router"))) {
          spawnedAt = Date.now();
          const entry = fileURLToPath(new URL("../routerd/main.js", import.meta.url));
          // A shared router's directory may not exist yet; a project's `.slipway` is never recreated (deleting it stops both).
          if (this.location.shared) await mkdir(paths.dir, { recursive: true, mode: 0o700 });
          const { pid } = await spawnDetached(entry, ["--root", paths.root, ...(this.location.shared ? ["--shared"] : [])], {
            cwd: paths.root,
            logFile: paths.routerLog,
            env: process.env,
          });
          this.o.log(`started router ${pid}`);
        }
        await sleep(RETRY_EVERY);
      }
      throw new SlipwayError("DAEMON_UNAVAILABLE", "the Slipway router did not start", { hint: `see ${this.routerPaths.routerLog}` });
    })().finally(() => (this.ensuring = null));
    return this.ensuring;
  }

  private async ping(): Promise<boolean> {
    try {
      await this.client.get("/v1/state");
      return true;
    } catch {
      return false;
    }
  }

  /** Holds the attach stream open; when it breaks, brings the router back and resends everything. */
  private async attachLoop(): Promise<void> {
    while (!this.closed) {
      try {
        const who = this.location.shared
          ? `?project=${encodeURIComponent(this.location.project)}&root=${encodeURIComponent(this.o.paths.root)}`
          : "";
        await this.client.lines(`/v1/attach${who}`, (line) => this.onBatch(line), this.attachAbort.signal);
      } catch {
        /* the router went away */
      }
      if (this.closed) return;
      if (!(await exists(this.o.paths.dir))) {
        this.o.log(`${this.o.paths.dir} is gone: stopping`);
        this.closed = true;
        this.o.onOrphaned();
        return;
      }
      this.o.log("lost the router: restarting it");
      try {
        await this.ensureRouter();
        await this.resync();
      } catch (err) {
        this.o.log(`router restart: ${(err as Error).message}`);
        await sleep(RETRY_EVERY);
      }
    }
  }

  /** After a router restart: drop listeners the daemon no longer wants, resend the rest whole. */
  private async resync(): Promise<void> {
    const { state } = await this.client.get<{ state: RouterState }>("/v1/state");
    for (const key of Object.keys(state.listeners)) {
      if (!key.startsWith(this.prefix) || this.desired.has(key.slice(this.prefix.length))) continue;
      if (this.prefix === "" && key.includes(".")) continue;
      await this.client.delete(`/v1/listeners/${key}`).catch(() => undefined);
    }
    for (const key of this.desired.keys()) this.fullDirty.add(key);
    this.queueFlush();
  }

  private onBatch(line: string): void {
    const batch = JSON.parse(line) as { samples?: WireBatch; stats?: Record<string, RouterStats>; acme?: AcmeHostStatus[] };
    if (batch.acme) this.lastAcme = batch.acme;
    const n = this.prefix.length;
    if (batch.stats) this.lastStats = n ? Object.fromEntries(Object.entries(batch.stats).map(([k, v]) => [k.slice(n), v])) : batch.stats;
    if (batch.samples) {
      const samples = readBatch(batch.samples);
      if (n) for (const sample of samples) sample.listener = sample.listener.slice(n);
      this.o.onSamples(samples);
    }
  }
}

function routerClient(paths: StatePaths): ApiClient {
  return new ApiClient(paths.routerSocket, { name: "Slipway router", hint: `see ${paths.routerLog}` });
}

function sameLocation(a: RouterLocation, b: RouterLocation): boolean {
  return a.shared ? b.shared && a.root === b.root && a.project === b.project : !b.shared;
}

/** Where to connect for an address a listener is bound to. */
export function connectHost(host: string): string {
  return host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
}

function isUnreachable(err: unknown): boolean {
  return err instanceof SlipwayError && err.code === "DAEMON_UNAVAILABLE";
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
