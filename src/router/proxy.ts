import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { newCohort } from "./cohort.js";
import { connectFailed } from "./ejection.js";
import { fromHttp2, requestHeaders, responseHeaders, type RequestHead } from "./headers.js";
import { badGatewayReply, badRequestReply, gatewayTimeoutReply, type Reply } from "./replies.js";
import { originForm } from "./request-target.js";
import type { GroupState, Choice, RoutingTable } from "./table.js";
import type { TargetState } from "./target-pool.js";
import type { TrustedProxies } from "./trusted-proxies.js";
import type { ResponseSample } from "./types.js";

/** What the forwarding code needs from the router; the router owns it. */
export interface ProxyContext {
  /** The current routing table, swapped whole by `setGroups`. */
  table: RoutingTable;
  /** Requests and upgrades answered, for stats. */
  requests: number;
  /** The app's name, for the router's own replies. Set by `Router.configure`. */
  name: string;
  /** Lower-case header-route header name, or null (off). Set by `Router.configure`. */
  routeHeader: string | null;
  /** Cohort cookie name, or null (stickiness off). Set by `Router.configure`. */
  stickyCookie: string | null;
  /** Ms to wait for response headers before a 504 (0: no limit). Set by `Router.configure`. */
  responseTimeout: number;
  /** Peers whose X-Forwarded-* and X-Real-IP are kept (null: none). Set by `Router.configure`. */
  trustedProxies: TrustedProxies | null;
  /** Strict-Transport-Security value added to responses over TLS the instance sent none in (null: none). Set by `Router.configure`. */
  hsts: string | null;
  /** The 503 for `name`, precomputed. */
  noTarget: Reply;
  readonly onResponse: ((sample: ResponseSample) => void) | undefined;
}

/** Attempts per request: the first one and up to two retries on other targets. */
export const MAX_ATTEMPTS = 3;

/** Body bytes an idempotent request keeps for a replay after a reused socket failed; past this it is not replayed. */
export const REPLAY_BODY_LIMIT = 64 * 1024;

/** RFC 9110 idempotent methods: safe to send twice. */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

const kExchange = Symbol("slipway.exchange");
type Tagged<T> = T & { [kExchange]: Exchange };

/**
 * One client request and its upstream attempts. Event handlers are
 * module-level functions that find their exchange through a symbol on the
 * emitter, so the hot path creates no closures.
 */
class Exchange implements Choice, RequestHead {
  group: GroupState | null = null;
  target: TargetState | null = null;
  hasBody = false;
  route: string | undefined = undefined;
  cohort = -1;
  hostIndex = -1;
  host: string | undefined = undefined;
  badHost = false;
  h2c = false;
  /** The client connected over TLS. */
  readonly secure: boolean;
  /** The client speaks HTTP/2 (no status message, no connection headers). */
  readonly h2: boolean;
  /** Set-Cookie value giving the client a new cohort, or null. */
  setCookie: string | null = null;
  headers: string[];
  /** Origin-form request target sent upstream. */
  path: string;
  /** The next attempt goes on a new connection, not a pooled one. */
  fresh = false;
  /** The one retry after a reused pooled socket failed was spent. */
  freshTried = false;
  /** Some of the request body was handed to an instance's connection. */
  bodySent = false;
  /** Body chunks kept for a replay (idempotent methods, up to REPLAY_BODY_LIMIT), else null. */
  replay: Buffer[] | null = null;
  replayBytes = 0;
  bodyTracked = false;
  upstream: ClientRequest | null = null;
  /** The instance's response, once it started. */
  response: IncomingMessage | null = null;
  attempts = 0;
  skipA: TargetState | null = null;
  skipB: TargetState | null = null;
  targetId = "";
  status = 0;
  /** The instance sent response headers. */
  responded = false;
  /** The instance failed after responding; the client got a truncated body. */
  broken = false;
  /** The client side is closed (response sent or client gone). */
  finished = false;
  /** Fires the 504 when no response headers came within `ctx.responseTimeout` (from the first attempt). */
  timer: NodeJS.Timeout | null = null;
  readonly started: number;
  readonly ctx: ProxyContext;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;

  constructor(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, secure: boolean) {
    this.ctx = ctx;
    this.req = req;
    this.res = res;
    this.secure = secure;
    this.h2 = req.httpVersionMajor === 2;
    this.started = ctx.onResponse === undefined ? 0 : performance.now();
    this.headers = requestHeaders(this.h2 ? fromHttp2(req.rawHeaders) : req.rawHeaders, req.socket.remoteAddress, ctx, this, false);
    // HTTP/2 frames the body itself: a request with neither length nor END_STREAM on its headers has one, sent on chunked.
    if (this.h2 && !this.hasBody && !(req as unknown as Http2ServerRequest).stream.endAfterHeaders) {
      this.hasBody = true;
      this.headers.push("transfer-encoding", "chunked");
    }
    this.path = req.url as string;
  }
}

/**
 * Forwards one HTTP request to a target of the current table: streams the
 * body both ways, retries on another target when it is safe (in the same
 * group first), gives a client without a cohort one when stickiness is on, answers 503
 * when no target is ready and 502 when the target failed before responding.
 * `secure`: the client connected over TLS (HTTP/1.1 or, through Node's
 * compatibility API, HTTP/2).
 *
 * @example
 * http.createServer((req, res) => forward(ctx, req, res, false));
 */
export function forward(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, secure: boolean): void {
  ctx.requests++;
  const ex = new Exchange(ctx, req, res, secure);
  (res as Tagged<ServerResponse>)[kExchange] = ex;
  res.on("close", onClientClose);
  const path = ex.badHost ? null : originForm(ex.path, ex.host);
  if (path === null) {
    res.shouldKeepAlive = false; // what follows on this connection cannot be trusted either
    answer(ex, BAD_HOST);
    return;
  }
  ex.path = path;
  if (ex.hasBody) {
    (req as Tagged<IncomingMessage>)[kExchange] = ex;
    if (IDEMPOTENT.has(req.method as string)) ex.replay = [];
  }
  if (ctx.stickyCookie !== null && ex.cohort < 0) ex.setCookie = newCohort(ex, ctx.stickyCookie);
  if (ctx.table.pick(ex, ex.route, ex.cohort)) send(ex);
  else answer(ex, ctx.noTarget);
}

function send(ex: Exchange): void {
  const target = ex.target as TargetState;
  target.acquire();
  ex.attempts++;
  ex.targetId = target.id;
  if (ex.hostIndex >= 0) ex.headers[ex.hostIndex] = target.authority;
  let up: Tagged<ClientRequest>;
  try {
    up = http.request({
      host: target.host,
      port: target.port,
      method: ex.req.method,
      path: ex.path,
      headers: ex.headers,
      agent: ex.fresh ? false : target.agent,
    }) as Tagged<ClientRequest>;
    ex.fresh = false;
  } catch {
    ex.target = null;
    target.release();
    answer(ex, badGatewayReply(ex.ctx.name, target.id, "EINVALID"));
    return;
  }
  up[kExchange] = ex;
  ex.upstream = up;
  if (ex.timer === null && ex.ctx.responseTimeout > 0) ex.timer = setTimeout(onResponseTimeout, ex.ctx.responseTimeout, ex);
  up.on("response", onUpstreamResponse);
  up.on("error", onUpstreamError);
  if (ex.hasBody) up.on("socket", onUpstreamSocket);
  else up.end();
}

/** The request body is streamed only once connected, so a refused connection leaves it intact for a retry. */
function onUpstreamSocket(this: Tagged<ClientRequest>, socket: Socket): void {
  if (socket.connecting) socket.once("connect", startBody.bind(null, this));
  else startBody(this);
}

function startBody(up: Tagged<ClientRequest>): void {
  const ex = up[kExchange];
  if (ex.upstream !== up || ex.finished) return;
  if (!ex.bodyTracked) {
    ex.bodyTracked = true;
    ex.req.on("data", onBodyData);
  } else if (ex.bodySent) {
    // A replay: what was already read from the client first (kept in `replay`), then the rest.
    if (ex.replay === null) {
      up.destroy();
      return;
    }
    for (const chunk of ex.replay) up.write(chunk);
  }
  ex.req.pipe(up);
}

/** Runs before `pipe` writes the chunk upstream: from now on the body was (partly) sent. */
function onBodyData(this: Tagged<IncomingMessage>, chunk: Buffer): void {
  const ex = this[kExchange];
  ex.bodySent = true;
  if (ex.replay === null) return;
  ex.replayBytes += chunk.length;
  if (ex.replayBytes > REPLAY_BODY_LIMIT) ex.replay = null;
  else ex.replay.push(chunk);
}

function onUpstreamResponse(this: Tagged<ClientRequest>, upRes: IncomingMessage): void {
  const ex = this[kExchange];
  if (ex.upstream !== this || ex.finished) {
    this.destroy();
    return;
  }
  ex.responded = true;
  ex.target?.succeeded();
  clearTimer(ex);
  const status = upRes.statusCode as number;
  try {
    const headers = responseHeaders(upRes.rawHeaders);
    if (ex.setCookie !== null) headers.push("Set-Cookie", ex.setCookie);
    if (ex.secure && ex.ctx.hsts !== null && upRes.headers["strict-transport-security"] === undefined) {
      headers.push("strict-transport-security", ex.ctx.hsts);
    }
    if (ex.h2) ex.res.writeHead(status, headers);
    else ex.res.writeHead(status, upRes.statusMessage, headers);
  } catch {
    this.destroy();
    answer(ex, badGatewayReply(ex.ctx.name, ex.targetId, "EBADRESPONSE"));
    return;
  }
  ex.status = status;
  ex.response = upRes;
  (upRes as Tagged<IncomingMessage>)[kExchange] = ex;
  upRes.on("data", onUpstreamData);
  upRes.on("end", onUpstreamEnd);
  upRes.on("close", onUpstreamResponseClose);
}

// Response streaming: a minimal `pipe` (three listeners, pause on backpressure).

function onUpstreamData(this: Tagged<IncomingMessage>, chunk: Buffer): void {
  const res = this[kExchange].res;
  if (!res.write(chunk)) {
    this.pause();
    res.once("drain", onClientDrain);
  }
}

function onClientDrain(this: Tagged<ServerResponse>): void {
  this[kExchange].response?.resume();
}

function onUpstreamEnd(this: Tagged<IncomingMessage>): void {
  this[kExchange].res.end();
}

function onUpstreamResponseClose(this: Tagged<IncomingMessage>): void {
  if (this.complete) return;
  const ex = this[kExchange];
  ex.broken = true;
  ex.res.destroy();
}

function onUpstreamError(this: Tagged<ClientRequest>, err: NodeJS.ErrnoException): void {
  const ex = this[kExchange];
  if (ex.upstream !== this) return;
  ex.upstream = null;
  const failed = ex.target;
  if (failed !== null) {
    ex.target = null;
    failed.release();
  }
  if (ex.finished) return;
  if (ex.responded) {
    ex.broken = true;
    ex.res.destroy();
    return;
  }
  if (failed !== null && connectFailed(err)) failed.eject();
  if (ex.hasBody) {
    ex.req.unpipe(this);
    ex.req.pause(); // the next attempt's pipe resumes it
  }
  if (failed !== null && ex.attempts < MAX_ATTEMPTS && staleSocket(ex, this, err)) {
    // The instance closed a pooled keep-alive socket as it was reused: send once more, on a new connection.
    ex.freshTried = true;
    failed.agent.closeIdle();
    if (failed.active || !ex.ctx.table.retry(ex, failed, null)) ex.target = failed;
    ex.fresh = true;
    send(ex);
    return;
  }
  if (failed !== null && ex.attempts < MAX_ATTEMPTS && replayable(ex, err)) {
    if (ex.skipA === null) ex.skipA = failed;
    else ex.skipB = failed;
    if (ex.ctx.table.retry(ex, ex.skipA, ex.skipB)) {
      send(ex);
      return;
    }
  }
  answer(ex, badGatewayReply(ex.ctx.name, ex.targetId, err.code ?? "EPROTO"));
}

/**
 * A reused pooled socket failed before any response byte (the instance
 * closed it while idle, as it was reused), the one fresh retry is not spent,
 * and resending is safe: nothing of the body was handed over yet (any
 * method), or the method is idempotent and the body sent so far was kept.
 */
function staleSocket(ex: Exchange, up: ClientRequest, err: NodeJS.ErrnoException): boolean {
  if (!up.reusedSocket || ex.freshTried) return false;
  const code = err.code;
  if (code !== "ECONNRESET" && code !== "EPIPE") return false;
  return !ex.bodySent || (ex.replay !== null && IDEMPOTENT.has(ex.req.method as string));
}

/**
 * Safe to send again elsewhere: a failed connect never delivered anything
 * (the body is only streamed once connected); a reset before any response
 * byte is replayed only for bodiless GET, HEAD and OPTIONS.
 */
function replayable(ex: Exchange, err: NodeJS.ErrnoException): boolean {
  if (connectFailed(err)) return !ex.bodySent;
  const code = err.code;
  if (code !== "ECONNRESET" && code !== "EPIPE") return false;
  if (ex.hasBody) return false;
  const method = ex.req.method;
  return method === "GET" || method === "HEAD" || method === "OPTIONS";
}

/** No response headers in time: give up on the instance (never retried: the request may have run) and answer 504. */
function onResponseTimeout(ex: Exchange): void {
  ex.timer = null;
  if (ex.responded || ex.finished) return;
  const up = ex.upstream;
  ex.upstream = null; // its coming error is ours, not a failure to retry
  const target = ex.target;
  if (target !== null) {
    ex.target = null;
    target.release();
  }
  up?.destroy();
  answer(ex, gatewayTimeoutReply(ex.ctx.name, ex.targetId, ex.ctx.responseTimeout));
}

const BAD_HOST = badRequestReply("conflicting Host headers or request target");

function clearTimer(ex: Exchange): void {
  if (ex.timer === null) return;
  clearTimeout(ex.timer);
  ex.timer = null;
}

function answer(ex: Exchange, reply: Reply): void {
  const res = ex.res;
  clearTimer(ex);
  if (ex.finished) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  ex.status = reply.status;
  res.writeHead(
    reply.status,
    ex.secure && ex.ctx.hsts !== null ? [...reply.headers, "strict-transport-security", ex.ctx.hsts] : reply.headers,
  );
  res.end(reply.body);
}

function onClientClose(this: Tagged<ServerResponse>): void {
  const ex = this[kExchange];
  ex.finished = true;
  clearTimer(ex);
  let status = ex.status;
  if (!this.writableFinished) {
    status = ex.broken ? 502 : 499;
    const up = ex.upstream;
    if (up !== null) up.destroy();
  }
  const target = ex.target;
  if (target !== null) {
    ex.target = null;
    target.release();
  }
  const hook = ex.ctx.onResponse;
  if (hook === undefined) return;
  try {
    hook({ group: ex.group === null ? "" : ex.group.name, target: ex.targetId, status, durationMs: performance.now() - ex.started });
  } catch {
    // A metrics hook must never break proxying.
  }
}
