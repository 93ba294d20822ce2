import type { Health } from "./health.js";
import type { HeaderMap } from "./token.js";

/**
 * The part of a Fastify instance the plugin uses (structural: no dependency on fastify).
 *
 * @example
 * const app: FastifyLike = Fastify();
 */
export interface FastifyLike {
  get(
    path: string,
    handler: (
      request: { method: string; url: string; headers: HeaderMap },
      reply: { code(status: number): unknown; headers(values: Record<string, string>): unknown; send(body: Buffer): unknown },
    ) => Promise<unknown>,
  ): unknown;
}

/**
 * Fastify plugin registering the three health routes (HEAD included, as
 * Fastify adds it to every GET route). Register it on the root instance.
 *
 * @example
 * const app = Fastify();
 * await app.register(fastifyPlugin(health));
 */
export function fastifyPlugin(health: Health): (app: FastifyLike) => Promise<void> {
  return async (app) => {
    for (const path of new Set(Object.values(health.paths))) {
      app.get(path, async (request, reply) => {
        const answer = await health.handle({ method: request.method, path: request.url, headers: request.headers });
        reply.code(answer?.status ?? 404);
        reply.headers(answer?.headers ?? {});
        return reply.send(Buffer.from(answer?.body ?? "")); // a Buffer: Fastify adds no charset to the content-type
      });
    }
  };
}
