import { constants, type BigIntStats } from "node:fs";
import { chmod, copyFile, link, lstat, mkdir, readdir, readlink, rm, stat, symlink, utimes } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { IgnoreList } from "./ignore.js";
import { ManifestReader, ManifestWriter, manifestPath, sourceRecord, unchangedSince, type SourceRecord } from "./manifest.js";
import { isShared, linkShared } from "./shared.js";
import { TaskPool } from "./task-pool.js";

/** Files linked or copied at once by default: enough to keep libuv's thread pool busy, few enough to bound memory. */
export const SNAPSHOT_CONCURRENCY = 32;
/** Entries of one directory stat'ed at once. */
const STAT_BATCH = 64;
/** utimes takes seconds as a double: the mtime set on a copy is within a few hundred ns of the source's. */
const MTIME_SLACK_NS = 10_000n;

export interface SnapshotOptions {
  /** Snapshot directory of an earlier release: unchanged files are hard-linked from it instead of copied. */
  previous?: string;
  /** Files linked or copied at once (default {@link SNAPSHOT_CONCURRENCY}). */
  concurrency?: number;
  /**
   * `app.shared` on the process platform: these paths (relative, `/`-separated)
   * are left out of the snapshot and replaced by relative symlinks into `dir`
   * (`.slipway/shared/`), whatever `.slipwayignore` says. See release/shared.ts.
   */
  shared?: { dir: string; paths: readonly string[] };
}

/** What a snapshot did: `bytesCopied` is the size of the copied files (linked ones cost no data). */
export interface SnapshotSummary {
  files: number;
  linked: number;
  copied: number;
  bytesCopied: number;
  symlinks: number;
  dirs: number;
}

/**
 * Copies the app's working directory into `.slipway/releases/<id>/`
 * (Capistrano-style), so a release can run again after its source changed.
 * Leaves out `.slipway/`, `.git/`, what `.slipwayignore` lists, sockets and
 * FIFOs. Asynchronous throughout (the daemon keeps serving while it runs),
 * with at most `concurrency` files in flight.
 *
 * With `previous`, a file whose source is unchanged since the previous
 * snapshot (same inode, ctime, mtime, size and mode as its manifest records)
 * and whose copy there is untouched (same size, mode and mtime) is
 * hard-linked from it; other files are copied (a reflink where the file
 * system can). Copies keep the source's mode and mtime. The walk writes the
 * manifest of this snapshot beside it (`<dir>.manifest`). See
 * docs/releases.md for the rule and its hazard. With `shared`, the shared
 * paths are symlinks into the shared directory instead of copies.
 *
 * @example
 * await snapshotRelease("/srv/app", "/srv/app/.slipway/releases/7", { previous: "/srv/app/.slipway/releases/6" });
 * // { files: 21034, linked: 21030, copied: 4, bytesCopied: 18211, symlinks: 12, dirs: 3120 }
 */
export async function snapshotRelease(sourceDir: string, targetDir: string, options: SnapshotOptions = {}): Promise<SnapshotSummary> {
  if (!(await isDirectory(sourceDir))) throw new Error(`app.cwd ${sourceDir} does not exist`);
  const ignore = await IgnoreList.read(sourceDir);
  await rm(targetDir, { recursive: true, force: true });
  await rm(manifestPath(targetDir), { force: true });
  await mkdir(targetDir, { recursive: true });
  const previous = options.previous ? await ManifestReader.open(manifestPath(options.previous)) : null;
  const manifest = await ManifestWriter.create(manifestPath(targetDir));
  const intake = new Intake(
    sourceDir,
    targetDir,
    ignore,
    options.shared?.paths ?? [],
    previous && options.previous ? { dir: options.previous, manifest: previous } : null,
    manifest,
  );
  const pool = new TaskPool(options.concurrency ?? SNAPSHOT_CONCURRENCY);
  try {
    await intake.walk("", pool);
    await pool.drain();
    if (options.shared) await linkShared(targetDir, options.shared.dir, options.shared.paths);
    await intake.finishDirs();
    await manifest.close();
  } catch (err) {
    await pool.drain().catch(() => undefined);
    await manifest.abort();
    throw err;
  } finally {
    previous?.close();
  }
  return intake.summary;
}

/** One snapshot in progress: walks the source in manifest order and hands each entry's file work to the pool. */
class Intake {
  readonly summary: SnapshotSummary = { files: 0, linked: 0, copied: 0, bytesCopied: 0, symlinks: 0, dirs: 0 };
  /** Directories without owner write permission get their mode once everything inside them is written. */
  private readonly lockedDirs: [string, number][] = [];

  constructor(
    private readonly source: string,
    private readonly target: string,
    private readonly ignore: IgnoreList,
    private readonly shared: readonly string[],
    private readonly previous: { dir: string; manifest: ManifestReader } | null,
    private readonly manifest: ManifestWriter,
  ) {}

  async walk(rel: string, pool: TaskPool): Promise<void> {
    const names = (await readdir(join(this.source, rel)))
      .map((name) => (rel ? `${rel}/${name}` : name))
      .filter((path) => !this.ignore.ignores(path) && !isShared(path, this.shared))
      .sort();
    for (let i = 0; i < names.length; i += STAT_BATCH) {
      const batch = names.slice(i, i + STAT_BATCH);
      const stats = await Promise.all(batch.map((path) => lstat(join(this.source, path), { bigint: true }).catch(vanished)));
      for (const [j, path] of batch.entries()) {
        const st = stats[j];
        if (!st) continue;
        if (st.isDirectory()) {
          await this.makeDir(path, Number(st.mode & 0o7777n));
          await this.walk(path, pool);
        } else if (st.isFile()) {
          const record = sourceRecord(path, st);
          await this.manifest.write(record);
          const before = await this.previous?.manifest.find(path);
          await pool.add(() => this.takeFile(record, st, before));
        } else if (st.isSymbolicLink()) {
          await pool.add(() => this.copyLink(path));
        }
      }
    }
  }

  /** Sets the modes held back by `makeDir`, deepest directories first. */
  async finishDirs(): Promise<void> {
    for (const [path, mode] of this.lockedDirs.reverse()) await chmod(path, mode);
  }

  private async makeDir(path: string, mode: number): Promise<void> {
    const dir = join(this.target, path);
    await mkdir(dir);
    if ((mode & 0o300) === 0o300) await chmod(dir, mode);
    else this.lockedDirs.push([dir, mode]);
    this.summary.dirs++;
  }

  private async takeFile(record: SourceRecord, st: BigIntStats, before: SourceRecord | undefined): Promise<void> {
    const to = join(this.target, record.path);
    this.summary.files++;
    if (this.previous && before && unchangedSince(before, st)) {
      const from = join(this.previous.dir, record.path);
      if (await untouched(from, before)) {
        try {
          await link(from, to);
          this.summary.linked++;
          return;
        } catch {
          // EMLINK, EXDEV, a file system without hard links: copy instead.
        }
      }
    }
    await copyFile(join(this.source, record.path), to, constants.COPYFILE_FICLONE);
    await utimes(to, seconds(st.atimeNs), seconds(st.mtimeNs));
    this.summary.copied++;
    this.summary.bytesCopied += Number(record.size);
  }

  /** Symlinks are copied verbatim, except the relative ones `anchoredLink` makes absolute. */
  private async copyLink(path: string): Promise<void> {
    const link = await readlink(join(this.source, path));
    await symlink(anchoredLink(this.source, path, link), join(this.target, path));
    this.summary.symlinks++;
  }
}

/**
 * Relative symlinks that point outside the app (npm's `file:` and workspace
 * links in node_modules) would dangle inside the snapshot: they become
 * absolute. Links within the app stay relative, so they point into the
 * snapshot. Only the places such links live are considered: the app's top
 * level, `node_modules/*` and `node_modules/@scope/*`.
 */
function anchoredLink(sourceDir: string, path: string, link: string): string {
  if (isAbsolute(link) || !/^(node_modules\/(@[^/]+\/)?)?[^/]+$/.test(path)) return link;
  const resolved = resolve(dirname(join(sourceDir, path)), link);
  return relative(sourceDir, resolved).startsWith("..") ? resolved : link;
}

/** Is the previous snapshot's file still as that snapshot made it (nothing wrote it in place since)? */
async function untouched(file: string, record: SourceRecord): Promise<boolean> {
  const st = await lstat(file, { bigint: true }).catch(vanished);
  if (!st?.isFile() || st.size !== record.size || st.mode !== record.mode) return false;
  const drift = st.mtimeNs - record.mtimeNs;
  return drift <= MTIME_SLACK_NS && drift >= -MTIME_SLACK_NS;
}

/** utimes's seconds, through microseconds (a double cannot hold epoch nanoseconds exactly). */
function seconds(ns: bigint): number {
  return Number(ns / 1000n) / 1e6;
}

/** A file deleted while the snapshot runs is left out, as if it had been deleted just before. */
function vanished(err: NodeJS.ErrnoException): undefined {
  if (err.code === "ENOENT") return undefined;
  throw err;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Deletes the per-release entries (`<dir>/<id>/` snapshots or logs, and a
 * snapshot's `<id>.manifest`) of releases `keep` rejects; returns their ids.
 * Files another release hard-linked from a pruned snapshot live on in that
 * release (a hard link is as much the file as the first name was).
 */
export async function pruneReleaseDirs(releasesDir: string, keep: (id: number) => boolean): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(releasesDir);
  } catch {
    return [];
  }
  const removed: number[] = [];
  for (const name of names) {
    const match = /^(\d+)(\.manifest)?$/.exec(name);
    const id = Number(match?.[1]);
    if (!match || keep(id)) continue;
    await rm(join(releasesDir, name), { recursive: true, force: true });
    if (!match[2]) removed.push(id);
  }
  return removed;
}
