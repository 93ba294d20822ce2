import type { Health } from "./health.js";

/**
 * Wait after the signal before closing, ms: longer than readiness interval × failureThreshold (Slipway's defaults: 3s).
 *
 * @example
 * gracefulShutdown({ server, health, shutdownDelay: DEFAULT_SHUTDOWN_DELAY });
 */
export const DEFAULT_SHUTDOWN_DELAY = 5000;
/**
 * Hard limit from the signal, ms: keep it under Slipway's `app.shutdown.timeout` (default 30s).
 *
 * @example
 * gracefulShutdown({ server, health, timeout: DEFAULT_SHUTDOWN_TIMEOUT });
 */
export const DEFAULT_SHUTDOWN_TIMEOUT = 25_000;
/**
 * SIGTERM (Slipway, Kubernetes, systemd) and SIGINT (Ctrl-C).
 *
 * @example
 * gracefulShutdown({ server, signals: [...DEFAULT_SHUTDOWN_SIGNALS, "SIGHUP"] });
 */
export const DEFAULT_SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = Object.freeze(["SIGTERM", "SIGINT"]);

/** The parts of a request and response the shutdown needs (node:http, https, and http2 in compatibility mode). */
interface RequestLike {
  httpVersionMajor: number;
  socket: { destroy(): void };
}
interface ResponseLike {
  readonly headersSent: boolean;
  setHeader(name: string, value: string): unknown;
  once(event: "close", listener: () => void): unknown;
}

/**
 * A server gracefulShutdown can close: a node:http or https Server (Express's
 * `app.listen()`, Fastify's `app.server`, Hono's `serve()`), structurally typed.
 *
 * @example
 * const server: ShutdownServer = createServer(handler);
 */
export interface ShutdownServer {
  close(callback?: (err?: Error) => void): unknown;
  closeIdleConnections?(): void;
  closeAllConnections?(): void;
  on(event: "request", listener: (req: RequestLike, res: ResponseLike) => void): unknown;
}

/**
 * Options of gracefulShutdown.
 *
 * @example
 * const options: GracefulShutdownOptions = { server, health, shutdownDelay: 5000, timeout: 25_000, onShutdown: [() => pool.end()] };
 */
export interface GracefulShutdownOptions {
  server: ShutdownServer | readonly ShutdownServer[];
  /** Its readiness fails the moment the signal arrives. */
  health?: Health;
  /** Keep serving normally this long (ms) after the signal, so routers stop sending (DEFAULT_SHUTDOWN_DELAY). */
  shutdownDelay?: number;
  /** Hard limit from the signal (ms), shutdownDelay included, so longer than it: remaining sockets are destroyed and the process exits 1 (DEFAULT_SHUTDOWN_TIMEOUT). */
  timeout?: number;
  /** Default SIGTERM and SIGINT. */
  signals?: readonly NodeJS.Signals[];
  /** Cleanup handlers, run in order once the servers are closed (a DB pool, a queue consumer). A failing one makes the exit code 1. */
  onShutdown?: readonly (() => unknown)[];
  /** Called with the exit code at the end (default: process.exit). */
  exit?: (code: number) => void;
  /** Progress lines (default: console.log). */
  log?: (message: string) => void;
}

/**
 * Where a shutdown is: `serving` until a signal, then in this order.
 *
 * @example
 * if (shutdown.state !== "serving") console.log("shutting down");
 */
export type ShutdownState = "serving" | "delaying" | "closing" | "cleaning" | "done";

/**
 * Handle returned by gracefulShutdown.
 *
 * @example
 * const code = await shutdown.shutdown("deploy"); // same sequence as a signal
 */
export interface GracefulShutdown {
  readonly state: ShutdownState;
  /** Starts the sequence (once; later calls return the same promise), resolves with the exit code. */
  shutdown(reason?: string): Promise<number>;
  /** Removes the signal listeners. */
  dispose(): void;
}

/**
 * Graceful shutdown for a Node server behind a router or Kubernetes: on a
 * signal, readiness fails at once; after `shutdownDelay` (still serving) the
 * servers stop accepting, idle keep-alive connections close, busy ones close
 * after their current response (`Connection: close`), in-flight requests
 * finish, cleanup handlers run in order, and the process exits 0. At
 * `timeout` from the signal, remaining sockets are destroyed and it exits 1.
 * A second signal does not restart the sequence.
 *
 * @example
 * const server = createServer(nodeHandler(health, app)).listen(Number(process.env.PORT));
 * gracefulShutdown({ server, health, shutdownDelay: 5000, timeout: 25_000, onShutdown: [() => pool.end()] });
 */
export function gracefulShutdown(options: GracefulShutdownOptions): GracefulShutdown {
  const servers = ([] as ShutdownServer[]).concat(options.server);
  const delay = options.shutdownDelay ?? DEFAULT_SHUTDOWN_DELAY;
  const timeout = options.timeout ?? DEFAULT_SHUTDOWN_TIMEOUT;
  const signals = options.signals ?? DEFAULT_SHUTDOWN_SIGNALS;
  const log = options.log ?? ((m: string) => console.log(m));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  if (!(delay >= 0) || !(timeout > delay)) {
    throw new RangeError(
      `gracefulShutdown: timeout (${timeout}ms) counts from the signal and must be longer than shutdownDelay (${delay}ms)`,
    );
  }
  const connections = servers.map(track);
  let state: ShutdownState = "serving";
  let running: Promise<number> | undefined;

  const onSignal = (signal: NodeJS.Signals) => {
    if (running) log(`shutdown: ${signal} received again, already ${state}`);
    else void handle.shutdown(signal);
  };
  for (const s of signals) process.on(s, onSignal);

  const sequence = async (reason: string): Promise<number> => {
    options.health?.markShuttingDown();
    state = "delaying";
    log(`shutdown: ${reason}; readiness fails now, closing in ${delay}ms (hard limit ${timeout}ms)`);
    let hardTimer: NodeJS.Timeout | undefined;
    let cut = false;
    const hard = new Promise<number>((resolve) => {
      hardTimer = setTimeout(() => {
        cut = true;
        log(`shutdown: still busy after ${timeout}ms, destroying ${connections.reduce((n, c) => n + c.busy(), 0)} busy connection(s)`);
        for (const c of connections) c.destroy();
        resolve(1);
      }, timeout);
    });
    const graceful = (async () => {
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (cut) return 1;
      state = "closing";
      log(`shutdown: closing; waiting for ${connections.reduce((n, c) => n + c.busy(), 0)} in-flight request(s)`);
      await Promise.all(connections.map((c) => c.close()));
      if (cut) return 1;
      state = "cleaning";
      let code = 0;
      for (const [i, cleanup] of (options.onShutdown ?? []).entries()) {
        try {
          await cleanup();
        } catch (err) {
          code = 1;
          log(`shutdown: cleanup handler ${i + 1} failed: ${err instanceof Error ? err.message : String(err)}`);
        }
        if (cut) return 1;
      }
      return code;
    })();
    const code = await Promise.race([graceful, hard]);
    clearTimeout(hardTimer);
    state = "done";
    log(`shutdown: done, exit ${code}`);
    return code;
  };

  const handle: GracefulShutdown = {
    get state() {
      return state;
    },
    shutdown(reason = "shutdown requested") {
      running ??= sequence(reason).then((code) => {
        handle.dispose();
        exit(code);
        return code;
      });
      return running;
    },
    dispose() {
      for (const s of signals) process.off(s, onSignal);
    },
  };
  return handle;
}

/** Tracks a server's in-flight requests so closing can end keep-alive connections and, at the hard limit, destroy them. */
function track(server: ShutdownServer): { close(): Promise<void>; destroy(): void; busy(): number } {
  const inFlight = new Map<ResponseLike, RequestLike>();
  let closing = false;
  // HTTP/1 only: "Connection: close" is not allowed in HTTP/2, which has no keep-alive to end.
  const lastResponse = (req: RequestLike, res: ResponseLike) => {
    if (req.httpVersionMajor === 1 && !res.headersSent) res.setHeader("connection", "close");
  };
  server.on("request", (req, res) => {
    inFlight.set(res, req);
    if (closing) lastResponse(req, res);
    res.once("close", () => {
      inFlight.delete(res);
      // a response whose headers went out before closing kept its connection alive: close it now that it is idle
      if (closing) setImmediate(() => server.closeIdleConnections?.());
    });
  });
  return {
    busy: () => inFlight.size,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const [res, req] of inFlight) lastResponse(req, res);
        server.close(() => resolve());
        server.closeIdleConnections?.();
      }),
    destroy: () => {
      server.closeAllConnections?.();
      for (const req of inFlight.values()) req.socket.destroy();
    },
  };
}
