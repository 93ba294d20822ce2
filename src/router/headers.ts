/**
 * Header rewriting between client and instance, on flat raw-header arrays
 * (`[name, value, name, value, ...]`, as `message.rawHeaders`): one pass, names
 * keep their case, repeated headers stay repeated.
 */

import { cohortFromCookie } from "./cohort.js";
import type { TrustedProxies } from "./trusted-proxies.js";

/** What the request scan learns besides the headers to send. */
export interface RequestHead {
  /** The request has a body to stream (Content-Length > 0 or Transfer-Encoding). */
  hasBody: boolean;
  /** Value of the header-route header (trimmed), if configured and present. */
  route: string | undefined;
  /** Sticky bucket from the cohort cookie, if stickiness is on and the cookie valid; else -1. */
  cohort: number;
  /** Index in the output of a Host value to fill with the target's address (client sent none), or -1. */
  hostIndex: number;
  /** The client's Host, if it sent one. */
  host: string | undefined;
  /** More than one Host header: the router answers 400. */
  badHost: boolean;
  /** The request asks to upgrade to cleartext HTTP/2 (`Upgrade: h2c`), which the router never does. */
  h2c: boolean;
  /** Input, set by the caller: the client connected over TLS (`X-Forwarded-Proto: https`). */
  secure?: boolean;
}

/** What the request scan looks for besides hop-by-hop headers (the router's canary settings). */
export interface HeaderScan {
  /** Lower-case name of the header-route header, or null (off). */
  readonly routeHeader: string | null;
  /** Name of the cohort cookie, or null (stickiness off: the Cookie header is not parsed). */
  readonly stickyCookie: string | null;
  /** Peers whose X-Forwarded-*, X-Real-IP and Forwarded are kept (and X-Forwarded-For appended to); null: none. */
  readonly trustedProxies: TrustedProxies | null;
}

/** Neither feature on, no trusted proxy. */
export const NO_SCAN: HeaderScan = { routeHeader: null, stickyCookie: null, trustedProxies: null };

const X_FORWARDED_FOR = "x-forwarded-for";
const X_FORWARDED_HOST = "x-forwarded-host";
const X_FORWARDED_PROTO = "x-forwarded-proto";
const X_REAL_IP = "x-real-ip";
const PROTO_HTTP = "http";
const PROTO_HTTPS = "https";
const H2C = /(?:^|,)\s*h2c\s*(?:,|$)/i;

/**
 * Builds the headers to send upstream: hop-by-hop headers dropped (those
 * named in Connection too), `X-Forwarded-For`, `-Proto`, `-Host` and
 * `X-Real-IP` set from the connection, `Forwarded` dropped, Host kept as
 * sent. From a trusted proxy (`scan.trustedProxies`) the incoming
 * `X-Forwarded-For` is appended to and the other three and `Forwarded` are
 * kept when present. With `upgrade`, Connection and Upgrade are re-added so
 * the instance sees the upgrade request (never an `h2c` one).
 *
 * @example
 * const head = { hasBody: false, route: undefined, cohort: -1, hostIndex: -1, host: undefined, badHost: false, h2c: false };
 * requestHeaders(["Host", "a.test", "Connection", "keep-alive"], "10.0.0.9", NO_SCAN, head, false);
 * // ["Host", "a.test", "x-forwarded-for", "10.0.0.9", "x-forwarded-host", "a.test", "x-forwarded-proto", "http", "x-real-ip", "10.0.0.9"]
 */
export function requestHeaders(
  raw: readonly string[],
  remoteAddress: string | undefined,
  scan: HeaderScan,
  head: RequestHead,
  upgrade: boolean,
): string[] {
  const routeHeader = scan.routeHeader;
  const stickyCookie = scan.stickyCookie;
  const trusted = scan.trustedProxies !== null && scan.trustedProxies.has(remoteAddress);
  const out: string[] = [];
  let host: string | undefined;
  let forwardedFor: string | undefined;
  let forwardedHost: string | undefined;
  let forwardedProto: string | undefined;
  let realIp: string | undefined;
  let connection: string | undefined;
  let upgradeTo: string | undefined;
  let chunked = false;
  head.hasBody = false;
  head.route = undefined;
  head.cohort = -1;
  head.hostIndex = -1;
  head.badHost = false;
  head.h2c = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    switch (lower) {
      case "host":
        if (host !== undefined) head.badHost = true;
        host = value;
        break;
      case "content-length":
        if (value !== "0") head.hasBody = true;
        break;
      case "transfer-encoding":
        head.hasBody = true;
        chunked = true;
        continue;
      case "connection":
        connection = connection === undefined ? value : `${connection}, ${value}`;
        continue;
      case "upgrade":
        upgradeTo = value;
        if (H2C.test(value)) head.h2c = true;
        continue;
      case X_FORWARDED_FOR:
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        continue;
      case X_FORWARDED_HOST:
        forwardedHost ??= value;
        continue;
      case X_FORWARDED_PROTO:
        forwardedProto ??= value;
        continue;
      case X_REAL_IP:
        realIp ??= value;
        continue;
      case "forwarded":
        if (trusted) break;
        continue;
      case "keep-alive":
      case "te":
      case "trailer":
        continue;
      default:
        if (isProxyHeader(lower)) continue;
        if (lower === routeHeader) head.route = value.trim();
        else if (stickyCookie !== null && head.cohort < 0 && lower === "cookie") head.cohort = cohortFromCookie(value, stickyCookie);
    }
    out.push(name, value);
  }
  head.host = host;
  if (connection !== undefined && !isPlainConnection(connection)) dropConnectionTokens(out, connection);
  if (chunked) out.push("transfer-encoding", "chunked");
  if (!trusted) forwardedFor = undefined;
  if (remoteAddress !== undefined) {
    out.push(X_FORWARDED_FOR, forwardedFor === undefined ? remoteAddress : `${forwardedFor}, ${remoteAddress}`);
  } else if (forwardedFor !== undefined) {
    out.push(X_FORWARDED_FOR, forwardedFor);
  }
  if (trusted && forwardedHost !== undefined) out.push(X_FORWARDED_HOST, forwardedHost);
  if (host === undefined) {
    out.push("host", "");
    head.hostIndex = out.length - 1;
  } else if (!trusted || forwardedHost === undefined) {
    out.push(X_FORWARDED_HOST, host);
  }
  out.push(X_FORWARDED_PROTO, trusted && forwardedProto !== undefined ? forwardedProto : head.secure === true ? PROTO_HTTPS : PROTO_HTTP);
  if (trusted && realIp !== undefined) out.push(X_REAL_IP, realIp);
  else if (remoteAddress !== undefined) out.push(X_REAL_IP, remoteAddress);
  if (upgrade && upgradeTo !== undefined && !head.h2c) out.push("connection", "Upgrade", "upgrade", upgradeTo);
  return out;
}

/**
 * An HTTP/2 request's raw headers in HTTP/1.1 form, for an instance spoken
 * to over HTTP/1.1: `:authority` becomes Host, the other pseudo-headers go
 * (the method and path travel apart), and the cookie crumbs HTTP/2 allows
 * are joined into one Cookie header with "; " (RFC 9113, 8.2.3).
 *
 * @example
 * fromHttp2([":method", "GET", ":authority", "a.test", ":path", "/", "cookie", "a=1", "cookie", "b=2"]);
 * // ["Host", "a.test", "cookie", "a=1; b=2"]
 */
export function fromHttp2(raw: readonly string[]): string[] {
  const out: string[] = [];
  let cookieAt = -1;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (name.charCodeAt(0) === 58 /* ":" */) {
      if (name === ":authority") out.push("Host", value);
      continue;
    }
    if (name === "cookie") {
      if (cookieAt >= 0) {
        out[cookieAt] = `${out[cookieAt] as string}; ${value}`;
        continue;
      }
      cookieAt = out.length + 1;
    }
    out.push(name, value);
  }
  return out;
}

/**
 * The instance's response headers minus hop-by-hop ones; Node's server adds
 * its own Connection, Keep-Alive and Transfer-Encoding for the client.
 *
 * @example
 * responseHeaders(["Content-Type", "text/plain", "Connection", "keep-alive", "Keep-Alive", "timeout=5"]);
 * // ["Content-Type", "text/plain"]
 */
export function responseHeaders(raw: readonly string[]): string[] {
  const out: string[] = [];
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    switch (lower) {
      case "connection":
        connection = connection === undefined ? value : `${connection}, ${value}`;
        continue;
      case "keep-alive":
      case "transfer-encoding":
      case "te":
      case "trailer":
      case "upgrade":
        continue;
      default:
        if (isProxyHeader(lower)) continue;
    }
    out.push(name, value);
  }
  if (connection !== undefined && !isPlainConnection(connection)) dropConnectionTokens(out, connection);
  return out;
}

/** The common Connection values name no other header: skip the token scan. */
function isPlainConnection(value: string): boolean {
  return value === "keep-alive" || value === "close" || value === "Keep-Alive" || value === "Upgrade" || value === "upgrade";
}

function isProxyHeader(lower: string): boolean {
  // "proxy-" : 'p' is 112
  return lower.length > 6 && lower.charCodeAt(0) === 112 && lower.startsWith("proxy-");
}

/** Connection tokens that name no header to drop (or one Slipway must keep for framing). */
const KEPT_TOKENS = new Set(["", "keep-alive", "close", "upgrade", "host", "content-length"]);

/** Remove, in place, headers named by Connection tokens other than the usual ones. */
function dropConnectionTokens(out: string[], connection: string): void {
  let named: Set<string> | undefined;
  for (const token of connection.split(",")) {
    const lower = token.trim().toLowerCase();
    if (KEPT_TOKENS.has(lower)) continue;
    (named ??= new Set()).add(lower);
  }
  if (named === undefined) return;
  let w = 0;
  for (let r = 0; r < out.length; r += 2) {
    const name = out[r] as string;
    if (named.has(name.toLowerCase())) continue;
    out[w] = name;
    out[w + 1] = out[r + 1] as string;
    w += 2;
  }
  out.length = w;
}
