/**
 * Reading the errors dockerode (docker-modem) rejects with: an `Error` whose
 * message is "(HTTP code 404) no such container - No such container: x ",
 * with `statusCode` and the engine's JSON body attached.
 */
interface EngineFailure {
  statusCode?: number;
  json?: { message?: string } | null;
  code?: string;
  message?: string;
}

/**
 * The engine's own one-line message, without docker-modem's HTTP prefix.
 *
 * @example
 * engineMessage(err); // "No such image: hello:v9"
 */
export function engineMessage(err: unknown): string {
  const failure = (err ?? {}) as EngineFailure;
  const message = failure.json?.message ?? failure.message ?? String(err);
  return message.replace(/^\(HTTP code \d+\) [^-]*- /, "").trim();
}

/**
 * Did the engine answer with HTTP `status` (e.g. 404 no such container, 304 already stopped, 409 conflict)?
 *
 * @example
 * await container.remove().catch((err) => { if (!hasStatus(err, 404)) throw err; });
 */
export function hasStatus(err: unknown, ...statuses: number[]): boolean {
  const status = (err as EngineFailure | undefined)?.statusCode;
  return status !== undefined && statuses.includes(status);
}

/**
 * Swallow "already gone" answers (404, and the given extra statuses); rethrow anything else.
 *
 * @example
 * await container.stop({ t: 10 }).catch(ignoreStatus(304));
 */
export function ignoreStatus(...statuses: number[]): (err: unknown) => undefined {
  return (err) => {
    if (hasStatus(err, 404, ...statuses)) return undefined;
    throw err;
  };
}
