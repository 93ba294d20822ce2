import { Agent, request } from "node:http";

export interface LoadOptions {
  url: string;
  /** Concurrent keep-alive connections. */
  concurrency?: number;
  /** Target requests per second across all connections (0 = as fast as possible). */
  rate?: number;
  /** Extra request headers (a Host naming one of several apps on one address). */
  headers?: Record<string, string>;
}

export interface LoadReport {
  sent: number;
  ok: number;
  failed: number;
  /** First few failures, for diagnosis. */
  failures: string[];
  /** Responses per `version` field of JSON bodies. */
  versions: Record<string, number>;
  durationMs: number;
  /**
   * Each answer in arrival order (for "after X, everything is Y" checks): when
   * its request was sent (`sentAt`) and when the answer arrived (`at`).
   */
  timeline: { sentAt: number; at: number; version: string | null; status: number }[];
}

/**
 * A steady HTTP load for demos and zero-downtime tests: `concurrency`
 * keep-alive connections paced to `rate` requests per second, counting every
 * non-2xx answer or network error as a failure.
 *
 * @example
 * const load = startLoad({ url: "http://127.0.0.1:8080/", rate: 200 });
 * // ... deploy ...
 * const report = await load.stop(); // { sent, failed, versions, ... }
 */
export function startLoad(o: LoadOptions): { stop: () => Promise<LoadReport>; report: () => LoadReport } {
  const concurrency = o.concurrency ?? 8;
  const rate = o.rate ?? 200;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const started = Date.now();
  const r: LoadReport = { sent: 0, ok: 0, failed: 0, failures: [], versions: {}, durationMs: 0, timeline: [] };
  let running = true;
  const interval = rate > 0 ? (1000 * concurrency) / rate : 0;

  const fail = (why: string) => {
    r.failed++;
    if (r.failures.length < 20) r.failures.push(why);
  };

  const one = () =>
    new Promise<void>((resolve) => {
      r.sent++;
      const sentAt = Date.now();
      const req = request(o.url, { agent, ...(o.headers && { headers: o.headers }) }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          let version: string | null = null;
          try {
            version = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { version?: string }).version ?? null;
          } catch {
            /* not JSON */
          }
          if (status >= 200 && status < 300) {
            r.ok++;
            if (version) r.versions[version] = (r.versions[version] ?? 0) + 1;
          } else fail(`HTTP ${status}: ${Buffer.concat(chunks).toString("utf8").slice(0, 200)}`);
          r.timeline.push({ sentAt, at: Date.now(), version, status });
          resolve();
        });
        res.on("error", (err) => {
          fail(`response error: ${err.message}`);
          resolve();
        });
      });
      req.on("error", (err) => {
        fail(`request error: ${err.message}`);
        r.timeline.push({ sentAt, at: Date.now(), version: null, status: 0 });
        resolve();
      });
      req.end();
    });

  // Paced on absolute time, so slow answers are caught up and the rate holds.
  const worker = async (n: number) => {
    let next = Date.now() + (interval * n) / concurrency;
    while (running) {
      const wait = next - Date.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      if (!running) break;
      next += interval;
      await one();
    }
  };
  const workers = Array.from({ length: concurrency }, (_, n) => worker(n));

  return {
    report: () => ({ ...r, durationMs: Date.now() - started }),
    stop: async () => {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return { ...r, durationMs: Date.now() - started };
    },
  };
}
