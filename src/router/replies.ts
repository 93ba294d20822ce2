import { STATUS_CODES } from "node:http";

/** A response the router writes itself, precomputed once. */
export interface Reply {
  readonly status: number;
  /** Flat header list for `res.writeHead`. */
  readonly headers: string[];
  readonly body: Buffer;
  /** The whole response as bytes, for raw sockets (upgrades, client errors); closes the connection. */
  readonly raw: Buffer;
}

/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * Builds a plain-text reply.
 *
 * @example
 * const r = reply(503, "slipway: no ready instance\n", ["retry-after", "1"]);
 * res.writeHead(r.status, r.headers as string[]).end(r.body);
 */
export function reply(status: number, text: string, extra: readonly string[] = []): Reply {
  const body = Buffer.from(text);
  const headers = [
    "content-type",
    "text/plain; charset=utf-8",
    "content-length",
    String(body.length),
    "cache-control",
    "no-store",
    ...extra,
  ];
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\nconnection: close\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return { status, headers, body, raw: Buffer.concat([Buffer.from(`${head}\r\n`), body]) };
}

/**
 * The 503 answered at once when no target is ready for `name`.
 *
 * @example
 * noTargetReply("web").body.toString();
 * // 'slipway: no ready instance for "web" (all instances are starting, stopping or unhealthy)\n'
 */
export function noTargetReply(name: string): Reply {
  return reply(503, `slipway: no ready instance for "${name}" (all instances are starting, stopping or unhealthy)\n`, [
    "retry-after",
    String(RETRY_AFTER_SECONDS),
  ]);
}

/**
 * The 502 answered when an instance failed before responding and the request
 * could not be replayed on another one (not safe to replay, or none left).
 *
 * @example
 * badGatewayReply("web", "web-r3-1", "ECONNRESET").status; // 502
 */
export function badGatewayReply(name: string, targetId: string, code: string): Reply {
  return reply(502, `slipway: instance "${targetId}" of "${name}" failed before responding (${code})\n`);
}

/**
 * The 504 answered when an instance sent no response headers within the
 * router's response timeout (the request is not retried: it may have run).
 *
 * @example
 * gatewayTimeoutReply("web", "web-r3-1", 60_000).status; // 504
 */
export function gatewayTimeoutReply(name: string, targetId: string, timeoutMs: number): Reply {
  return reply(504, `slipway: instance "${targetId}" of "${name}" did not respond within ${timeoutMs} ms\n`);
}

/**
 * A 400 the router answers itself, naming what is wrong with the request.
 *
 * @example
 * badRequestReply("two Host headers").body.toString(); // "slipway: bad request (two Host headers)\n"
 */
export function badRequestReply(why: string): Reply {
  return reply(400, `slipway: bad request (${why})\n`);
}
