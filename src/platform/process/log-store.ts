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
 * the rotated files (`.1`, `.2`…) when the current one has too few.
 *
 * @example
 * await tailFile(logPath(logDir, 3, "r3-1"), 20);
 */
export async function tailFile(path: string, lines: number): Promise<string[]> {
  if (lines <= 0) return [];
  const chunks: Buffer[] = [];
  let newlines = 0;
  for (let n = 0; newlines <= lines; n++) {
    const file = n === 0 ? path : `${path}.${n}`;
    const handle = await open(file, "r").catch(() => undefined);
    if (!handle) break;
    try {
      let position = (await handle.stat()).size;
      while (position > 0 && newlines <= lines) {
        const length = Math.min(CHUNK, position);
        position -= length;
        const chunk = Buffer.alloc(length);
        await handle.read(chunk, 0, length, position);
        chunks.unshift(chunk);
        for (const byte of chunk) if (byte === 0x0a) newlines++;
      }
    } finally {
      await handle.close();
    }
  }
  const all = Buffer.concat(chunks).toString("utf8").split("\n");
  if (all.at(-1) === "") all.pop();
  return all.slice(-lines);
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
export async function followFile(path: string, onLines: (lines: string[]) => void, signal: AbortSignal, fromStart = false): Promise<void> {
  const decoder = new StringDecoder("utf8");
  let partial = "";
  const emit = (data: Buffer) => {
    const parts = (partial + decoder.write(data)).split("\n");
    partial = parts.pop() ?? "";
    if (parts.length > 0) onLines(parts);
  };
  let position = fromStart ? 0 : await sizeOf(path);
  let rotated = await stampOf(`${path}.1`);
  while (!signal.aborted) {
    await systemClock.sleep(FOLLOW_POLL_MS, signal);
    if (signal.aborted) break;
    const size = await sizeOf(path);
    const stamp = await stampOf(`${path}.1`);
    if (size < position || stamp !== rotated) {
      rotated = stamp;
      const rotatedSize = await sizeOf(`${path}.1`);
      if (rotatedSize > position) emit(await readRange(`${path}.1`, position, rotatedSize));
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

/** Changes whenever the rotated file is rewritten, i.e. on rotation. */
async function stampOf(path: string): Promise<string> {
  const s = await stat(path).catch(() => undefined);
  return s ? `${s.ino}:${s.mtimeMs}:${s.size}` : "";
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
