import http from "node:http";
import type { Socket } from "node:net";

/** Default for `router.upstreamIdleTimeout`: how long an idle pooled socket to an instance is kept (ms). */
export const DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS = 1_000;

/** Kept off an instance's announced `Keep-Alive: timeout=N` (ms), at most half of it. */
export const KEEP_ALIVE_HINT_MARGIN_MS = 1_000;

const HINT = /(?:^|[,;\s])timeout\s*=\s*(\d+)/i;

/**
 * How long an idle socket may stay in the pool after a response: the
 * configured idle timeout, lowered below the instance's own keep-alive
 * timeout when it announces one (`Keep-Alive: timeout=N`, in seconds) by
 * `KEEP_ALIVE_HINT_MARGIN_MS`, or by half of it for short ones. 0: do not keep it.
 *
 * @example
 * idleTimeoutFor(1000, undefined); // 1000
 * idleTimeoutFor(10_000, "timeout=5"); // 4000
 * idleTimeoutFor(1000, "timeout=1"); // 500
 */
export function idleTimeoutFor(configured: number, keepAlive: string | undefined): number {
  if (keepAlive === undefined) return configured;
  const m = HINT.exec(keepAlive);
  if (m === null) return configured;
  const hinted = Number(m[1]) * 1000;
  return Math.max(0, Math.min(configured, hinted - Math.min(KEEP_ALIVE_HINT_MARGIN_MS, hinted / 2)));
}

/** Node's private socket fields the agent reads (the request a socket last served). */
type PooledSocket = Socket & { _httpMessage?: { res?: http.IncomingMessage | null } | null };

/**
 * The keep-alive agent of one instance. Unlike `http.Agent`'s `timeout`
 * option, its idle timeout changes at run time (`Router.configure`), honours
 * a shorter `Keep-Alive: timeout=` from the instance with a margin, and a
 * retired agent keeps no socket once its response ended.
 *
 * @example
 * const agent = new UpstreamAgent(1000);
 * http.request({ host, port, agent });
 * agent.retired = true; // sockets close as their responses end
 * agent.closeIdle();
 */
export class UpstreamAgent extends http.Agent {
  /** Ms an idle socket stays pooled (before the instance's hint). */
  idleTimeout: number;
  /** The instance left rotation: keep no socket. */
  retired = false;

  constructor(idleTimeout: number) {
    super({ keepAlive: true, noDelay: true, scheduling: "lifo" });
    this.idleTimeout = idleTimeout;
  }

  /** Called by Node when a response ended on a reusable socket; false closes it. */
  override keepSocketAlive(socket: PooledSocket): boolean {
    if (this.retired) return false;
    const hint = socket._httpMessage?.res?.headers["keep-alive"];
    const ms = idleTimeoutFor(this.idleTimeout, typeof hint === "string" ? hint : undefined);
    if (ms <= 0) return false;
    socket.setKeepAlive(true, 1000);
    socket.unref();
    // Re-armed on every release: an idle socket lives `ms` from its last response.
    socket.setTimeout(ms);
    return true;
  }

  /** Close every idle pooled socket (they may be stale: the instance is closing or gone). */
  closeIdle(): void {
    for (const name in this.freeSockets) {
      const sockets = this.freeSockets[name];
      if (sockets) for (const socket of [...sockets]) socket.destroy();
    }
  }
}
