/**
 * `slipway/health`: the app side of health checking and graceful shutdown.
 * Liveness, readiness and a detailed IETF `application/health+json` report
 * with per-check timeouts, caching and an optional token; adapters for
 * node:http, Express, Fastify and fetch-style frameworks (Hono); and a
 * graceful shutdown that fails readiness first, then drains.
 *
 * @example
 * import { createServer } from "node:http";
 * import { createHealth, gracefulShutdown, nodeHandler } from "slipway/health";
 *
 * const health = createHealth({ checks: [{ name: "postgres", check: (signal) => ping(signal) }] });
 * const server = createServer(nodeHandler(health, app)).listen(Number(process.env.PORT));
 * gracefulShutdown({ server, health, onShutdown: [() => pool.end()] });
 */
export {
  createHealth,
  DEFAULT_CACHE_FOR,
  DEFAULT_CHECK_TIMEOUT,
  DEFAULT_HEALTH_PATHS,
  type Health,
  type HealthOptions,
  type HealthPaths,
  type HealthReport,
  type HealthRequest,
  type HealthResponse,
} from "./health.js";
export { MAX_OUTPUT_LENGTH, type CheckResult, type CheckValue, type HealthCheck, type HealthStatus } from "./checks.js";
export type { HeaderMap } from "./token.js";
export { nodeHandler, type NodeHealthHandler } from "./node.js";
export { expressMiddleware } from "./express.js";
export { fastifyPlugin, type FastifyLike } from "./fastify.js";
export { fetchHandler, honoMiddleware } from "./fetch.js";
export {
  DEFAULT_SHUTDOWN_DELAY,
  DEFAULT_SHUTDOWN_SIGNALS,
  DEFAULT_SHUTDOWN_TIMEOUT,
  gracefulShutdown,
  type GracefulShutdown,
  type GracefulShutdownOptions,
  type ShutdownServer,
  type ShutdownState,
} from "./shutdown.js";
