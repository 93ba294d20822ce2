import { checkKey, runCheck, type CheckResult, type HealthCheck, type HealthStatus } from "./checks.js";
import { hasToken, type HeaderMap } from "./token.js";

/**
 * Where the three endpoints answer.
 *
 * @example
 * createHealth({ paths: { liveness: "/livez", readiness: "/readyz", detailed: "/healthz" } });
 */
export interface HealthPaths {
  /** Liveness: the process answers. Never calls a dependency. */
  liveness: string;
  /** Readiness: critical checks pass and the app is not shutting down. */
  readiness: string;
  /** Every check, as `application/health+json` (the IETF draft format). */
  detailed: string;
}

/**
 * `/health`, `/health/ready` and `/health/detailed`.
 *
 * @example
 * createHealth({ paths: { ...DEFAULT_HEALTH_PATHS, detailed: "/internal/health" } });
 */
export const DEFAULT_HEALTH_PATHS: Readonly<HealthPaths> = Object.freeze({
  liveness: "/health",
  readiness: "/health/ready",
  detailed: "/health/detailed",
});
/**
 * Per-check timeout in ms; keep it under the readiness probe's timeout (Slipway's default: 1s).
 *
 * @example
 * createHealth({ checks, timeout: DEFAULT_CHECK_TIMEOUT / 2 });
 */
export const DEFAULT_CHECK_TIMEOUT = 500;
/**
 * How long (ms) a finished evaluation of the checks is reused.
 *
 * @example
 * createHealth({ checks, cacheFor: DEFAULT_CACHE_FOR * 5 }); // an expensive check
 */
export const DEFAULT_CACHE_FOR = 1000;

/**
 * Options of createHealth.
 *
 * @example
 * const options: HealthOptions = { checks: [postgres], timeout: 300, cacheFor: 2000, token: process.env.HEALTH_TOKEN };
 */
export interface HealthOptions {
  checks?: readonly HealthCheck[];
  /** Default per-check timeout, ms (DEFAULT_CHECK_TIMEOUT). */
  timeout?: number;
  /** Reuse a finished evaluation for this many ms (DEFAULT_CACHE_FOR); concurrent callers always share one evaluation. */
  cacheFor?: number;
  /** `version` of the detailed body (default: $SLIPWAY_VERSION). */
  version?: string;
  /** `releaseId` of the detailed body (default: $SLIPWAY_RELEASE). */
  releaseId?: string;
  /** When set, the detailed endpoint needs `Authorization: Bearer <token>` or `?token=<token>` (else 401). */
  token?: string;
  paths?: Partial<HealthPaths>;
  /**
   * Cheap, synchronous self-test for the liveness endpoint (never a
   * dependency call): return false and liveness fails, so the supervisor
   * restarts the process. Default: always alive.
   */
  alive?: () => boolean;
}

/**
 * The detailed report: an `application/health+json` body.
 *
 * @example
 * const report: HealthReport = { status: "pass", version: "v3", releaseId: "7", checks: { "postgres:responseTime": [entry] } };
 */
export interface HealthReport {
  status: HealthStatus;
  version?: string;
  releaseId?: string;
  /** Why the whole service fails when no single check says so ("shutting down"). */
  output?: string;
  checks: Record<string, CheckResult[]>;
}

/**
 * What an adapter passes in: `path` may carry the query string (`/health/detailed?token=...`).
 *
 * @example
 * await health.handle({ method: "GET", path: "/health/detailed?token=abc", headers: {} });
 */
export interface HealthRequest {
  method?: string;
  path: string;
  headers?: HeaderMap;
}

/**
 * What an adapter writes out.
 *
 * @example
 * const answer = await health.handle({ path: "/health" });
 * if (answer) res.writeHead(answer.status, answer.headers).end(answer.body);
 */
export interface HealthResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The framework-agnostic core; adapters (nodeHandler, expressMiddleware,
 * fastifyPlugin, fetchHandler, honoMiddleware) only translate requests.
 *
 * @example
 * const answer = await health.handle({ method: "GET", path: "/health/ready" }); // { status: 200, headers, body } or undefined
 */
export interface Health {
  readonly paths: Readonly<HealthPaths>;
  /** Answers a request to one of `paths`; undefined for any other path. */
  handle(request: HealthRequest): Promise<HealthResponse | undefined>;
  /** Runs the checks (or reuses the cached / in-flight evaluation) and returns the detailed report. */
  report(): Promise<HealthReport>;
  /** True once markShuttingDown() was called: readiness fails from then on. */
  readonly shuttingDown: boolean;
  /** Fails readiness from now on (gracefulShutdown calls it on the signal). */
  markShuttingDown(): void;
}

interface Evaluation {
  status: HealthStatus;
  checks: Record<string, CheckResult[]>;
}

/**
 * Creates the app-side health endpoints: liveness, readiness and the
 * detailed IETF `application/health+json` report, with per-check timeouts,
 * caching and an optional token.
 *
 * @example
 * import { createHealth, nodeHandler } from "slipway/health";
 * const health = createHealth({
 *   checks: [{ name: "postgres", check: async () => void (await pool.query("select 1")) }],
 *   timeout: 300,
 *   cacheFor: 1000,
 * });
 * createServer(nodeHandler(health, app)).listen(process.env.PORT);
 */
export function createHealth(options: HealthOptions = {}): Health {
  const checks = [...(options.checks ?? [])];
  const timeout = options.timeout ?? DEFAULT_CHECK_TIMEOUT;
  const cacheFor = options.cacheFor ?? DEFAULT_CACHE_FOR;
  const version = options.version ?? process.env.SLIPWAY_VERSION;
  const releaseId = options.releaseId ?? process.env.SLIPWAY_RELEASE;
  const paths = Object.freeze({ ...DEFAULT_HEALTH_PATHS, ...options.paths });
  const alive = options.alive ?? (() => true);
  if (options.token === "") throw new TypeError("createHealth: token is empty; leave it undefined to keep the detailed endpoint open");
  const durations: [string, number][] = [
    ["timeout", timeout],
    ["cacheFor", cacheFor],
    ...checks.map((c): [string, number] => [`${c.name}.timeout`, c.timeout ?? 0]),
  ];
  for (const [name, ms] of durations) {
    if (!(ms >= 0)) throw new RangeError(`createHealth: ${name} must be a number of milliseconds >= 0, got ${ms}`);
  }
  let shuttingDown = false;
  let current: { result: Promise<Evaluation>; settledAt: number | null } | undefined;

  const evaluate = (): Promise<Evaluation> => {
    if (current && (current.settledAt === null || Date.now() - current.settledAt < cacheFor)) return current.result;
    const entry: { result: Promise<Evaluation>; settledAt: number | null } = { result: runAll(checks, timeout), settledAt: null };
    void entry.result.then(() => (entry.settledAt = Date.now()));
    current = entry;
    return entry.result;
  };

  const report = async (): Promise<HealthReport> => {
    const e = await evaluate();
    return {
      status: shuttingDown ? "fail" : e.status,
      ...(version ? { version } : {}),
      ...(releaseId ? { releaseId } : {}),
      ...(shuttingDown ? { output: "shutting down" } : {}),
      checks: e.checks,
    };
  };

  const answer = async (which: keyof HealthPaths, query: string, headers: HeaderMap): Promise<HealthResponse> => {
    switch (which) {
      case "liveness":
        return alive() ? reply(200, { status: "pass" }) : reply(503, { status: "fail", output: "not alive" });
      case "readiness": {
        if (shuttingDown) return reply(503, { status: "fail", output: "shutting down" });
        const { status } = await evaluate();
        return status === "fail" ? reply(503, { status, output: "a critical check fails" }) : reply(200, { status });
      }
      case "detailed": {
        if (options.token !== undefined && !hasToken(options.token, headers, query)) return unauthorized();
        const body = await report();
        return reply(body.status === "fail" ? 503 : 200, body);
      }
    }
  };

  return {
    paths,
    report,
    get shuttingDown() {
      return shuttingDown;
    },
    markShuttingDown() {
      shuttingDown = true;
    },
    async handle(request) {
      const q = request.path.indexOf("?");
      const pathname = q === -1 ? request.path : request.path.slice(0, q);
      const which = (Object.keys(paths) as (keyof HealthPaths)[]).find((k) => paths[k] === pathname);
      if (!which) return undefined;
      const method = (request.method ?? "GET").toUpperCase();
      if (method !== "GET" && method !== "HEAD") {
        const res = reply(405, { status: "fail", output: "method not allowed" });
        return { ...res, headers: { ...res.headers, allow: "GET, HEAD", "content-length": String(res.body.length) } };
      }
      const res = await answer(which, q === -1 ? "" : request.path.slice(q + 1), request.headers ?? {});
      res.headers["content-length"] = String(Buffer.byteLength(res.body));
      return method === "HEAD" ? { ...res, body: "" } : res;
    },
  };
}

const HEADERS = { "content-type": "application/health+json", "cache-control": "no-store" };

function reply(status: number, body: object): HealthResponse {
  return { status, headers: { ...HEADERS }, body: JSON.stringify(body) };
}

function unauthorized(): HealthResponse {
  return {
    status: 401,
    headers: { "content-type": "application/json", "cache-control": "no-store", "www-authenticate": 'Bearer realm="health"' },
    body: JSON.stringify({ error: "unauthorized: pass Authorization: Bearer <token>" }),
  };
}

async function runAll(checks: readonly HealthCheck[], timeout: number): Promise<Evaluation> {
  const results = await Promise.all(checks.map((c) => runCheck(c, timeout)));
  const byKey: Record<string, CheckResult[]> = {};
  checks.forEach((c, i) => (byKey[checkKey(c)] ??= []).push(results[i]!));
  const status: HealthStatus = results.some((r) => r.status === "fail")
    ? "fail"
    : results.some((r) => r.status === "warn")
      ? "warn"
      : "pass";
  return { status, checks: byKey };
}
