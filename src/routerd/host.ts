import { CertificateStore, type CertificateFiles, type CertificateInfo } from "../router/certificates.js";
import { Entrypoint, type EntrypointRoute } from "../router/entrypoint.js";
import { Site } from "../router/site.js";
import type { RouteGroup, RouterStats } from "../router/types.js";
import { entrypointId as planId, planEntrypoints, type PlannedEntrypoint } from "./entrypoint-plan.js";
import { SampleBatch, type WireBatch } from "./sample-batch.js";
import { AcmeManager, type AcmeHostStatus } from "./acme.js";
import { projectOf, type AcmeSettings, type ListenerState, type RouterState } from "./state.js";

/** How long a removed listener's requests in flight on a shared address may finish. */
const REMOVED_DRAIN_MS = 30_000;
/** How often certificate files are checked for a change (a stat of each). */
export const CERTIFICATE_POLL_MS = 2_000;

export interface RouterHostOptions {
  /** Called with the whole state after every change (saved to disk). */
  onChange: (state: RouterState) => void;
  log?: (message: string) => void;
  /** Where automatic certificates are kept (`.slipway/acme`); absent: no ACME (listeners asking for it get none). */
  acmeDir?: string;
  /** ACME HTTP-01 key authorizations by token, answered on every plain address (the ACME manager's when `acmeDir` is set). */
  challenge?: (token: string) => string | undefined;
}

interface Bound {
  entrypoint: Entrypoint;
  bound: { host: string; port: number };
}

/**
 * The router process's listeners by key ("public", "preview"; in a shared
 * router "<project>/public"): each a `Site` (one app's table, pools, drain),
 * served on `Entrypoint`s (addresses, plain or TLS) it may share with other
 * listeners that name other hosts. Applying a state binds any new address
 * first and closes the ones no longer used after, so there is no listener gap;
 * a state that cannot be served (address in use, a host claimed twice, a
 * certificate that does not load) changes nothing.
 */
export class RouterHost {
  private readonly listeners = new Map<string, { site: Site; state: ListenerState }>();
  private readonly entrypoints = new Map<string, Bound>();
  /** Samples gathered until each project's daemon takes them, by project; while none reads, a batch fills and further ones are dropped. */
  private readonly samples = new Map<string, SampleBatch>();
  /** Every certificate this router serves, chosen by SNI on every TLS address. */
  readonly certificates: CertificateStore;
  /** Automatic certificates, when the router keeps them. */
  private readonly acme: AcmeManager | null;
  private readonly challenge: ((token: string) => string | undefined) | undefined;
  /** Applies run one at a time. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly poll: NodeJS.Timeout;

  constructor(private readonly o: RouterHostOptions) {
    const log = o.log ?? (() => undefined);
    this.certificates = new CertificateStore(log);
    this.acme = o.acmeDir === undefined ? null : new AcmeManager({ dir: o.acmeDir, store: this.certificates, log });
    this.challenge = this.acme?.challenge ?? o.challenge;
    // A renewed certificate (certbot, a secret manager) replaces the files: new connections get it, open ones keep theirs.
    this.poll = setInterval(() => void this.certificates.reload(), CERTIFICATE_POLL_MS).unref();
  }

  /** The whole state, as saved to disk. */
  state(): RouterState {
    const listeners: RouterState["listeners"] = {};
    for (const [key, l] of this.listeners) listeners[key] = l.state;
    return { listeners };
  }

  /** Where each listener's plain address is bound (and its TLS one, as `<key>:tls`). */
  bound(): Record<string, { host: string; port: number }> {
    const out: Record<string, { host: string; port: number }> = {};
    for (const [key, l] of this.listeners) {
      const plain = this.entrypoints.get(planId(false, l.state.listen));
      if (plain) out[key] = plain.bound;
      const tls = l.state.tls && this.entrypoints.get(planId(true, l.state.tls.listen));
      if (tls) out[`${key}:tls`] = tls.bound;
    }
    return out;
  }

  /** What each certificate served covers and until when. */
  certificateInfo(): CertificateInfo[] {
    return this.certificates.info();
  }

  /** Each automatic certificate's state (valid, pending, failed with what the CA said), or those of `project`'s hosts. */
  acmeStatus(project?: string): AcmeHostStatus[] {
    const all = this.acme?.status() ?? [];
    if (project === undefined) return all;
    const hosts = new Set<string>();
    for (const [key, l] of this.listeners) if (projectOf(key) === project) for (const h of l.state.hosts ?? []) hosts.add(h);
    return all.filter((s) => hosts.has(s.host));
  }

  /**
   * Serves `state` on listener `key`: binds its addresses (new ones first),
   * configures its site, installs its groups. Resolves with its plain
   * address as bound. Throws `SlipwayError` when it cannot be served,
   * leaving everything as it was.
   */
  apply(key: string, state: ListenerState, restoring = false): Promise<{ host: string; port: number }> {
    return this.serialized(async () => {
      const next = new Map([...this.listeners].map(([k, l]) => [k, l.state]));
      next.set(key, state);
      const plan = planEntrypoints(next);
      // Validate everything before changing anything: the options on a scratch site, the addresses, the certificate files.
      new Site(key).configure(state.options);
      const added = await this.bindNew(plan);
      try {
        // Restoring at start, a certificate file that is gone must not keep the app's addresses down: it is logged and retried.
        const onBad = restoring ? (e: Error) => this.o.log?.(`serving without it for now: ${e.message}`) : undefined;
        await this.certificates.setFiles(certificateFiles(next), onBad);
      } catch (err) {
        await this.unbind(added);
        throw err;
      }
      let l = this.listeners.get(key);
      if (l === undefined) {
        const project = projectOf(key);
        let batch = this.samples.get(project);
        if (batch === undefined) this.samples.set(project, (batch = new SampleBatch()));
        const samples = batch;
        const site = new Site(state.options.name, (s) => {
          if (s.target) samples.add(key, s.target, s.status, s.durationMs);
        });
        l = { site, state };
        this.listeners.set(key, l);
      }
      l.site.configure(state.options);
      l.site.setGroups(state.groups);
      l.state = state;
      await this.route(plan);
      this.syncAcme();
      this.o.onChange(this.state());
      return (this.entrypoints.get(planId(false, state.listen)) as Bound).bound;
    });
  }

  /** Replaces only the groups of listener `key` (the frequent case). */
  setGroups(key: string, groups: RouteGroup[]): boolean {
    const l = this.listeners.get(key);
    if (!l) return false;
    l.site.setGroups(groups);
    l.state = { ...l.state, groups };
    this.o.onChange(this.state());
    return true;
  }

  /** Stops listener `key`: its addresses close unless another listener uses them; its requests in flight finish. */
  remove(key: string): Promise<void> {
    return this.serialized(async () => {
      const l = this.listeners.get(key);
      if (!l) return;
      this.listeners.delete(key);
      const remaining = new Map([...this.listeners].map(([k, v]) => [k, v.state]));
      await this.route(planEntrypoints(remaining));
      await this.certificates.setFiles(certificateFiles(remaining)).catch(() => undefined);
      this.syncAcme();
      this.o.onChange(this.state());
      await l.site.retire(REMOVED_DRAIN_MS);
    });
  }

  drain(key: string, target: string, timeout: number): Promise<void> {
    return this.listeners.get(key)?.site.drain(target, timeout) ?? Promise.resolve();
  }

  /** Counters of every listener, or of `project`'s only. */
  stats(project?: string): Record<string, RouterStats> {
    const out: Record<string, RouterStats> = {};
    for (const [key, l] of this.listeners) if (project === undefined || projectOf(key) === project) out[key] = l.site.stats();
    return out;
  }

  /** Takes the samples of `project`'s listeners gathered since the last call (`null` when there are none). */
  takeSamples(project = ""): WireBatch | null {
    const batch = this.samples.get(project);
    return batch?.size ? batch.take() : null;
  }

  async close(): Promise<void> {
    clearInterval(this.poll);
    this.acme?.close();
    const entrypoints = [...this.entrypoints.values()];
    const sites = [...this.listeners.values()].map((l) => l.site);
    this.entrypoints.clear();
    this.listeners.clear();
    await Promise.all(entrypoints.map((e) => e.entrypoint.close()));
    for (const site of sites) site.closeAll();
  }

  /** Certificates for every host of every listener with `tls.acme` (the first listener naming a host decides its settings). */
  private syncAcme(): void {
    if (this.acme === null) return;
    const wanted = new Map<string, AcmeSettings>();
    for (const { state } of this.listeners.values()) {
      const settings = state.tls?.acme;
      if (!settings) continue;
      for (const host of state.hosts ?? []) if (!host.startsWith("*.") && !wanted.has(host)) wanted.set(host, settings);
    }
    this.acme.sync(wanted);
  }

  private serialized<T>(op: () => Promise<T>): Promise<T> {
    const run = this.chain.then(op, op);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Binds the planned entrypoints not bound yet and returns their ids; if one fails, closes those it bound and throws. */
  private async bindNew(plan: Map<string, PlannedEntrypoint>): Promise<string[]> {
    const added: string[] = [];
    try {
      for (const p of plan.values()) {
        if (this.entrypoints.has(p.id)) continue;
        const entrypoint = new Entrypoint({
          listen: p.listen,
          ...(p.secure ? { certificates: this.certificates } : { challenge: this.challenge }),
        });
        const bound = await entrypoint.listen();
        this.entrypoints.set(p.id, { entrypoint, bound });
        added.push(p.id);
      }
    } catch (err) {
      await this.unbind(added);
      throw err;
    }
    return added;
  }

  /** Closes entrypoints bound for an apply that failed (nothing was routed to them). */
  private async unbind(ids: string[]): Promise<void> {
    const closing = ids.map((id) => this.entrypoints.get(id)?.entrypoint.close());
    for (const id of ids) this.entrypoints.delete(id);
    await Promise.all(closing);
  }

  /** Points every planned entrypoint at its sites, then closes the entrypoints the plan no longer has. */
  private async route(plan: Map<string, PlannedEntrypoint>): Promise<void> {
    const routeOf = (key: string, p: PlannedEntrypoint): EntrypointRoute => {
      const redirect = p.redirects.get(key);
      const site = (this.listeners.get(key) as { site: Site }).site;
      return { site, redirectTo: redirect === undefined ? 0 : (this.entrypoints.get(redirect)?.bound.port ?? 0) };
    };
    for (const p of plan.values()) {
      const byHost = new Map<string, EntrypointRoute>();
      for (const [host, key] of p.byHost) byHost.set(host, routeOf(key, p));
      (this.entrypoints.get(p.id) as Bound).entrypoint.setRoutes(p.catchAll === null ? null : routeOf(p.catchAll, p), byHost);
    }
    const unused = [...this.entrypoints].filter(([id]) => !plan.has(id));
    for (const [id] of unused) this.entrypoints.delete(id);
    await Promise.all(unused.map(([, b]) => b.entrypoint.close()));
  }
}

/** Every certificate file of every listener, each pair once, in listener order. */
function certificateFiles(listeners: ReadonlyMap<string, ListenerState>): CertificateFiles[] {
  const seen = new Set<string>();
  const out: CertificateFiles[] = [];
  for (const state of listeners.values()) {
    for (const files of state.tls?.certificates ?? []) {
      const id = `${files.cert}\0${files.key}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(files);
    }
  }
  return out;
}
