/**
 * Slipway's small, typed error set. Every error that reaches a user carries a
 * stable code, one clear message line and, where it helps, a hint.
 *
 * @example
 * throw new SlipwayError("LOCK_HELD", "a deploy is already running (held by alice@web1 since 12:01:03)", {
 *   hint: "wait for it, or pass --wait-lock 5m",
 * });
 */
export type ErrorCode =
  | "CONFIG_INVALID"
  | "USAGE"
  | "INVALID_STATE"
  | "LOCK_HELD"
  | "ROLLOUT_FAILED"
  | "DAEMON_UNAVAILABLE"
  | "NOT_FOUND"
  | "PLATFORM"
  | "DISK_FULL"
  | "ACCESS_DENIED"
  | "FD_LIMIT"
  | "INTERNAL";

/**
 * CLI exit code for each error code: 1 rollout failed (or the machine is out
 * of a resource: disk space, permission, file descriptors; see
 * src/resource-error.ts), 2 usage/config, 3 lock held.
 */
export const EXIT_CODES: Record<ErrorCode, number> = {
  CONFIG_INVALID: 2,
  INVALID_STATE: 2,
  USAGE: 2,
  LOCK_HELD: 3,
  ROLLOUT_FAILED: 1,
  DAEMON_UNAVAILABLE: 1,
  NOT_FOUND: 2,
  PLATFORM: 1,
  DISK_FULL: 1,
  ACCESS_DENIED: 1,
  FD_LIMIT: 1,
  INTERNAL: 1,
};

export interface SlipwayErrorOptions {
  hint?: string;
  /** Extra lines shown under the message (e.g. every config problem, or log tail). */
  details?: string[];
  cause?: unknown;
}

export class SlipwayError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: string[];

  constructor(code: ErrorCode, message: string, options: SlipwayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SlipwayError";
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? [];
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }

  /** Plain-data form, sent over the control API and printed with --json. */
  toJSON(): { code: ErrorCode; message: string; hint?: string; details: string[] } {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}), details: this.details };
  }

  static fromJSON(data: { code: ErrorCode; message: string; hint?: string; details?: string[] }): SlipwayError {
    return new SlipwayError(data.code, data.message, { hint: data.hint, details: data.details });
  }
}
