import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  watch,
  type FSWatcher,
} from "node:fs";
import { dirname } from "node:path";
import { systemClock, type Clock, type Timer } from "../../clock.js";
import { copyInPieces } from "./log-pieces.js";

/**
 * Writing side of instance logs. The child process holds the log's file
 * descriptor (opened O_APPEND), so rotation is copytruncate-style: copy the
 * file to `.1` (in pieces, see log-pieces.ts) and truncate it in place; the
 * child's next write lands at 0.
 *
 * Bounds: a rotated file never exceeds `maxSize` + ROTATE_SLACK_BYTES (64 KiB);
 * a burst is cut into several rotated files, the oldest beyond `maxFiles`
 * dropped. The live file passes `maxSize` only from a write until the rotator
 * reacts: at once where the file can be watched (inotify), else within
 * ROTATE_CHECK_INTERVAL_MS.
 */

/** How often running instances' logs are checked against the size limit (besides watching them). */
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
 * Rotate `path` if it is larger than `maxSize` bytes: copy it into pieces of
 * at most `maxSize` (+ ROTATE_SLACK_BYTES), truncate it, shift `.1`→`.<1+k>` …
 * and name the k new pieces `.k` … `.1` (newest), keeping `maxFiles` rotated
 * files. Returns whether it rotated.
 */
export function rotateLog(path: string, maxSize: number, maxFiles: number): boolean {
  const size = statSync(path).size;
  if (size <= maxSize) return false;
  if (maxFiles < 1) {
    truncateSync(path, 0);
    return true;
  }
  const fd = openSync(path, "r");
  let pieces: string[];
  try {
    pieces = copyInPieces(fd, path, maxSize, maxFiles).pieces;
  } finally {
    closeSync(fd);
  }
  truncateSync(path, 0);
  const k = pieces.length;
  for (let n = maxFiles; n >= 1; n--) {
    if (!existsSync(`${path}.${n}`)) continue;
    if (n + k > maxFiles) rmSync(`${path}.${n}`, { force: true });
    else renameSync(`${path}.${n}`, `${path}.${n + k}`);
  }
  pieces.forEach((piece, i) => renameSync(piece, `${path}.${k - i}`));
  return true;
}

export interface LogRotatorOptions {
  maxSize: number;
  maxFiles: number;
  clock?: Clock;
}

/** Rotation limits of one log. */
export type LogLimits = Pick<LogRotatorOptions, "maxSize" | "maxFiles">;

/**
 * Rotates the logs of running instances that grow past their limit: each log
 * is watched (fs.watch, so a burst is rotated as soon as it is written) and
 * also checked every ROTATE_CHECK_INTERVAL_MS (unref'd timer, only while some
 * log is watched) where watching is not possible.
 */
export class LogRotator {
  #logs = new Map<string, { limits: LogLimits; watcher: FSWatcher | null; due: boolean }>();
  #options: LogRotatorOptions;
  #clock: Clock;
  #timer: Timer | undefined;

  constructor(options: LogRotatorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** Watches `path`, rotating it at `limits` (default: the rotator's own). */
  add(path: string, limits: LogLimits = this.#options): void {
    this.delete(path);
    const log = { limits, watcher: null as FSWatcher | null, due: false };
    this.#logs.set(path, log);
    try {
      log.watcher = watch(path, { persistent: false }, () => this.#soon(path));
      log.watcher.on("error", () => log.watcher?.close());
    } catch {
      // not watchable (gone, or no inotify): the interval check covers it
    }
    this.#schedule();
  }

  delete(path: string): void {
    this.#logs.get(path)?.watcher?.close();
    this.#logs.delete(path);
    if (this.#logs.size === 0 && this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Rotate every watched log that is over the limit, now. */
  check(): void {
    for (const path of this.#logs.keys()) this.#rotate(path);
  }

  #rotate(path: string): void {
    const log = this.#logs.get(path);
    if (!log) return;
    log.due = false;
    try {
      rotateLog(path, log.limits.maxSize, log.limits.maxFiles);
    } catch {
      // a missing or unreadable log (or a full disk) is retried on the next check
    }
  }

  /** A watched log changed: check it once the current burst of change events is handled. */
  #soon(path: string): void {
    const log = this.#logs.get(path);
    if (!log || log.due) return;
    log.due = true;
    setImmediate(() => this.#rotate(path));
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#logs.size === 0) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.check();
      this.#schedule();
    }, ROTATE_CHECK_INTERVAL_MS);
    this.#timer.unref?.();
  }
}
