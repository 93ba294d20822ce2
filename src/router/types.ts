/**
 * The traffic seam. The router (src/router/router.ts) implements it for the
 * embedded default; other traffic layers can implement the same calls.
 */
export interface Target {
  /** Instance id. */
  id: string;
  host: string;
  port: number;
}

/** A set of targets that shares one weight; a release, usually. */
export interface RouteGroup {
  name: string;
  weight: number;
  targets: Target[];
}

export interface Traffic {
  /** Atomically replace the routing table. Removed targets drain. */
  setGroups(groups: RouteGroup[]): void;
  /** Resolves when the target has no in-flight requests, or after `timeout` ms. */
  drain(targetId: string, timeout: number): Promise<void>;
}

/**
 * One completed proxied request, handed to the router's `onResponse` hook
 * (cheap metrics for canary analysis). `group` and `target` are "" when the
 * router answered itself (503, no ready instance). `status` is 499 when the
 * client went away first and 502 when the instance failed mid-response.
 */
export interface ResponseSample {
  group: string;
  target: string;
  status: number;
  durationMs: number;
}

/**
 * Route by header: a request carrying `header` (any case) whose value
 * (trimmed, exact) names a group with targets goes to that group, whatever
 * its weight (weight 0 included) and whatever its cohort. Other requests, or
 * a value naming no usable group, use stickiness or the weights. The header
 * is forwarded.
 */
export interface HeaderRoute {
  header: string;
}

/**
 * Cookie stickiness: every client carries a cohort in cookie `cookie` (its
 * bucket in [0, 10000), set by the router on the first response) and is
 * routed by that bucket's place in the groups' weight ranges, in table
 * order, so it stays on one group while the weights stand.
 */
export interface Stickiness {
  cookie: string;
}

/**
 * The router's canary settings, changed at run time by `Router.configure`:
 * a missing key leaves that feature as it is, `null` switches it off.
 */
export interface RoutingOptions {
  /** The app's name in the router's own 503/502/504 bodies. */
  name?: string;
  headerRoute?: HeaderRoute | null;
  stickiness?: Stickiness | null;
  /** Ms to wait for an instance's response headers before answering 504 (0: wait forever). */
  responseTimeout?: number;
  /**
   * Ms an idle keep-alive socket to an instance stays pooled (`router.upstreamIdleTimeout`,
   * default 1000); lowered below an instance's own `Keep-Alive: timeout=N`. 0: no reuse.
   */
  upstreamIdleTimeout?: number;
  /**
   * IP addresses and CIDR blocks of proxies in front of the router (`router.trustedProxies`,
   * default none) whose X-Forwarded-For/-Proto/-Host, X-Real-IP and Forwarded are kept.
   */
  trustedProxies?: readonly string[];
  /**
   * Strict-Transport-Security value added to responses over TLS (`router.tls.hsts`)
   * unless the instance sent its own; null or "" sends none.
   */
  hsts?: string | null;
}

/** Counters for status display. */
export interface RouterStats {
  /** Every request and upgrade the router answered, 503s included. */
  requests: number;
  /** Requests routed to each group of the current table, by group name. */
  groups: Record<string, number>;
  /** Open requests and WebSockets across all targets. */
  inFlight: number;
  /** Open requests and WebSockets per target id (draining ones included). */
  targets: Record<string, number>;
  /** Ids of targets ejected now by passive health (they refused connections), sorted. */
  ejected: string[];
}
