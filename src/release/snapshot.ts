import { cpSync, existsSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { IgnoreList } from "./ignore.js";

/**
 * Copies the app's working directory into `.slipway/releases/<id>/`
 * (Capistrano-style), so a release can run again after its source changed.
 * Leaves out `.slipway/`, `.git/` and whatever `.slipwayignore` lists.
 *
 * @example
 * snapshotRelease("/srv/app", "/srv/app/.slipway/releases/7");
 */
export function snapshotRelease(sourceDir: string, targetDir: string): void {
  if (!existsSync(sourceDir)) throw new Error(`app.cwd ${sourceDir} does not exist`);
  const ignore = IgnoreList.load(sourceDir);
  rmSync(targetDir, { recursive: true, force: true });
  mkdirSync(targetDir, { recursive: true });
  // Entry by entry: the target usually lies inside the source (.slipway/), which cpSync refuses as a whole.
  for (const name of readdirSync(sourceDir)) {
    if (ignore.ignores(name)) continue;
    cpSync(join(sourceDir, name), join(targetDir, name), {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => !ignore.ignores(relative(sourceDir, src).split(sep).join("/")),
    });
  }
  anchorOutsideLinks(sourceDir, targetDir);
}

/**
 * Relative symlinks that point outside the app (npm's `file:` and workspace
 * links in node_modules) would dangle inside the snapshot: make them
 * absolute. Links within the app stay relative, so they point into the
 * snapshot. Only the places such links live are scanned: the app's top level,
 * `node_modules/*` and `node_modules/@scope/*`.
 */
function anchorOutsideLinks(sourceDir: string, targetDir: string): void {
  const scan = (rel: string, depth: number, inModules: boolean): void => {
    let entries;
    try {
      entries = readdirSync(join(targetDir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const childRel = rel ? join(rel, e.name) : e.name;
      if (e.isSymbolicLink()) {
        const link = readlinkSync(join(targetDir, childRel));
        if (isAbsolute(link)) continue;
        const resolved = resolve(dirname(join(sourceDir, childRel)), link);
        if (relative(sourceDir, resolved).startsWith("..")) {
          rmSync(join(targetDir, childRel));
          symlinkSync(resolved, join(targetDir, childRel));
        }
      } else if (e.isDirectory()) {
        if (e.name === "node_modules" && depth === 0) scan(childRel, 1, true);
        else if (inModules && depth === 1 && e.name.startsWith("@")) scan(childRel, 2, true);
      }
    }
  };
  scan("", 0, false);
}

/** Deletes the per-release directories (`<dir>/<id>/`: snapshots, logs) of releases `keep` rejects. */
export function pruneReleaseDirs(releasesDir: string, keep: (id: number) => boolean): number[] {
  if (!existsSync(releasesDir)) return [];
  const removed: number[] = [];
  for (const name of readdirSync(releasesDir)) {
    const id = Number(name);
    if (Number.isInteger(id) && !keep(id)) {
      rmSync(join(releasesDir, name), { recursive: true, force: true });
      removed.push(id);
    }
  }
  return removed;
}
