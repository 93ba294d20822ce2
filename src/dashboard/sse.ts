import type { IncomingMessage, ServerResponse } from "node:http";

/** A comment line this often keeps proxies and the browser from timing the stream out. */
const KEEPALIVE_EVERY = 15_000;
/** Unread bytes after which a stuck browser tab is dropped (it reconnects by itself). */
const MAX_UNREAD = 4 * 1024 * 1024;

export interface SseStream {
  send(event: string, data: unknown): void;
  /** Resolves when the browser leaves. */
  readonly closed: Promise<void>;
  close(): void;
}

/**
 * Opens a Server-Sent Events stream on `res` (`text/event-stream`). The
 * browser's EventSource reconnects by itself when it breaks.
 *
 * @example
 * const sse = openSse(req, res);
 * sse.send("status", status);
 */
export function openSse(req: IncomingMessage, res: ServerResponse, headers: Record<string, string> = {}): SseStream {
  res.writeHead(200, {
    ...headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    "x-accel-buffering": "no",
  });
  res.write("retry: 1000\n\n");
  const keepalive = setInterval(() => res.write(": keepalive\n\n"), KEEPALIVE_EVERY);
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const done = () => {
    clearInterval(keepalive);
    resolveClosed();
  };
  req.on("close", done);
  res.on("close", done);
  return {
    send(event, data) {
      if (res.destroyed || res.writableEnded) return;
      if (res.writableLength > MAX_UNREAD) return void res.destroy();
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    closed,
    close() {
      done();
      res.end();
    },
  };
}
