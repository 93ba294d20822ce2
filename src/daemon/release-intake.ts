import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import type { Clock } from "../clock.js";
import type { Config, StrategyType } from "../config/types.js";
import { SlipwayError } from "../errors.js";
import type { Ledger } from "../ledger/ledger.js";
import type { Release } from "../ledger/types.js";
import { fileLikeWithoutSource, relinkReplaced, seedShared } from "../release/shared.js";
import { snapshotRelease } from "../release/snapshot.js";
import { gitRevision, resolveVersion } from "../release/version.js";
import { resourceError } from "../resource-error.js";
import { snapshotDir, type StatePaths } from "./paths.js";
import type { ReleaseImages } from "./release-images.js";
import { releaseIdsOnDisk } from "./state-on-disk.js";
import type { Workloads } from "./workloads.js";

/**
 * What `slipway deploy` sends. The CLI validates slipway.yaml (zod) and sends
 * the normalized config with the text; the daemon does not load the schema.
 */
export interface DeployRequest {
  config: Config;
  configText: string;
  configFile: string;
  environment?: string;
  version?: string;
  env?: Record<string, string>;
  strategy?: StrategyType;
  holder: string;
  waitLock?: number;
  /** Registry credentials from the CLI's environment: used for this deploy, never stored. */
  registryAuth?: { username: string; password: string };
}

export interface IntakeOptions {
  paths: StatePaths;
  ledger: Ledger;
  clock: Clock;
  images: ReleaseImages;
}

/**
 * Release intake: a deploy request becomes a release in the ledger with its
 * snapshot (and image), or one clear error that leaves nothing half made;
 * shared paths (`app.shared`) are seeded and their links put back before a
 * release runs.
 */
export class ReleaseIntake {
  constructor(private readonly o: IntakeOptions) {}

  /**
   * Creates the release of a deploy: version, ledger row with its git commit (when app.cwd is in a git
   * work tree), snapshot, image. The release is `pending` once this returns.
   */
  async create(req: DeployRequest): Promise<Release> {
    const config = req.config;
    const env = { ...config.app.env, ...(req.env ?? {}) };
    const { ledger, paths, clock } = this.o;
    const version = await resolveVersion(req.version, config.app.cwd, clock.now());
    const git = await gitRevision(config.app.cwd, ledger.currentRelease()?.git?.commit ?? null);
    await this.requireSharedSources(config);
    // Never reuse the id of a snapshot or log directory left on disk (snapshotRelease empties its target).
    ledger.skipReleaseIdsThrough(Math.max(0, ...releaseIdsOnDisk(paths)));
    const created = ledger.createRelease({
      version,
      configText: req.configText,
      config,
      configFile: req.configFile,
      environment: req.environment ?? null,
      env,
      snapshot: "",
    });
    if (git) ledger.setGit(created.id, git);
    const dir = snapshotDir(paths, created.id);
    const previous = ledger.releases().find((r) => r.id !== created.id && r.snapshot !== "")?.snapshot;
    try {
      await this.prepareShared(created.id, config);
      await snapshotRelease(config.app.cwd, dir, {
        previous,
        ...(linksShared(config) && { shared: { dir: paths.shared, paths: config.app.shared } }),
      });
    } catch (err) {
      const fault = resourceError(err, paths.dir);
      if (fault) await rm(dir, { recursive: true, force: true }); // a partial snapshot only takes space
      ledger.setReleaseStatus(created.id, "failed", `snapshot failed: ${(err as Error).message}`);
      throw (
        fault ??
        new SlipwayError("PLATFORM", `could not snapshot ${config.app.cwd}: ${(err as Error).message}`, {
          hint: "check app.cwd and .slipwayignore",
          cause: err,
        })
      );
    }
    ledger.setSnapshot(created.id, dir);
    ledger.record({
      type: "release",
      releaseId: created.id,
      message: `release ${created.id} (${version}) created from ${config.app.cwd}`,
    });
    try {
      await this.o.images.prepare(ledger.release(created.id)!, config, req.registryAuth);
    } catch (err) {
      ledger.setReleaseStatus(created.id, "failed", (err as Error).message);
      throw err;
    }
    return ledger.release(created.id)!;
  }

  /**
   * Process platform: makes sure `.slipway/shared/` holds each of the
   * release's shared paths (seeded from the app the first time a path is
   * shared, never overwritten; see release/shared.ts), so its snapshot's
   * links point somewhere. Before that, links an app replaced with a file
   * (a save by rename) are put back: in the serving release its copy is the
   * newest data and becomes the shared one; in `runs` (an older snapshot a
   * rollback or retry starts again) its copy is stale and is set aside.
   */
  async prepareShared(releaseId: number, config: Config, runs?: Release): Promise<void> {
    const { ledger, paths, clock } = this.o;
    const current = ledger.currentRelease();
    const relink = async (release: Release | null | undefined, adopt: boolean): Promise<void> => {
      if (!release?.snapshot || !linksShared(release.config) || !existsSync(release.snapshot)) return;
      const stamp = `release-${release.id}-${clock.now()}`;
      for (const r of await relinkReplaced(release.snapshot, paths.shared, release.config.app.shared, {
        adopt,
        asideDir: paths.sharedReplaced,
        stamp,
      })) {
        const what =
          r.outcome === "adopted"
            ? `its copy, the newest data, is the shared one now (the previous shared copy is in ${relative(paths.root, r.asideAt)})`
            : `its stale copy was moved to ${relative(paths.root, r.asideAt)}`;
        ledger.record({
          type: "release",
          releaseId,
          message: `warning: shared ${r.path}: release ${release.id} had replaced its link with a file (the app saves it by renaming a new file over it, so those writes were not shared); ${what} and the link is back. Share the directory that holds it instead (app.shared: [data] with the file in data/)`,
        });
      }
    };
    await relink(current, true);
    if (runs && runs.id !== current?.id) await relink(runs, false);
    if (current && current.config.platform === "process") {
      for (const path of current.config.app.shared.filter((p) => !config.app.shared.includes(p))) {
        if (!existsSync(join(paths.shared, path))) continue;
        ledger.record({
          type: "release",
          releaseId,
          message: `warning: shared ${path}: not in app.shared any more; its data stays in ${relative(paths.root, join(paths.shared, path))}, and release ${releaseId} uses the app's own copy`,
        });
      }
    }
    if (!linksShared(config)) return;
    for (const [path, outcome] of await seedShared(config.app.cwd, paths.shared, config.app.shared)) {
      if (outcome === "kept") continue;
      const how =
        outcome === "seeded"
          ? `seeded from ${join(config.app.cwd, path)}`
          : "created as an empty directory (nothing at that path in the app)";
      ledger.record({ type: "release", releaseId, message: `shared ${path}: ${how}` });
    }
  }

  /** Refuses, before a release exists, a shared path named like a file that nothing can seed (it would become a directory). */
  private async requireSharedSources(config: Config): Promise<void> {
    if (!linksShared(config)) return;
    const [path, ...more] = await fileLikeWithoutSource(config.app.cwd, this.o.paths.shared, config.app.shared);
    if (path === undefined) return;
    const dir = dirname(path);
    throw new SlipwayError(
      "CONFIG_INVALID",
      `app.shared: ${path} is not in ${config.app.cwd}${more.length > 0 ? ` (nor ${more.join(", ")})` : ""}, and a shared file cannot start empty: Slipway would make a directory there`,
      {
        hint:
          dir === "."
            ? `create it before the first deploy (touch ${path}), or share a directory the app creates it in (app.shared: [data], the app writing data/${path})`
            : `create it before the first deploy (touch ${path}), or share its directory (app.shared: [${dir}])`,
      },
    );
  }
}

/** Shared paths become links into .slipway/shared/ on the process platform; containers mount volumes instead. */
function linksShared(config: Config): boolean {
  return config.platform === "process" && config.app.shared.length > 0;
}

/** Moving between workloads (Swarm and the fleet's platforms) needs slipway down first. */
export function requirePlatformSwitch(workloads: Workloads, current: Config | null, next: Config): void {
  if (current && workloads.for(current) !== workloads.for(next)) {
    throw new SlipwayError("USAGE", `moving from platform ${current.platform} to ${next.platform} needs a fresh start`, {
      hint: "run slipway down, then slipway deploy",
    });
  }
}

export function requireStrategyConfig(config: Config, strategy: StrategyType): void {
  if (strategy === "canary" && !config.strategy.canary?.steps.length) {
    throw new SlipwayError("USAGE", "--strategy canary needs strategy.canary with at least one step in slipway.yaml", {
      hint: "see docs/config.md#strategy",
    });
  }
  if (strategy === "blue-green" && !config.strategy.blueGreen) {
    throw new SlipwayError("USAGE", "--strategy blue-green needs strategy.blueGreen.previewListen in slipway.yaml", {
      hint: "see docs/config.md#strategy",
    });
  }
}
