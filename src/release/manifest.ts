import { createReadStream, createWriteStream, type BigIntStats, type ReadStream, type WriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { once } from "node:events";
import { createInterface, type Interface } from "node:readline";

/** First line of a manifest; a file without it is not read (older or foreign format). */
const HEADER = JSON.stringify({ slipwayManifest: 1 });

/**
 * What a regular file of the app looked like when a snapshot took it: enough
 * to tell, at the next snapshot, that the source file is the very same one
 * (same inode, same change time), not merely one of the same size and mtime.
 */
export interface SourceRecord {
  /** Relative to the snapshot root, `/`-separated. */
  path: string;
  size: bigint;
  mode: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
}

/** The manifest of a snapshot lives beside it: `.slipway/releases/<id>.manifest`. */
export function manifestPath(snapshotDir: string): string {
  return `${snapshotDir}.manifest`;
}

/** A source record from a file's `lstat(path, { bigint: true })`. */
export function sourceRecord(path: string, st: BigIntStats): SourceRecord {
  return { path, size: st.size, mode: st.mode, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: st.ino };
}

/**
 * Is the source file unchanged since `record` was taken? Content can only
 * change with a write, which moves ctime (no tool can set it back); a file
 * replaced by another (npm unpacking a new version with the same size and its
 * fixed 1985 mtime) has a new inode and ctime too.
 */
export function unchangedSince(record: SourceRecord, st: BigIntStats): boolean {
  return (
    record.ino === st.ino &&
    record.ctimeNs === st.ctimeNs &&
    record.mtimeNs === st.mtimeNs &&
    record.size === st.size &&
    record.mode === st.mode
  );
}

/**
 * Sort key of the walk order: a directory's entries sorted by name, each
 * directory's contents right after it. Comparing paths with `/` turned into
 * `\0` (below every other character) gives exactly that order, so a manifest
 * is a sorted list and the next snapshot merges it with its own walk.
 */
export function walkKey(path: string): string {
  return path.replaceAll("/", "\0");
}

/** Writes a manifest in walk order, to a temporary file renamed on `close` (a crash never leaves half a manifest). */
export class ManifestWriter {
  private constructor(
    private readonly path: string,
    private readonly out: WriteStream,
  ) {}

  static async create(path: string): Promise<ManifestWriter> {
    const out = createWriteStream(`${path}.tmp`);
    await once(out, "open");
    const writer = new ManifestWriter(path, out);
    await writer.line(HEADER);
    return writer;
  }

  async write(r: SourceRecord): Promise<void> {
    await this.line(JSON.stringify([r.path, `${r.size}`, `${r.mode}`, `${r.mtimeNs}`, `${r.ctimeNs}`, `${r.ino}`]));
  }

  async close(): Promise<void> {
    this.out.end();
    await once(this.out, "close");
    await rename(`${this.path}.tmp`, this.path);
  }

  async abort(): Promise<void> {
    this.out.destroy();
    await rm(`${this.path}.tmp`, { force: true });
  }

  private async line(text: string): Promise<void> {
    if (!this.out.write(`${text}\n`)) await once(this.out, "drain");
  }
}

/**
 * Reads a manifest as a cursor, in the walk order it was written in: `find`
 * must be called with paths in walk order too. Only the current line is held,
 * so memory does not grow with the number of files.
 */
export class ManifestReader {
  private current: SourceRecord | null = null;

  private constructor(
    private readonly input: ReadStream,
    private readonly lines: Interface,
    private readonly iterator: AsyncIterator<string>,
  ) {}

  /** Null when the manifest is missing or not one this version writes. */
  static async open(path: string): Promise<ManifestReader | null> {
    const input = createReadStream(path, { encoding: "utf8" });
    try {
      await once(input, "open");
    } catch {
      return null;
    }
    const lines = createInterface({ input, crlfDelay: Infinity });
    const reader = new ManifestReader(input, lines, lines[Symbol.asyncIterator]());
    const header = await reader.iterator.next();
    if (header.done || header.value !== HEADER) {
      reader.close();
      return null;
    }
    await reader.advance();
    return reader;
  }

  /** The record of `path`, if the manifest has one; skips the records before it. */
  async find(path: string): Promise<SourceRecord | undefined> {
    const key = walkKey(path);
    while (this.current && walkKey(this.current.path) < key) await this.advance();
    return this.current?.path === path ? this.current : undefined;
  }

  close(): void {
    this.lines.close();
    this.input.destroy();
    this.current = null;
  }

  private async advance(): Promise<void> {
    const next = await this.iterator.next();
    this.current = next.done ? null : parseRecord(next.value);
  }
}

/** A damaged line ends the cursor: files after it are copied, never wrongly linked. */
function parseRecord(line: string): SourceRecord | null {
  try {
    const [path, size, mode, mtimeNs, ctimeNs, ino] = JSON.parse(line) as string[];
    if (typeof path !== "string") return null;
    return { path, size: BigInt(size!), mode: BigInt(mode!), mtimeNs: BigInt(mtimeNs!), ctimeNs: BigInt(ctimeNs!), ino: BigInt(ino!) };
  } catch {
    return null;
  }
}
