import type { CertificateStore } from "./certificates.js";
import { Entrypoint } from "./entrypoint.js";
import { DEFAULT_APP_NAME, Site } from "./site.js";
import type { HeaderRoute, ResponseSample, RouteGroup, RouterStats, RoutingOptions, Stickiness, Traffic } from "./types.js";

export { DEFAULT_APP_NAME } from "./site.js";

export interface RouterOptions {
  /** Where clients connect (the app's public port). Port 0 picks a free one. */
  listen: { host: string; port: number };
  /** The app's name, shown in the 503/502 bodies. */
  name?: string;
  /** Optional routing by header (e.g. send testers to the canary group); see `configure`. */
  headerRoute?: HeaderRoute | null;
  /** Optional cookie stickiness (a client stays on one group); see `configure`. */
  stickiness?: Stickiness | null;
  /** Called once per completed request: cheap metrics for canary analysis. */
  onResponse?: (sample: ResponseSample) => void;
  /** Serve HTTPS (HTTP/2 and HTTP/1.1) with these certificates instead of plain HTTP/1.1. */
  certificates?: CertificateStore;
}

/**
 * Slipway's built-in reverse proxy, in front of an app's instances: plain
 * HTTP/1.1, or HTTPS (HTTP/2 and HTTP/1.1) with `certificates`; one
 * `Entrypoint` (the socket) serving one `Site` (the app). The router process
 * composes several of each instead (src/routerd/host.ts).
 * Routes by smooth weighted round-robin between groups (releases) and least
 * in-flight within a group (or, optionally, by route header and by a sticky
 * cohort cookie: see `configure`), keeps a keep-alive agent per instance, tunnels
 * WebSockets, retries refused connections on another instance, and drains
 * removed instances. It never answers any path itself except with a 503
 * (no ready instance) or a 502 (instance failed).
 *
 * @example
 * const router = new Router({ listen: { host: "0.0.0.0", port: 8080 }, name: "web" });
 * await router.listen();
 * router.setGroups([{ name: "r1", weight: 1, targets: [{ id: "web-1", host: "127.0.0.1", port: 4001 }] }]);
 * // deploy r2, then:
 * router.setGroups([{ name: "r2", weight: 1, targets: [{ id: "web-2", host: "127.0.0.1", port: 4002 }] }]);
 * await router.drain("web-1", 30_000);
 * await router.close();
 */
export class Router implements Traffic {
  private readonly entrypoint: Entrypoint;
  private readonly site: Site;
  private closing: Promise<void> | null = null;

  constructor(options: RouterOptions) {
    this.site = new Site(options.name ?? DEFAULT_APP_NAME, options.onResponse);
    this.configure({ headerRoute: options.headerRoute ?? null, stickiness: options.stickiness ?? null });
    this.entrypoint = new Entrypoint({ listen: options.listen, certificates: options.certificates });
    this.entrypoint.setRoutes({ site: this.site, redirectTo: 0 }, new Map());
  }

  /**
   * Starts accepting connections; resolves with the bound address.
   *
   * @example
   * const { port } = await new Router({ listen: { host: "127.0.0.1", port: 0 } }).listen();
   */
  listen(): Promise<{ host: string; port: number }> {
    return this.entrypoint.listen();
  }

  /**
   * Stops accepting connections, lets in-flight requests finish (closing each
   * keep-alive connection once idle), destroys open WebSockets, then the
   * upstream agents. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= this.entrypoint.close().then(() => this.site.closeAll());
    return this.closing;
  }

  /**
   * Atomically replaces the routing table. Targets no longer listed get no
   * new requests; what they have in flight finishes (see `drain`).
   *
   * @example
   * router.setGroups([
   *   { name: "r1", weight: 90, targets: stable },
   *   { name: "r2", weight: 10, targets: canary },
   * ]);
   */
  setGroups(groups: RouteGroup[]): void {
    this.site.setGroups(groups);
  }

  /**
   * Changes the app's name (in the router's own replies), the canary settings and the response timeout (ms to wait for an
   * instance's response headers before answering 504; 0 waits forever) for
   * the requests that start from now on (the daemon keeps one router across releases). A missing key leaves
   * that feature as it is; `null` switches it off: the route header is then
   * forwarded with no routing effect, and the cohort cookie is neither read
   * nor set. Throws `SlipwayError` `CONFIG_INVALID` on a name that is not an
   * HTTP token, changing nothing.
   *
   * @example
   * router.configure({ headerRoute: { header: "X-Slipway-Route" }, stickiness: { cookie: "slipway_cohort" } });
   * router.setGroups([
   *   { name: "canary", weight: 10, targets: canary }, // first: cohorts 0-999
   *   { name: "stable", weight: 90, targets: stable },
   * ]);
   * router.configure({ stickiness: null }); // after promotion
   */
  configure(options: RoutingOptions): void {
    this.site.configure(options);
  }

  /**
   * Resolves once `targetId` has no request or WebSocket in flight, or after
   * `timeout` ms; then destroys its keep-alive agent. At the timeout its
   * WebSockets are destroyed and, if it is no longer routed, so are its
   * remaining HTTP requests. Resolves at once for an unknown target.
   *
   * @example
   * router.setGroups(withoutOld);
   * await router.drain("web-1", 30_000);
   */
  drain(targetId: string, timeout: number): Promise<void> {
    return this.site.drain(targetId, timeout);
  }

  /** Requests and WebSockets in flight on `targetId` (0 if unknown). */
  inFlight(targetId: string): number {
    return this.site.inFlight(targetId);
  }

  /**
   * Counters for status display.
   *
   * @example
   * router.stats(); // { requests: 1200, groups: { r1: 1080, r2: 120 }, inFlight: 3, targets: { "web-1": 2, ... }, ejected: [] }
   */
  stats(): RouterStats {
    return this.site.stats();
  }
}
