import { existsSync, readdirSync } from "node:fs";
import { open, stat } from "node:fs/promises";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { systemClock } from "../../clock.js";

/**
 * Reading side of instance logs, laid out as `<logDir>/<releaseId>/<instanceId>.log`
 * with rotated copies `.log.1`, `.log.2`… (newest first). Used by
 * `ProcessPlatform.tail` and the daemon's `slipway logs [--follow]`.
 */

export interface LogEntry {
  releaseId: number;
  instanceId: string;
  path: string;
}

/** How often `followFile` looks for new data. */
export const FOLLOW_POLL_MS = 250;

const CHUNK = 64 * 1024;

/** Where the log of an instance lives. */
export function logPath(logDir: string, releaseId: number, instanceId: string): string {
  return join(logDir, String(releaseId), `${instanceId}.log`);
}

/**
 * Every instance log under `logDir`, ordered by release then instance id.
 *
 * @example
 * listLogs("/srv/app/.slipway/logs");
 * // [{ releaseId: 3, instanceId: "r3-1", path: "/srv/app/.slipway/logs/3/r3-1.log" }, ...]
 */
export function listLogs(logDir: string): LogEntry[] {
  if (!existsSync(logDir)) return [];
  const entries: LogEntry[] = [];
  for (const dir of readdirSync(logDir, { withFileTypes: true })) {
    if (!dir.isDirectory() || !/^\d+$/.test(dir.name)) continue;
    const releaseId = Number(dir.name);
    for (const file of readdirSync(join(logDir, dir.name))) {
      if (!file.endsWith(".log")) continue;
      entries.push({ releaseId, instanceId: file.slice(0, -".log".length), path: join(logDir, dir.name, file) });
    }
  }
  return entries.sort((a, b) => a.releaseId - b.releaseId || a.instanceId.localeCompare(b.instanceId, "en", { numeric: true }));
}

/**
 * The last `lines` lines of a log, reading backwards from its end and on into
 * the rotated files (`.1`, `.2`…) when the current one has too few. Holds
 * every line it returns: for a few lines (a failed instance's tail); use
 * {@link tailLines} to stream any number.
 *
 * @example
 * await tailFile(logPath(logDir, 3, "r3-1"), 20);
 */
export async function tailFile(path: string, lines: number): Promise<string[]> {
  const out: string[] = [];
  for await (const line of tailLines(path, lines)) out.push(line);
  return out;
}

/** A line longer than this is cut into pieces of this size (so memory stays bounded on a log with no newlines). */
export const MAX_LINE_BYTES = 1024 * 1024;

/**
 * Streams the last `lines` lines of a log (rotated files included, oldest
 * first), in bounded memory whatever `lines` is: a first pass reads backwards
 * in chunks, only counting newlines, to find where the tail starts; a second
 * reads forward from there, one chunk at a time. A final line without a
 * newline counts as a line. Sizes are taken when it starts: what is written
 * meanwhile is for `followFile`.
 *
 * @example
 * for await (const line of tailLines(logPath(logDir, 3, "r3-1"), 100_000_000)) await send(line);
 */
export async function* tailLines(path: string, lines: number): AsyncGenerator<string> {
  if (lines <= 0) return;
  const files = await logFiles(path);
  const buffer = Buffer.alloc(CHUNK);
  const start = await tailStart(files, lines, buffer);
  const decoder = new StringDecoder("utf8");
  let partial = "";
  for (let i = start.file; i >= 0; i--) {
    const file = files[i]!;
    const handle = await open(file.path, "r").catch(() => undefined);
    if (!handle) continue;
    try {
      for (let position = i === start.file ? start.offset : 0; position < file.size;) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK, file.size - position), position);
        if (bytesRead === 0) break;
        position += bytesRead;
        const parts = (partial + decoder.write(buffer.subarray(0, bytesRead))).split("\n");
        partial = parts.pop() ?? "";
        yield* parts;
        for (; partial.length > MAX_LINE_BYTES; partial = partial.slice(MAX_LINE_BYTES)) yield partial.slice(0, MAX_LINE_BYTES);
      }
    } finally {
      await handle.close();
    }
  }
  partial += decoder.end();
  if (partial) yield partial;
}

interface LogFile {
  path: string;
  size: number;
}

/** The log and its rotated files, newest first, with their sizes now. */
async function logFiles(path: string): Promise<LogFile[]> {
  const files: LogFile[] = [];
  for (let n = 0; ; n++) {
    const file = n === 0 ? path : `${path}.${n}`;
    const s = await stat(file).catch(() => undefined);
    if (!s) break;
    files.push({ path: file, size: s.size });
  }
  return files;
}

/**
 * Where the last `lines` lines start: an index into `files` (newest first)
 * and a byte offset, found by reading backwards and counting newlines (the
 * one ending the very last line does not start a line).
 */
async function tailStart(files: LogFile[], lines: number, buffer: Buffer): Promise<{ file: number; offset: number }> {
  let newlines = 0;
  let last = true;
  for (let i = 0; i < files.length; i++) {
    const handle = await open(files[i]!.path, "r").catch(() => undefined);
    if (!handle) continue;
    try {
      for (let position = files[i]!.size; position > 0;) {
        const length = Math.min(CHUNK, position);
        position -= length;
        const { bytesRead } = await handle.read(buffer, 0, length, position);
        for (let b = bytesRead - 1; b >= 0; b--) {
          if (buffer[b] !== 0x0a) {
            last = false;
            continue;
          }
          if (last) {
            last = false;
            continue;
          }
          if (++newlines === lines) return { file: i, offset: position + b + 1 };
        }
      }
    } finally {
      await handle.close();
    }
  }
  return { file: files.length - 1, offset: 0 };
}

/**
 * Call `onLines` with every complete line appended to `path` from now on
 * (with `fromStart`, from its first line: a file that appeared after the
 * caller looked), until `signal` aborts (then it resolves). Polls every FOLLOW_POLL_MS;
 * after a copytruncate rotation it reads what it had not seen from `.1`,
 * then continues from the start of the truncated file.
 *
 * @example
 * const ac = new AbortController();
 * await followFile(path, (lines) => lines.forEach((l) => console.log(l)), ac.signal);
 */
export async function followFile(
  path: string,
  onLines: (lines: string[]) => void,
  signal: AbortSignal,
  fromStart = false,
  /** Called once it knows where it starts: what is appended from then on is reported. */
  onStart?: () => void,
): Promise<void> {
  const decoder = new StringDecoder("utf8");
  let partial = "";
  const emit = (data: Buffer) => {
    const parts = (partial + decoder.write(data)).split("\n");
    partial = parts.pop() ?? "";
    if (parts.length > 0) onLines(parts);
  };
  let position = fromStart ? 0 : await sizeOf(path);
  let rotated = await stampOf(`${path}.1`);
  onStart?.();
  while (!signal.aborted) {
    await systemClock.sleep(FOLLOW_POLL_MS, signal);
    if (signal.aborted) break;
    const size = await sizeOf(path);
    const stamp = await stampOf(`${path}.1`);
    if (size < position || stamp.key !== rotated.key) {
      // The file it read was cut into the new rotated files .k … .1: read on past `position` in them.
      for (const piece of await newPieces(path, rotated.ino)) {
        const pieceSize = await sizeOf(piece);
        if (pieceSize > position) emit(await readRange(piece, position, pieceSize));
        position = Math.max(0, position - pieceSize);
      }
      rotated = stamp;
      position = 0;
    }
    if (size > position) {
      emit(await readRange(path, position, size));
      position = size;
    }
  }
}

async function sizeOf(path: string): Promise<number> {
  return (await stat(path).catch(() => undefined))?.size ?? 0;
}

/** `key` changes whenever the rotated file is rewritten, i.e. on rotation. */
async function stampOf(path: string): Promise<{ key: string; ino: number | null }> {
  const s = await stat(path).catch(() => undefined);
  return s ? { key: `${s.ino}:${s.mtimeMs}:${s.size}`, ino: s.ino } : { key: "", ino: null };
}

/**
 * The rotated files a rotation just wrote, oldest first: `.k` … `.1`, where the
 * `.1` from before (inode `previous`) is now `.k+1`; all of them when it is gone.
 */
async function newPieces(path: string, previous: number | null): Promise<string[]> {
  const pieces: string[] = [];
  for (let n = 1; ; n++) {
    const s = await stat(`${path}.${n}`).catch(() => undefined);
    if (!s || (previous !== null && s.ino === previous)) break;
    pieces.unshift(`${path}.${n}`);
  }
  return pieces;
}

async function readRange(path: string, start: number, end: number): Promise<Buffer> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(end - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
