/**
 * A failed Kubernetes API call: which failures are worth another attempt,
 * how long to wait before it, and the one line a user reads.
 *
 * Transient, as client-go and kubectl treat them: the server is throttling
 * (429) or briefly unable to answer (500, 502, 503, 504: an API server
 * restarting, an etcd timeout, a load balancer in front of it), or the
 * request did not reach it (connection refused or reset, a timeout, a DNS
 * lookup to try again). Anything else (404, 409, 422, 403, a bad
 * certificate) is an answer, and another attempt would get it again.
 */
import type { ApiException } from "@kubernetes/client-node";
import { STATUS_CODES } from "node:http";
import type { Clock } from "../../clock.js";

/** Waits before each further attempt at a transient failure: 6 attempts over about 8 s, enough for a control-plane blip. */
export const RETRY_DELAYS: readonly number[] = [250, 500, 1_000, 2_000, 4_000];
/** A server's Retry-After is honoured up to this. */
const RETRY_AFTER_CAP = 5_000;
const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);
const TRANSIENT_NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** A failed call, in one line (`Kubernetes API: <what>: <status> <message>`); `status` is the HTTP status when the server answered. */
export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    /** The last failure was transient: the attempts ran out (six, or one for a call made once, such as a lease write). */
    readonly transient: boolean,
  ) {
    super(message);
    this.name = "KubeApiError";
  }
}

/**
 * A failed call the server answered (the client's ApiException, recognised
 * by shape: the package ships both CommonJS and ESM builds, so `instanceof`
 * fails across them).
 */
function answered(err: unknown): err is ApiException<unknown> {
  return err instanceof Error && typeof (err as { code?: unknown }).code === "number" && "body" in err;
}

/** The HTTP status of a failed API call, undefined when the call did not reach the server. */
export function apiStatus(err: unknown): number | undefined {
  if (err instanceof KubeApiError) return err.status;
  return answered(err) ? err.code : undefined;
}

/**
 * One line for a failed API call: the status and the server's message (a
 * Status object's `message`), never the client's multi-line dump of the
 * body and headers.
 */
export function apiMessage(err: unknown): string {
  if (err instanceof KubeApiError) return err.message;
  if (answered(err)) {
    const body: unknown = typeof err.body === "string" ? safeParse(err.body) : err.body;
    const status = body && typeof body === "object" && "message" in body ? firstLine(String(body.message)) : "";
    // a proxy's page (HTML) or an empty answer says less than the status's own name
    const text = typeof body === "string" && !body.trimStart().startsWith("<") ? firstLine(body).slice(0, 200) : "";
    return `${err.code} ${status || text || STATUS_CODES[err.code] || "no message"}`;
  }
  return firstLine(err instanceof Error ? err.message : String(err));
}

/** Worth another attempt (see the header). */
export function isTransient(err: unknown): boolean {
  const status = apiStatus(err);
  if (status !== undefined) return TRANSIENT_STATUS.has(status);
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && TRANSIENT_NETWORK.has(code);
}

/** The server's Retry-After in ms (seconds form), capped; undefined when it sent none. */
function retryAfter(err: unknown): number | undefined {
  if (!answered(err)) return undefined;
  const headers = (err.headers ?? {}) as Record<string, string | undefined>;
  const value = Object.entries(headers).find(([name]) => name.toLowerCase() === "retry-after")?.[1];
  const seconds = Number(value);
  return value !== undefined && Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, RETRY_AFTER_CAP) : undefined;
}

/**
 * Runs `call`, again after a transient failure (see the header) up to
 * `delays.length` more times; any failure leaves as a KubeApiError whose
 * message is `Kubernetes API: <what>: <status message>`. `call` must be
 * safe to run twice: a read, a replace or patch that sets a value, or a
 * read-then-write that reads again.
 */
export async function retrying<T>(
  clock: Clock,
  what: string,
  call: () => Promise<T>,
  delays: readonly number[] = RETRY_DELAYS,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (err instanceof KubeApiError) throw err;
      const transient = isTransient(err);
      if (!transient || attempt >= delays.length) {
        const tries = attempt > 0 ? ` (${attempt + 1} attempts)` : "";
        throw new KubeApiError(`Kubernetes API: ${what}: ${apiMessage(err)}${tries}`, apiStatus(err), transient);
      }
      await clock.sleep(retryAfter(err) ?? delays[attempt]!);
    }
  }
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0]!.trim();
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
