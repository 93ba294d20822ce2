import { request, type ClientRequest } from "node:http";
import type { DaemonStatus } from "../daemon/status.js";
import type { WatchMessage } from "../daemon/watch.js";

/** What the feed tells its listeners: the daemon's messages, and whether it is reachable. */
export type FeedMessage = WatchMessage | { type: "daemon"; connected: boolean };

/** Reconnect delays after the watch stream broke (the daemon restarts in about a second). */
const RETRY_MIN = 250;
const RETRY_MAX = 5_000;
/** No line (not even a heartbeat, every 15 s) for this long: the stream is dead. */
const SILENCE_LIMIT = 40_000;

/**
 * The dashboard's one connection to the daemon's `GET /v1/watch` (over
 * `.slipway/daemon.sock`), shared by every open page: it keeps the latest
 * status and hands each message to the listeners. When the daemon goes away
 * (restart, `slipway down`) the feed says so and reconnects, backing off up
 * to 5 s; the pages stay open and catch up from the fresh status.
 *
 * @example
 * const feed = new DaemonFeed(".slipway/daemon.sock");
 * const off = feed.listen((m) => sse.send(m.type, m));
 * feed.close();
 */
export class DaemonFeed {
  #status: DaemonStatus | null = null;
  #connected = false;
  #closed = false;
  #req: ClientRequest | null = null;
  #retry = RETRY_MIN;
  #timer: NodeJS.Timeout | undefined;
  #silence: NodeJS.Timeout | undefined;
  readonly #listeners = new Set<(m: FeedMessage) => void>();

  constructor(private readonly socketPath: string) {
    this.#connect();
  }

  get status(): DaemonStatus | null {
    return this.#status;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Hears every message from now on; returns the unsubscribe function. */
  listen(listener: (m: FeedMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#silence);
    this.#req?.destroy();
  }

  #emit(m: FeedMessage): void {
    for (const l of this.#listeners) {
      try {
        l(m);
      } catch {
        // one page's broken connection never stops the others
      }
    }
  }

  #setConnected(connected: boolean): void {
    if (connected === this.#connected) return;
    this.#connected = connected;
    this.#emit({ type: "daemon", connected });
  }

  #connect(): void {
    if (this.#closed) return;
    const req = request({ socketPath: this.socketPath, path: "/v1/watch", method: "GET" }, (res) => {
      if (res.statusCode !== 200) return void req.destroy();
      this.#retry = RETRY_MIN;
      this.#setConnected(true);
      res.setEncoding("utf8");
      let buffered = "";
      this.#quiet(req);
      res.on("data", (chunk: string) => {
        this.#quiet(req);
        buffered += chunk;
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        for (const line of lines) if (line) this.#line(line);
      });
      res.on("close", () => this.#broken());
    });
    req.on("error", () => this.#broken());
    req.end();
    this.#req = req;
  }

  #quiet(req: ClientRequest): void {
    clearTimeout(this.#silence);
    this.#silence = setTimeout(() => req.destroy(), SILENCE_LIMIT);
  }

  #line(line: string): void {
    let m: WatchMessage;
    try {
      m = JSON.parse(line) as WatchMessage;
    } catch {
      return;
    }
    if (m.type === "status") this.#status = m.status as DaemonStatus;
    this.#emit(m);
  }

  #broken(): void {
    if (this.#req === null) return;
    this.#req = null;
    clearTimeout(this.#silence);
    this.#setConnected(false);
    if (this.#closed) return;
    this.#timer = setTimeout(() => this.#connect(), this.#retry);
    this.#retry = Math.min(RETRY_MAX, this.#retry * 2);
  }
}
