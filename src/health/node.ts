import type { IncomingMessage, ServerResponse } from "node:http";
import type { Health } from "./health.js";

/**
 * Answers health paths; resolves true when it did. Otherwise calls `next` (middleware) or the fallback listener.
 *
 * @example
 * const answerHealth: NodeHealthHandler = nodeHandler(health);
 * if (!(await answerHealth(req, res))) res.end("hello");
 */
export type NodeHealthHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => Promise<boolean>;

/**
 * node:http adapter. As the server's request listener, with the app as the
 * fallback for every other path; or as a middleware that says whether it
 * answered.
 *
 * @example
 * createServer(nodeHandler(health, (req, res) => res.end("hello"))).listen(3000);
 * // or, inside your own listener:
 * const answerHealth = nodeHandler(health);
 * createServer(async (req, res) => {
 *   if (await answerHealth(req, res)) return;
 *   res.end("hello");
 * });
 */
export function nodeHandler(health: Health, fallback?: (req: IncomingMessage, res: ServerResponse) => void): NodeHealthHandler {
  return async (req, res, next) => {
    const answer = await health.handle({ method: req.method, path: req.url ?? "/", headers: req.headers });
    if (!answer) {
      if (next) next();
      else fallback?.(req, res);
      return false;
    }
    res.writeHead(answer.status, answer.headers).end(answer.body);
    return true;
  };
}
