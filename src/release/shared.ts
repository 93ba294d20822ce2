import { cp, lstat, mkdir, rename, rm, symlink } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { IgnoreList } from "./ignore.js";

/** What seeding did for each shared path: copied from the app, made empty, or left as it was. */
export type SeedOutcome = "seeded" | "created" | "kept";

/**
 * Makes sure every shared path (`app.shared`, relative to the app) exists
 * under `sharedDir` (`.slipway/shared/`). A path already there is never
 * touched: it holds the data of earlier releases. A new one is seeded from
 * the app's current content at that path (a copy keeping modes and times,
 * made beside it and renamed in place, so an interrupted copy never counts as
 * seeded), unless `.slipwayignore` leaves that path out; with nothing to seed
 * from, it starts as an empty directory (Capistrano's `linked_dirs`; a
 * shared *file* must exist in the app when first deployed).
 *
 * @example
 * await seedShared("/srv/app", "/srv/app/.slipway/shared", ["data"]);
 * // Map { "data" => "seeded" }
 */
export async function seedShared(appDir: string, sharedDir: string, paths: readonly string[]): Promise<Map<string, SeedOutcome>> {
  const outcomes = new Map<string, SeedOutcome>();
  if (paths.length === 0) return outcomes;
  const ignore = await IgnoreList.read(appDir);
  for (const path of paths) {
    const target = join(sharedDir, path);
    if (await exists(target)) {
      outcomes.set(path, "kept");
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    const source = join(appDir, path);
    if (!ignore.ignores(path) && (await exists(source))) {
      const partial = `${target}.seeding`;
      await rm(partial, { recursive: true, force: true });
      await cp(source, partial, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true, errorOnExist: true });
      await rename(partial, target);
      outcomes.set(path, "seeded");
    } else {
      await mkdir(target);
      outcomes.set(path, "created");
    }
  }
  return outcomes;
}

/**
 * Puts a relative symlink at `<snapshotDir>/<path>` to `<sharedDir>/<path>`
 * for each shared path (parents made as needed), so every release sees the
 * same data and a project moved as a whole keeps working. The snapshot has
 * left the app's own copy of these paths out.
 *
 * @example
 * await linkShared("/srv/app/.slipway/releases/7", "/srv/app/.slipway/shared", ["data"]);
 * // releases/7/data -> ../../shared/data
 */
export async function linkShared(snapshotDir: string, sharedDir: string, paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    const at = join(snapshotDir, path);
    await mkdir(dirname(at), { recursive: true });
    await rm(at, { recursive: true, force: true });
    await symlink(relative(dirname(at), join(sharedDir, path)), at);
  }
}

/**
 * Is `path` (relative, `/`-separated) one of the shared paths or inside one?
 *
 * @example
 * isShared("data/visits.txt", ["data"]); // true
 */
export function isShared(path: string, shared: readonly string[]): boolean {
  return shared.some((s) => path === s || path.startsWith(`${s}/`));
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

/** A shared path whose link in a release snapshot was found replaced, and what was done. */
export interface Relinked {
  path: string;
  /** "adopted": the snapshot's copy became the shared copy (the old one set aside); "set-aside": the snapshot's copy was set aside. */
  outcome: "adopted" | "set-aside";
  /** Where the copy that is no longer used went. */
  asideAt: string;
}

/**
 * Puts back the links of a release snapshot whose shared paths an app
 * replaced. An app that saves a file by writing a temporary file and
 * renaming it over the old one (lowdb, json-server, write-file-atomic, most
 * editors) replaces the symlink with a plain file, so its later writes stay
 * in that release and the next one would not see them.
 *
 * With `adopt` (the release that serves now: its copy is the newest data),
 * the snapshot's copy becomes the shared copy; otherwise (an older release
 * about to run again) the snapshot's copy is stale. Either way the copy no
 * longer used is moved to `asideDir/<stamp>/<path>`, never deleted, and the
 * link is put back.
 *
 * @example
 * await relinkReplaced("/srv/app/.slipway/releases/7", "/srv/app/.slipway/shared", ["db.json"], {
 *   adopt: true, asideDir: "/srv/app/.slipway/shared-replaced", stamp: "release-7-1796201238164",
 * });
 * // [{ path: "db.json", outcome: "adopted", asideAt: ".../shared-replaced/release-7-1796201238164/db.json" }]
 */
export async function relinkReplaced(
  snapshotDir: string,
  sharedDir: string,
  paths: readonly string[],
  o: { adopt: boolean; asideDir: string; stamp: string },
): Promise<Relinked[]> {
  const done: Relinked[] = [];
  for (const path of paths) {
    const at = join(snapshotDir, path);
    const stat = await lstat(at).catch(() => null);
    if (stat === null || stat.isSymbolicLink()) continue;
    const shared = join(sharedDir, path);
    const asideAt = join(o.asideDir, o.stamp, path);
    await mkdir(dirname(asideAt), { recursive: true });
    if (o.adopt) {
      // The shared copy is set aside first, then the snapshot's copy takes
      // its place: at every moment one of them holds the data.
      if (await exists(shared)) await rename(shared, asideAt);
      await mkdir(dirname(shared), { recursive: true });
      await rename(at, shared);
    } else {
      await rename(at, asideAt);
    }
    await symlink(relative(dirname(at), shared), at);
    done.push({ path, outcome: o.adopt ? "adopted" : "set-aside", asideAt });
  }
  return done;
}

/** A name that reads as a file: a last segment with an extension (`notes.db`, `db.sqlite3`), not a dot folder (`.cache`). */
const FILE_LIKE = /(^|\/)[^/.][^/]*\.[A-Za-z0-9]{1,10}$/;

/**
 * Shared paths that would be created as an empty directory although their
 * name reads as a file (`notes.db`): nothing at that path in the app (or
 * `.slipwayignore` leaves it out) nor in `sharedDir` yet. An app that means
 * to create the file itself would then find a directory there for good, so
 * the deploy refuses (Capistrano's `linked_files` must exist, too).
 *
 * @example
 * await fileLikeWithoutSource("/srv/app", "/srv/app/.slipway/shared", ["data", "notes.db"]); // ["notes.db"]
 */
export async function fileLikeWithoutSource(appDir: string, sharedDir: string, paths: readonly string[]): Promise<string[]> {
  const candidates = paths.filter((p) => FILE_LIKE.test(p));
  if (candidates.length === 0) return [];
  const ignore = await IgnoreList.read(appDir);
  const missing: string[] = [];
  for (const path of candidates) {
    if (await exists(join(sharedDir, path))) continue;
    if (!ignore.ignores(path) && (await exists(join(appDir, path)))) continue;
    missing.push(path);
  }
  return missing;
}
