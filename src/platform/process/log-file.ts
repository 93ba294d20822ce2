import {
  appendFileSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
} from "node:fs";
import { dirname } from "node:path";
import { systemClock, type Clock, type Timer } from "../../clock.js";

/**
 * Writing side of instance logs. The child process holds the log's file
 * descriptor (opened O_APPEND), so rotation is copytruncate-style: copy the
 * file to `.1` and truncate it in place; the child's next write lands at 0.
 */

/** How often running instances' logs are checked against the size limit. */
export const ROTATE_CHECK_INTERVAL_MS = 1000;

/** Open (creating directories) `path` for appending; the fd goes to the child's stdout and stderr. */
export function openLog(path: string): number {
  mkdirSync(dirname(path), { recursive: true });
  return openSync(path, "a");
}

/** Append a `--- slipway: <text> ---` marker line. Best effort: never throws. */
export function appendMarker(path: string, text: string): void {
  try {
    appendFileSync(path, `--- slipway: ${text} ---\n`);
  } catch {
    // the log directory may be gone; the marker is not worth failing for
  }
}

/**
 * Rotate `path` if it is larger than `maxSize` bytes: shift `.1`→`.2` … keeping
 * `maxFiles` rotated files, copy the log to `.1` and truncate it. Returns
 * whether it rotated.
 */
export function rotateLog(path: string, maxSize: number, maxFiles: number): boolean {
  const size = statSync(path).size;
  if (size <= maxSize) return false;
  rmSync(`${path}.${maxFiles}`, { force: true });
  for (let n = maxFiles - 1; n >= 1; n--) {
    if (existsSync(`${path}.${n}`)) renameSync(`${path}.${n}`, `${path}.${n + 1}`);
  }
  if (maxFiles >= 1) {
    copyFileSync(path, `${path}.1`);
    copyTail(path, `${path}.1`);
  }
  truncateSync(path, 0);
  return true;
}

/** Append to `to` whatever `from` gained since it was copied, narrowing the copy/truncate window. */
function copyTail(from: string, to: string): void {
  const copied = statSync(to).size;
  const size = statSync(from).size;
  if (size <= copied) return;
  const buffer = Buffer.alloc(size - copied);
  const fd = openSync(from, "r");
  try {
    readSync(fd, buffer, 0, buffer.length, copied);
  } finally {
    closeSync(fd);
  }
  appendFileSync(to, buffer);
}

export interface LogRotatorOptions {
  maxSize: number;
  maxFiles: number;
  clock?: Clock;
}

/**
 * Checks the logs of running instances every ROTATE_CHECK_INTERVAL_MS
 * (unref'd timer, only while some log is watched) and rotates the large ones.
 */
export class LogRotator {
  #paths = new Set<string>();
  #options: LogRotatorOptions;
  #clock: Clock;
  #timer: Timer | undefined;

  constructor(options: LogRotatorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  add(path: string): void {
    this.#paths.add(path);
    this.#schedule();
  }

  delete(path: string): void {
    this.#paths.delete(path);
    if (this.#paths.size === 0 && this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Rotate every watched log that is over the limit, now. */
  check(): void {
    for (const path of this.#paths) {
      try {
        rotateLog(path, this.#options.maxSize, this.#options.maxFiles);
      } catch {
        // a missing or unreadable log is retried on the next check
      }
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#paths.size === 0) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.check();
      this.#schedule();
    }, ROTATE_CHECK_INTERVAL_MS);
    this.#timer.unref?.();
  }
}
