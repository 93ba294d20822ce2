import type { IncomingMessage, ServerResponse } from "node:http";
import { SlipwayError } from "../errors.js";

/** Reads a JSON request body (`{}` when empty); a malformed one is a `USAGE` error. */
export function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {});
      } catch (err) {
        reject(new SlipwayError("USAGE", `bad request body: ${(err as Error).message}`));
      }
    });
    req.on("error", reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Answers with a `SlipwayError` as `{ error }` (what `ApiClient` turns back into one). */
export function sendError(res: ServerResponse, e: SlipwayError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, e.code === "NOT_FOUND" ? 404 : e.code === "INTERNAL" ? 500 : 400, { error: e.toJSON() });
}
