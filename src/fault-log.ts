import { writeSync } from "node:fs";

/** A repeated fault (same text) is written at most once per this many ms, with a count. */
export const FAULT_REPEAT_MS = 10_000;

/**
 * Where the daemon reports a fault it survived (a ledger write that failed
 * on a full disk, say): one timestamped line on stderr, which is
 * `.slipway/daemon.log`. Never throws, even when that file cannot be
 * written either (it sits on the same full disk); the same line repeated
 * is written once per FAULT_REPEAT_MS with how often it happened.
 *
 * @example
 * const faults = new FaultLog();
 * faults.survive("record instance r3-1 ready", () => ledger.setInstanceState("r3-1", "ready"));
 */
export class FaultLog {
  readonly #write: (line: string) => void;
  readonly #now: () => number;
  readonly #last = new Map<string, { at: number; repeats: number }>();

  constructor(write: (line: string) => void = writeStderr, now: () => number = Date.now) {
    this.#write = write;
    this.#now = now;
  }

  /** Reports that `what` failed with `err`, and goes on. */
  report(what: string, err: unknown): void {
    const text = `${what} failed: ${describe(err)}`;
    const now = this.#now();
    const last = this.#last.get(text);
    if (last && now - last.at < FAULT_REPEAT_MS) {
      last.repeats++;
      return;
    }
    if (this.#last.size > 100) this.#last.clear();
    this.#last.set(text, { at: now, repeats: 0 });
    const repeats = last?.repeats ? ` (${last.repeats} more time(s) since the last report)` : "";
    try {
      this.#write(`${new Date(now).toISOString()} fault: ${text}${repeats}\n`);
    } catch {
      // nowhere left to report to; the fault itself was survived
    }
  }

  /** Runs `fn`; if it throws, reports it and returns undefined instead. */
  survive<T>(what: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      this.report(what, err);
      return undefined;
    }
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}

/** Synchronous, so nothing queues in memory when stderr is a file on a full disk. */
function writeStderr(line: string): void {
  writeSync(2, line);
}
