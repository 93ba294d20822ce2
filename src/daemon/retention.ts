import type { Ledger } from "../ledger/ledger.js";
import { pruneReleaseDirs } from "../release/snapshot.js";
import type { StatePaths } from "./paths.js";
import type { ReleaseImages } from "./release-images.js";
import { releaseIdsOnDisk } from "./state-on-disk.js";

export interface RetentionOptions {
  paths: StatePaths;
  ledger: Ledger;
  images: ReleaseImages;
  /** Releases with instances running (never pruned). */
  running: () => number[];
}

/**
 * Retention (`retain`): after a commit, the snapshots, images and logs of
 * releases beyond the newest `retain` good ones go; the current release,
 * releases still running and directories the ledger does not know stay.
 *
 * @example
 * await prune({ paths, ledger, images, running: () => workloads.runningReleases() }, 5);
 */
export async function prune(o: RetentionOptions, retain: number): Promise<void> {
  const { ledger, paths } = o;
  const releases = ledger.releases();
  const keep = new Set(
    releases
      .filter((r) => r.status !== "failed" && r.status !== "aborted")
      .slice(0, retain)
      .map((r) => r.id),
  );
  // Directories of releases the ledger does not know (it was restored from an older backup) are not its to delete.
  const known = new Set(releases.map((r) => r.id));
  for (const id of releaseIdsOnDisk(paths)) if (!known.has(id)) keep.add(id);
  const current = ledger.currentReleaseId();
  if (current !== null) keep.add(current);
  for (const id of o.running()) keep.add(id);
  for (const id of await pruneReleaseDirs(paths.releases, (id) => keep.has(id))) ledger.setSnapshot(id, "");
  const serving = ledger.currentRelease();
  if (serving) void o.images.prune(serving.config, keep).catch(() => undefined);
  // Logs go with the snapshots, but failed releases in between keep theirs (they explain the failure).
  const oldest = Math.min(...keep);
  await pruneReleaseDirs(paths.logs, (id) => id >= oldest || keep.has(id));
}
