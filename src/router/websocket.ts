import http, { STATUS_CODES, type ClientRequest, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Duplex } from "node:stream";
import { newCohort } from "./cohort.js";
import { requestHeaders, responseHeaders, type RequestHead } from "./headers.js";
import { MAX_ATTEMPTS, type ProxyContext } from "./proxy.js";
import { connectFailed } from "./ejection.js";
import { badGatewayReply, badRequestReply, type Reply } from "./replies.js";
import { originForm } from "./request-target.js";
import type { GroupState, Choice } from "./table.js";
import type { TargetState } from "./target-pool.js";

/**
 * Tunnels an HTTP upgrade (WebSocket) to a target: forwards the upgrade
 * request on a fresh connection, relays the instance's answer, then pipes
 * both sockets. The tunnel counts as in flight on its target until either
 * side closes; a drain that times out destroys it.
 *
 * @example
 * server.on("upgrade", (req, socket, head) => tunnel(ctx, req, socket, head, false));
 */
export function tunnel(ctx: ProxyContext, req: IncomingMessage, socket: Duplex, head: Buffer, secure: boolean): void {
  ctx.requests++;
  socket.on("error", destroyOnError);
  const t = new Tunnel(ctx, req, socket, head, secure);
  const path = t.badHost ? null : originForm(req.url as string, t.host);
  // h2c is never tunnelled (RFC 9113 deprecates it): a bodiless request is served as HTTP/1.1, then the connection closes.
  if (path === null || (t.h2c && t.hasBody)) {
    t.refuse(path === null ? BAD_HOST : H2C_WITH_BODY);
    return;
  }
  t.path = path;
  if (ctx.stickyCookie !== null && t.cohort < 0) t.setCookie = newCohort(t, ctx.stickyCookie);
  if (ctx.table.pick(t, t.route, t.cohort)) t.connect();
  else t.refuse(ctx.noTarget);
}

const BAD_HOST = badRequestReply("conflicting Host headers or request target");
const H2C_WITH_BODY = badRequestReply("Upgrade: h2c is not supported; send the request as HTTP/1.1");

class Tunnel implements Choice, RequestHead {
  group: GroupState | null = null;
  target: TargetState | null = null;
  hasBody = false;
  route: string | undefined = undefined;
  cohort = -1;
  hostIndex = -1;
  host: string | undefined = undefined;
  badHost = false;
  h2c = false;
  /** Origin-form request target. */
  path = "/";
  /** Set-Cookie value giving the client a new cohort, or null. */
  setCookie: string | null = null;
  private readonly headers: string[];
  private upstream: ClientRequest | null = null;
  private upSocket: Duplex | null = null;
  private attempts = 0;
  private skipA: TargetState | null = null;
  private skipB: TargetState | null = null;
  private targetId = "";
  private answered = false;
  private closed = false;
  private readonly started = performance.now();

  constructor(
    private readonly ctx: ProxyContext,
    private readonly req: IncomingMessage,
    private readonly socket: Duplex,
    private readonly head: Buffer,
    readonly secure: boolean,
  ) {
    this.headers = requestHeaders(req.rawHeaders, req.socket.remoteAddress, ctx, this, true);
    socket.once("close", () => this.onClientClose());
  }

  connect(): void {
    const target = this.target as TargetState;
    this.attempts++;
    this.targetId = target.id;
    target.track(this.socket);
    if (this.hostIndex >= 0) this.headers[this.hostIndex] = target.authority;
    const up = http.request({
      host: target.host,
      port: target.port,
      method: this.req.method,
      path: this.path,
      headers: this.headers,
      agent: false,
    });
    this.upstream = up;
    up.on("upgrade", (res: IncomingMessage, upSocket: Socket, upHead: Buffer) => this.onUpgrade(up, res, upSocket, upHead));
    up.on("response", (res: IncomingMessage) => this.onResponse(up, res));
    up.on("error", (err: NodeJS.ErrnoException) => this.onError(up, err));
    up.end();
  }

  /** Answer the client ourselves and close (503, 502). */
  refuse(reply: Reply): void {
    this.sample(reply.status);
    endAfterFlush(this.socket, reply.raw);
  }

  private onUpgrade(up: ClientRequest, res: IncomingMessage, upSocket: Socket, upHead: Buffer): void {
    if (up !== this.upstream || this.closed) {
      upSocket.destroy();
      return;
    }
    this.upSocket = upSocket;
    this.target?.succeeded();
    upSocket.on("error", destroyOnError);
    upSocket.once("close", () => endAfterFlush(this.socket));
    upSocket.setNoDelay(true);
    (this.socket as Socket).setNoDelay?.(true);
    this.socket.write(statusLine(res) + headerLines(res.rawHeaders) + this.cookieLine() + "\r\n");
    if (upHead.length > 0) this.socket.write(upHead);
    if (this.head.length > 0) upSocket.write(this.head);
    upSocket.pipe(this.socket);
    this.socket.pipe(upSocket);
    this.sample(101);
  }

  /** The instance answered without upgrading: relay that answer and close. */
  private onResponse(up: ClientRequest, res: IncomingMessage): void {
    if (up !== this.upstream || this.closed) {
      res.resume();
      return;
    }
    this.answered = true;
    this.target?.succeeded();
    const status = res.statusCode as number;
    this.socket.write(statusLine(res) + headerLines(responseHeaders(res.rawHeaders)) + this.cookieLine() + "connection: close\r\n\r\n");
    res.pipe(this.socket);
    this.sample(status);
  }

  private onError(up: ClientRequest, err: NodeJS.ErrnoException): void {
    if (up !== this.upstream) return;
    this.upstream = null;
    if (this.closed) return;
    if (this.answered || this.upSocket !== null) {
      this.socket.destroy();
      return;
    }
    const failed = this.target as TargetState;
    this.target = null;
    failed.untrack(this.socket);
    const refused = connectFailed(err);
    if (refused) failed.eject();
    if (refused && this.attempts < MAX_ATTEMPTS) {
      if (this.skipA === null) this.skipA = failed;
      else this.skipB = failed;
      if (this.ctx.table.retry(this, this.skipA, this.skipB)) {
        this.connect();
        return;
      }
    }
    this.refuse(badGatewayReply(this.ctx.name, failed.id, err.code ?? "EPROTO"));
  }

  private onClientClose(): void {
    this.closed = true;
    const target = this.target;
    if (target !== null) {
      this.target = null;
      target.untrack(this.socket);
    }
    if (this.upSocket !== null) endAfterFlush(this.upSocket);
    else this.upstream?.destroy();
  }

  private cookieLine(): string {
    return this.setCookie === null ? "" : `Set-Cookie: ${this.setCookie}\r\n`;
  }

  private sample(status: number): void {
    const hook = this.ctx.onResponse;
    if (hook === undefined) return;
    try {
      hook({ group: this.group?.name ?? "", target: this.targetId, status, durationMs: performance.now() - this.started });
    } catch {
      // A metrics hook must never break proxying.
    }
  }
}

function statusLine(res: IncomingMessage): string {
  const status = res.statusCode as number;
  return `HTTP/1.1 ${status} ${res.statusMessage || STATUS_CODES[status] || ""}\r\n`;
}

function headerLines(raw: readonly string[]): string {
  let out = "";
  for (let i = 0; i < raw.length; i += 2) out += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return out;
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** Half-close after writing what is buffered (and `last`), then destroy. */
function endAfterFlush(socket: Duplex, last?: Buffer): void {
  if (socket.destroyed) return;
  if (socket.writableFinished) {
    socket.destroy();
    return;
  }
  socket.once("finish", () => socket.destroy());
  if (!socket.writableEnded) {
    if (last === undefined) socket.end();
    else socket.end(last);
  }
}
