import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, relative, sep } from "node:path";
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
