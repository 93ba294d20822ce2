import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { PlannedFile } from "./plan.js";

/** What happens to one planned file. */
export type FileAction = "create" | "overwrite" | "skip";

export interface FileOutcome extends PlannedFile {
  action: FileAction;
}

export interface WriteOptions {
  /** Overwrite existing files (default: skip them). */
  force: boolean;
  /** Decide, but write nothing. */
  dryRun: boolean;
}

/**
 * Applies a plan to `root`: a new file is created, an existing one skipped
 * (overwritten with `force`). With `dryRun` nothing is touched and the
 * outcomes say what would happen. Files are created with the `wx` flag, so a
 * file that appears meanwhile is never clobbered without `force`.
 *
 * @example
 * writePlan("/srv/web", plan.files, { force: false, dryRun: false });
 * // [{ path: "Dockerfile", action: "create", ... }, { path: "slipway.yaml", action: "skip", ... }]
 */
export function writePlan(root: string, files: readonly PlannedFile[], options: WriteOptions): FileOutcome[] {
  const outcomes = files.map((f): FileOutcome => {
    const exists = existsSync(join(root, f.path));
    return { ...f, action: !exists ? "create" : options.force ? "overwrite" : "skip" };
  });
  if (options.dryRun) return outcomes;
  for (const o of outcomes) {
    if (o.action === "skip") continue;
    const abs = join(root, o.path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, o.content, { flag: o.action === "create" ? "wx" : "w" });
  }
  return outcomes;
}
