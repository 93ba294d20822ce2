import type { IncomingMessage, ServerResponse } from "node:http";
import type { Health } from "./health.js";
import { nodeHandler } from "./node.js";

/**
 * Express middleware (Express 4 and 5): answers the health paths, passes
 * every other request on. Mount it at the root, before your routes.
 *
 * @example
 * const app = express();
 * app.use(expressMiddleware(health));
 * app.get("/", (req, res) => res.json({ hello: "world" }));
 */
export function expressMiddleware(health: Health): (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void {
  const handler = nodeHandler(health);
  return (req, res, next) => void handler(req, res, next).catch(next);
}
