/**
 * The HTTP side of the live checks: a fetch wrapper that contacts only one host, never follows a
 * redirect by itself, times out every request and refuses to send more than its budget.
 */

/** Bodies are read up to this many bytes (health answers); longer ones are cut. */
export const MAX_BODY_BYTES = 64 * 1024;

/** An answer: status and headers, the body only when asked for, and how long it took. */
export interface LiveResponse {
  url: string;
  status: number;
  headers: Headers;
  /** Milliseconds from sending to the end of the body (or of the headers when the body was not read). */
  ms: number;
  body?: string;
  /** The body was longer than MAX_BODY_BYTES and was cut. */
  truncated?: boolean;
}

/** A request that got no answer (connection refused, DNS, TLS, timeout). */
export interface LiveFailure {
  url: string;
  error: string;
}

export type LiveReply = LiveResponse | LiveFailure;

export interface LiveClientOptions {
  /** The only hostname that may be contacted. */
  host: string;
  /** Hard cap on requests sent by this client. */
  maxRequests: number;
  timeoutMs: number;
  fetch: typeof fetch;
  now: () => number;
}

export interface LiveClient {
  /** One GET (redirects are returned, not followed). */
  get(url: string, options?: { headers?: Record<string, string>; body?: boolean }): Promise<LiveReply>;
  /** GET, then follow redirects on the same host (up to `hops`); the last reply is the one to grade. */
  route(url: string, hops: number): Promise<LiveReply[]>;
  /** Requests sent so far. */
  readonly sent: number;
}

/**
 * A client bound to one host and a request budget.
 *
 * @example
 * const client = createLiveClient({ host: "staging.example.com", maxRequests: 40, timeoutMs: 5000, fetch, now: Date.now });
 * const reply = await client.get("https://staging.example.com/health", { body: true });
 * if (isFailure(reply)) console.log(reply.error); else console.log(reply.status, reply.ms);
 */
export function createLiveClient(options: LiveClientOptions): LiveClient {
  let sent = 0;
  async function get(url: string, opts: { headers?: Record<string, string>; body?: boolean } = {}): Promise<LiveReply> {
    if (new URL(url).hostname !== options.host) throw new Error(`live audit: refusing to contact ${url} (only ${options.host})`);
    if (sent >= options.maxRequests) throw new Error(`live audit: request budget of ${options.maxRequests} exhausted`);
    sent++;
    const started = options.now();
    try {
      const res = await options.fetch(url, {
        redirect: "manual",
        headers: { "user-agent": "slipway-audit", ...opts.headers },
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      if (!opts.body) {
        await res.body?.cancel().catch(() => undefined);
        return { url, status: res.status, headers: res.headers, ms: options.now() - started };
      }
      const { text, truncated } = await readBody(res);
      return {
        url,
        status: res.status,
        headers: res.headers,
        ms: options.now() - started,
        body: text,
        ...(truncated ? { truncated } : {}),
      };
    } catch (err) {
      return { url, error: describeError(err, options.timeoutMs) };
    }
  }
  return {
    get,
    async route(url, hops) {
      const replies: LiveReply[] = [await get(url)];
      for (let i = 0; i < hops; i++) {
        const next = sameHostLocation(replies.at(-1), options.host);
        if (!next) break;
        replies.push(await get(next));
      }
      return replies;
    },
    get sent() {
      return sent;
    },
  };
}

/** True when the request got no answer. */
export function isFailure(reply: LiveReply | undefined): reply is LiveFailure {
  return reply !== undefined && "error" in reply;
}

/** The absolute target of a redirect answer, or undefined when it is not a redirect. */
export function redirectTarget(reply: LiveReply | undefined): URL | undefined {
  if (!reply || isFailure(reply) || reply.status < 300 || reply.status > 399) return undefined;
  const location = reply.headers.get("location");
  if (location === null) return undefined;
  try {
    return new URL(location, reply.url);
  } catch {
    return undefined;
  }
}

/** The redirect target when it is http(s) on `host`; redirects elsewhere are never followed. */
function sameHostLocation(reply: LiveReply | undefined, host: string): string | undefined {
  const target = redirectTarget(reply);
  if (!target || target.hostname !== host || !/^https?:$/.test(target.protocol)) return undefined;
  return target.href;
}

async function readBody(res: Response): Promise<{ text: string; truncated: boolean }> {
  if (!res.body) return { text: "", truncated: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      return { text: Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString("utf8"), truncated: true };
    }
  }
  return { text: Buffer.concat(chunks).toString("utf8"), truncated: false };
}

/** `connect ECONNREFUSED 127.0.0.1:9`, `no answer within 5000 ms`, ... */
function describeError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return `no answer within ${timeoutMs} ms`;
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error) {
    const nested = cause instanceof AggregateError ? cause.errors.find((e): e is Error => e instanceof Error) : undefined;
    return (nested ?? cause).message;
  }
  return err instanceof Error ? err.message : String(err);
}
