import type { Health } from "./health.js";

/**
 * Fetch-style adapter (Hono, Bun, Deno, Cloudflare Workers, Next route
 * handlers): a Response for the health paths, undefined for anything else.
 *
 * @example
 * const answerHealth = fetchHandler(health);
 * export default { fetch: async (req: Request) => (await answerHealth(req)) ?? app.fetch(req) };
 */
export function fetchHandler(health: Health): (request: Request) => Promise<Response | undefined> {
  return async (request) => {
    const url = new URL(request.url);
    const authorization = request.headers.get("authorization");
    const answer = await health.handle({
      method: request.method,
      path: url.pathname + url.search,
      headers: authorization === null ? {} : { authorization },
    });
    return answer && new Response(answer.body === "" ? null : answer.body, { status: answer.status, headers: answer.headers });
  };
}

/**
 * Hono middleware (structurally typed: no dependency on hono). Answers the
 * health paths, calls `next()` for the rest.
 *
 * @example
 * const app = new Hono();
 * app.use(honoMiddleware(health));
 * app.get("/", (c) => c.json({ hello: "world" }));
 */
export function honoMiddleware(health: Health): (c: { req: { raw: Request } }, next: () => Promise<void>) => Promise<Response | undefined> {
  const handle = fetchHandler(health);
  return async (c, next) => {
    const answer = await handle(c.req.raw);
    if (answer) return answer;
    await next();
    return undefined;
  };
}
