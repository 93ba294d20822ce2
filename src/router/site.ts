import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { SlipwayError } from "../errors.js";
import { isToken } from "./cohort.js";
import { forward, type ProxyContext } from "./proxy.js";
import { noTargetReply } from "./replies.js";
import { RoutingTable } from "./table.js";
import { TargetPool } from "./target-pool.js";
import { TrustedProxies } from "./trusted-proxies.js";
import type { ResponseSample, RouteGroup, RouterStats, RoutingOptions } from "./types.js";
import { tunnel } from "./websocket.js";

/** Name used in the router's own replies when none is given. */
export const DEFAULT_APP_NAME = "app";

/**
 * One app behind the router: its routing table (groups, weights), its
 * targets' keep-alive pools, drain and canary settings. It owns no socket:
 * an `Entrypoint` (a listening address, plain or TLS) hands it the requests
 * for its host names. A `Router` is one entrypoint with one site.
 *
 * @example
 * const site = new Site("web");
 * site.setGroups([{ name: "r1", weight: 1, targets: [{ id: "web-1", host: "127.0.0.1", port: 4001 }] }]);
 * http.createServer((req, res) => site.handle(req, res, false));
 */
export class Site {
  private readonly pool = new TargetPool();
  private readonly ctx: ProxyContext;

  constructor(name: string = DEFAULT_APP_NAME, onResponse?: (sample: ResponseSample) => void) {
    this.ctx = {
      table: RoutingTable.empty(),
      requests: 0,
      name,
      routeHeader: null,
      stickyCookie: null,
      responseTimeout: 0,
      trustedProxies: null,
      hsts: null,
      noTarget: noTargetReply(name),
      onResponse,
    };
  }

  /** The app's name, as in the router's own replies. */
  get name(): string {
    return this.ctx.name;
  }

  /** Proxies one request (`secure`: the client came over TLS). */
  handle(req: IncomingMessage, res: ServerResponse, secure: boolean): void {
    forward(this.ctx, req, res, secure);
  }

  /** Tunnels one HTTP/1.1 upgrade (WebSocket). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, secure: boolean): void {
    tunnel(this.ctx, req, socket, head, secure);
  }

  /** Atomically replaces the routing table (see `Router.setGroups`). */
  setGroups(groups: RouteGroup[]): void {
    this.ctx.table = RoutingTable.build(groups, this.pool, this.ctx.table);
  }

  /**
   * Changes the settings for the requests that start from now on (see
   * `Router.configure`). Throws `SlipwayError` `CONFIG_INVALID` on an invalid
   * one, changing nothing.
   */
  configure(options: RoutingOptions): void {
    const { name, headerRoute, stickiness, responseTimeout, upstreamIdleTimeout, trustedProxies, hsts } = options;
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
    if (hsts && /[\r\n]/.test(hsts)) {
      throw new SlipwayError(
        "CONFIG_INVALID",
        `the router's Strict-Transport-Security value ${JSON.stringify(hsts)} is not a header value`,
      );
    }
    const ctx = this.ctx;
    if (headerRoute !== undefined) ctx.routeHeader = headerRoute === null ? null : headerRoute.header.toLowerCase();
    if (stickiness !== undefined) ctx.stickyCookie = stickiness === null ? null : stickiness.cookie;
    if (responseTimeout !== undefined) ctx.responseTimeout = responseTimeout;
    if (upstreamIdleTimeout !== undefined) this.pool.setIdleTimeout(upstreamIdleTimeout);
    if (trusted !== undefined) ctx.trustedProxies = trusted;
    if (hsts !== undefined) ctx.hsts = hsts || null;
    if (name !== undefined && name !== ctx.name) {
      ctx.name = name;
      ctx.noTarget = noTargetReply(name);
    }
  }

  /** Resolves once `targetId` has nothing in flight, or after `timeout` ms (see `Router.drain`). */
  drain(targetId: string, timeout: number): Promise<void> {
    const state = this.pool.get(targetId);
    return state === undefined ? Promise.resolve() : state.drain(timeout);
  }

  /** Requests and WebSockets in flight on `targetId` (0 if unknown). */
  inFlight(targetId: string): number {
    return this.pool.get(targetId)?.inFlight ?? 0;
  }

  /** Counters for status display. */
  stats(): RouterStats {
    const targets = this.pool.inFlight();
    let inFlight = 0;
    for (const id in targets) inFlight += targets[id] as number;
    return { requests: this.ctx.requests, groups: this.ctx.table.counts(), inFlight, targets, ejected: this.pool.ejected() };
  }

  /**
   * The site is gone from every entrypoint: no target gets new requests,
   * those in flight get up to `timeout` ms to finish, then every keep-alive
   * agent is destroyed.
   */
  async retire(timeout: number): Promise<void> {
    this.setGroups([]);
    await Promise.all(Object.keys(this.pool.inFlight()).map((id) => this.drain(id, timeout)));
    this.closeAll();
  }

  /** Destroys every keep-alive agent (nothing is in flight any more). */
  closeAll(): void {
    this.pool.closeAll();
  }
}
