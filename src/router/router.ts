import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { SlipwayError } from "../errors.js";
import { isToken } from "./cohort.js";
import { forward, type ProxyContext } from "./proxy.js";
import { noTargetReply, reply, type Reply } from "./replies.js";
import { RoutingTable } from "./table.js";
import { TargetPool } from "./target-pool.js";
import { TrustedProxies } from "./trusted-proxies.js";
import type { HeaderRoute, ResponseSample, RouteGroup, RouterStats, RoutingOptions, Stickiness, Traffic } from "./types.js";
import { tunnel } from "./websocket.js";

/** Name used in the router's own replies when none is given. */
export const DEFAULT_APP_NAME = "app";

/** While closing, idle client keep-alive connections are closed this often. */
const CLOSE_SWEEP_MS = 100;

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
}

/**
 * Slipway's built-in HTTP/1.1 reverse proxy, in front of an app's instances.
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
  private readonly server: http.Server;
  private readonly pool = new TargetPool();
  private readonly ctx: ProxyContext;
  private readonly address: { host: string; port: number };
  private closing: Promise<void> | null = null;

  constructor(options: RouterOptions) {
    const name = options.name ?? DEFAULT_APP_NAME;
    const ctx: ProxyContext = {
      table: RoutingTable.empty(),
      requests: 0,
      name,
      routeHeader: null,
      stickyCookie: null,
      responseTimeout: 0,
      trustedProxies: null,
      noTarget: noTargetReply(name),
      onResponse: options.onResponse,
    };
    this.ctx = ctx;
    this.configure({ headerRoute: options.headerRoute ?? null, stickiness: options.stickiness ?? null });
    this.address = options.listen;
    this.server = http.createServer((req, res) => forward(ctx, req, res));
    this.server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => tunnel(ctx, req, socket, head));
    this.server.on("clientError", onClientError);
  }

  /**
   * Starts accepting connections; resolves with the bound address.
   *
   * @example
   * const { port } = await new Router({ listen: { host: "127.0.0.1", port: 0 } }).listen();
   */
  listen(): Promise<{ host: string; port: number }> {
    const { host, port } = this.address;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(
          new SlipwayError("CONFIG_INVALID", `the router cannot listen on ${host}:${port} (${err.code ?? err.message})`, {
            hint: err.code === "EADDRINUSE" ? "another process uses this port: stop it or change `listen` in slipway.yaml" : undefined,
            cause: err,
          }),
        );
      };
      this.server.once("error", onError);
      this.server.listen(port, host, () => {
        this.server.off("error", onError);
        const bound = this.server.address() as AddressInfo;
        resolve({ host: bound.address, port: bound.port });
      });
    });
  }

  /**
   * Stops accepting connections, lets in-flight requests finish (closing each
   * keep-alive connection once idle), destroys open WebSockets, then the
   * upstream agents. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const server = this.server;
      if (!server.listening) {
        this.pool.closeAll();
        resolve();
        return;
      }
      const sweep = setInterval(() => server.closeIdleConnections(), CLOSE_SWEEP_MS);
      server.close(() => {
        clearInterval(sweep);
        this.pool.closeAll();
        resolve();
      });
      server.closeIdleConnections();
      this.pool.closeTunnels();
    });
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
    this.ctx.table = RoutingTable.build(groups, this.pool, this.ctx.table);
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
    const { name, headerRoute, stickiness, responseTimeout, upstreamIdleTimeout, trustedProxies } = options;
    if (responseTimeout !== undefined && !(Number.isInteger(responseTimeout) && responseTimeout >= 0)) {
      throw new SlipwayError("CONFIG_INVALID", `the router's response timeout ${String(responseTimeout)} is not a number of ms`, {
        hint: "use a duration like 60s (0 waits forever)",
      });
    }
    if (upstreamIdleTimeout !== undefined && !(Number.isInteger(upstreamIdleTimeout) && upstreamIdleTimeout >= 0)) {
      throw new SlipwayError("CONFIG_INVALID", `the router's upstream idle timeout ${String(upstreamIdleTimeout)} is not a number of ms`, {
        hint: "use a duration below the app's keep-alive timeout, like 1s",
      });
    }
    let trusted: TrustedProxies | null | undefined;
    try {
      if (trustedProxies !== undefined) trusted = trustedProxies.length === 0 ? null : new TrustedProxies(trustedProxies);
    } catch (err) {
      throw new SlipwayError("CONFIG_INVALID", `the router's trusted proxy ${(err as Error).message}`, { cause: err });
    }
    if (headerRoute && !isToken(headerRoute.header)) {
      throw new SlipwayError("CONFIG_INVALID", `the router's route header ${JSON.stringify(headerRoute.header)} is not a header name`, {
        hint: "use letters, digits and dashes, like X-Slipway-Route",
      });
    }
    if (stickiness && !isToken(stickiness.cookie)) {
      throw new SlipwayError("CONFIG_INVALID", `the router's cohort cookie ${JSON.stringify(stickiness.cookie)} is not a cookie name`, {
        hint: "use letters, digits, dashes and underscores, like slipway_cohort",
      });
    }
    if (headerRoute !== undefined) this.ctx.routeHeader = headerRoute === null ? null : headerRoute.header.toLowerCase();
    if (stickiness !== undefined) this.ctx.stickyCookie = stickiness === null ? null : stickiness.cookie;
    if (responseTimeout !== undefined) this.ctx.responseTimeout = responseTimeout;
    if (upstreamIdleTimeout !== undefined) this.pool.setIdleTimeout(upstreamIdleTimeout);
    if (trusted !== undefined) this.ctx.trustedProxies = trusted;
    if (name !== undefined && name !== this.ctx.name) {
      this.ctx.name = name;
      this.ctx.noTarget = noTargetReply(name);
    }
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
    const state = this.pool.get(targetId);
    return state === undefined ? Promise.resolve() : state.drain(timeout);
  }

  /** Requests and WebSockets in flight on `targetId` (0 if unknown). */
  inFlight(targetId: string): number {
    return this.pool.get(targetId)?.inFlight ?? 0;
  }

  /**
   * Counters for status display.
   *
   * @example
   * router.stats(); // { requests: 1200, groups: { r1: 1080, r2: 120 }, inFlight: 3, targets: { "web-1": 2, ... }, ejected: [] }
   */
  stats(): RouterStats {
    const targets = this.pool.inFlight();
    let inFlight = 0;
    for (const id in targets) inFlight += targets[id] as number;
    return { requests: this.ctx.requests, groups: this.ctx.table.counts(), inFlight, targets, ejected: this.pool.ejected() };
  }
}

const BAD_REQUEST: Reply = reply(400, "slipway: bad request\n");
const HEADERS_TOO_LARGE: Reply = reply(431, "slipway: request headers too large\n");
const REQUEST_TIMEOUT: Reply = reply(408, "slipway: request timeout\n");

/** A malformed request or a client that stalled: answer it if nothing was sent yet, then close. */
function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // Node's own handler checks the same thing: never write into a response in progress.
  const inProgress = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === "ECONNRESET" || !socket.writable || inProgress?.headersSent) {
    socket.destroy();
    return;
  }
  const answer =
    err.code === "HPE_HEADER_OVERFLOW" ? HEADERS_TOO_LARGE : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? REQUEST_TIMEOUT : BAD_REQUEST;
  socket.end(answer.raw);
  socket.once("finish", () => socket.destroy());
}
