/**
 * Prometheus metrics for the router and rollouts, on their own registry
 * (never prom-client's global one) and their own small HTTP server.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { SlipwayError } from "../errors.js";

/** Buckets of `slipway_request_duration_seconds`: 1 ms to 30 s. */
export const DURATION_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const CODE_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/** The label children of one release, cached so `observe` does no label lookup. */
interface ReleaseSeries {
  byClass: Counter.Internal[];
  duration: Histogram.Internal<"release">;
}

/** The current rollout, as shown by `slipway_rollout_phase` and `slipway_rollout_in_progress`. */
export interface RolloutState {
  release: number | null;
  strategy: string;
  phase: string;
}

/**
 * Exposes Slipway's metrics in the Prometheus text format:
 * `slipway_requests_total{release,code_class}`, `slipway_request_duration_seconds{release}`,
 * `slipway_traffic_weight{release}` (percent), `slipway_rollout_phase{release,strategy,phase}`
 * (1 for the current phase only) and `slipway_rollout_in_progress` (0/1).
 *
 * @example
 * const metrics = new MetricsExporter();
 * await metrics.listen({ host: "127.0.0.1", port: 9090 }); // GET /metrics
 * metrics.observe(2, 200, 12.5);
 * metrics.setWeights({ "1": 90, "2": 10 });
 * metrics.setRolloutState({ release: 2, strategy: "canary", phase: "paused" });
 */
export class MetricsExporter {
  readonly registry = new Registry();
  readonly #requests: Counter<"release" | "code_class">;
  readonly #duration: Histogram<"release">;
  readonly #weight: Gauge<"release">;
  readonly #phase: Gauge<"release" | "strategy" | "phase">;
  readonly #inProgress: Gauge;
  readonly #series = new Map<number, ReleaseSeries>();
  #weighted = new Set<string>();
  #phaseLabels: { release: string; strategy: string; phase: string } | null = null;
  #server: http.Server | null = null;

  constructor() {
    const registers = [this.registry];
    this.#requests = new Counter({
      name: "slipway_requests_total",
      help: "Requests answered by each release, by status class.",
      labelNames: ["release", "code_class"],
      registers,
    });
    this.#duration = new Histogram({
      name: "slipway_request_duration_seconds",
      help: "Time from request to the end of the answer, by release.",
      labelNames: ["release"],
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    });
    this.#weight = new Gauge({
      name: "slipway_traffic_weight",
      help: "Share of traffic routed to each release, in percent.",
      labelNames: ["release"],
      registers,
    });
    this.#phase = new Gauge({
      name: "slipway_rollout_phase",
      help: "1 for the current rollout's release, strategy and phase.",
      labelNames: ["release", "strategy", "phase"],
      registers,
    });
    this.#inProgress = new Gauge({ name: "slipway_rollout_in_progress", help: "1 while a rollout runs, else 0.", registers });
    this.#inProgress.set(0);
  }

  /**
   * Count one answered request. Called per request: the label children of a
   * release are made once and cached (about 0.5 µs a call, in prom-client's hashing).
   *
   * @example
   * router = new Router({ listen, onResponse: (s) => metrics.observe(releaseOf(s.target), s.status, s.durationMs) });
   */
  observe(releaseId: number, status: number, durationMs: number): void {
    let series = this.#series.get(releaseId);
    if (series === undefined) {
      const release = String(releaseId);
      series = {
        byClass: CODE_CLASSES.map((code_class) => this.#requests.labels({ release, code_class })),
        duration: this.#duration.labels({ release }),
      };
      // Every class exists from the release's first request, so rate() sees the first 5xx.
      for (const child of series.byClass) child.inc(0);
      this.#series.set(releaseId, series);
    }
    const c = Math.floor(status / 100) - 1;
    series.byClass[c < 0 ? 0 : c > 4 ? 4 : c]?.inc();
    series.duration.observe(durationMs / 1000);
  }

  /**
   * Forget a retired release: its request and duration series disappear.
   *
   * @example
   * metrics.forget(1);
   */
  forget(releaseId: number): void {
    if (!this.#series.delete(releaseId)) return;
    const release = String(releaseId);
    for (const code_class of CODE_CLASSES) this.#requests.remove({ release, code_class });
    this.#duration.remove({ release });
  }

  /**
   * Set the traffic weights (release id → percent); releases left out lose their series.
   *
   * @example
   * metrics.setWeights({ "1": 75, "2": 25 });
   */
  setWeights(weights: Record<string, number>): void {
    const next = new Set(Object.keys(weights));
    for (const release of this.#weighted) if (!next.has(release)) this.#weight.remove({ release });
    for (const [release, percent] of Object.entries(weights)) this.#weight.set({ release }, percent);
    this.#weighted = next;
  }

  /**
   * Set the current rollout (null when none runs). The previous phase's series is removed.
   *
   * @example
   * metrics.setRolloutState({ release: 2, strategy: "blue-green", phase: "previewing" });
   * metrics.setRolloutState(null);
   */
  setRolloutState(state: RolloutState | null): void {
    if (this.#phaseLabels !== null) this.#phase.remove(this.#phaseLabels);
    this.#phaseLabels = null;
    if (state !== null) {
      this.#phaseLabels = { release: state.release === null ? "" : String(state.release), strategy: state.strategy, phase: state.phase };
      this.#phase.set(this.#phaseLabels, 1);
    }
    this.#inProgress.set(state === null ? 0 : 1);
  }

  /**
   * The metrics in the Prometheus text exposition format.
   *
   * @example
   * console.log(await metrics.text());
   */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * Serve `GET /metrics` (404 for anything else). Resolves with the bound
   * address (port 0 picks one); a busy port rejects with `CONFIG_INVALID`.
   *
   * @example
   * const { port } = await metrics.listen({ host: "127.0.0.1", port: 0 });
   */
  listen(address: { host: string; port: number }): Promise<{ host: string; port: number }> {
    if (this.#server !== null) return Promise.reject(new SlipwayError("INTERNAL", "the metrics endpoint is already listening"));
    const server = http.createServer((req, res) => void this.#answer(req, res));
    this.#server = server;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.#server = null;
        reject(
          new SlipwayError(
            "CONFIG_INVALID",
            `the metrics endpoint cannot listen on ${address.host}:${address.port} (${err.code ?? err.message})`,
            {
              hint:
                err.code === "EADDRINUSE"
                  ? "another process uses this port: stop it or change `metrics.listen` in slipway.yaml"
                  : undefined,
              cause: err,
            },
          ),
        );
      };
      server.once("error", onError);
      server.listen(address.port, address.host, () => {
        server.off("error", onError);
        const bound = server.address() as AddressInfo;
        resolve({ host: bound.address, port: bound.port });
      });
    });
  }

  /**
   * Stop serving; resolves once the server is closed. No-op when not listening.
   *
   * @example
   * await metrics.close();
   */
  close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (server === null || !server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async #answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "GET" || path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found: metrics are at GET /metrics\n");
      return;
    }
    try {
      const body = await this.text();
      res.writeHead(200, { "content-type": this.registry.contentType }).end(body);
    } catch (err) {
      res
        .writeHead(500, { "content-type": "text/plain; charset=utf-8" })
        .end(`metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}
