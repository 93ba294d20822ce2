import { isAbsolute, join, relative } from "node:path";
import type { Config } from "../config/types.js";
import { SlipwayError } from "../errors.js";
import type { Ledger } from "../ledger/ledger.js";
import type { Release } from "../ledger/types.js";
import type { MultiPlatform } from "../platform/multi-platform.js";
import type { RegistryAuth } from "../platform/docker/registry-auth.js";

/** The tag every docker release runs under: unique per release, so a rollback finds its own image. */
export function releaseTag(app: string, releaseId: number): string {
  return `${app}:release-${releaseId}`;
}

/**
 * Images of docker releases: built from the release's snapshot (so the image
 * matches the recorded source) or resolved from `app.image`, recorded in the
 * ledger, and pruned with the snapshots (`retain`). Build output streams as
 * ledger events, so it shows in the progress view.
 */
export class ReleaseImages {
  constructor(
    private readonly platforms: MultiPlatform,
    private readonly ledger: Ledger,
  ) {}

  async prepare(release: Release, config: Config, registryAuth?: RegistryAuth): Promise<void> {
    if (config.platform === "process") return;
    if (config.platform === "kubernetes" && config.app.image) {
      // The cluster's nodes pull it: this machine needs no Docker engine and no copy of the image.
      this.record(release, config.app.image);
      return;
    }
    const { docker } = await this.platforms.dockerPlatform();
    const { buildImage, ensureImage, pushImage } = await import("../platform/docker/image-builder.js");
    const onLine = (line: string) => {
      if (line.trim()) this.ledger.record({ type: "build", releaseId: release.id, message: line.trimEnd() });
    };
    let image: string;
    if (config.app.image) {
      await ensureImage(docker, config.app.image, onLine, registryAuth ? { registryAuth } : {});
      image = config.app.image;
    } else {
      const build = config.app.build!;
      // The context lives in the snapshot when it is inside app.cwd (the usual case).
      const inside = relative(config.app.cwd, build.context);
      const context = inside.startsWith("..") || isAbsolute(inside) ? build.context : join(release.snapshot, inside);
      image = releaseTag(config.name, release.id);
      const commit = release.git?.commit;
      await buildImage(docker, {
        context,
        dockerfile: build.dockerfile,
        ...(build.target !== undefined && { target: build.target }),
        args: build.args,
        tag: image,
        labels: {
          "slipway.app": config.name,
          "slipway.release": String(release.id),
          "slipway.version": release.version,
          ...(commit && { "slipway.git": commit }),
        },
        onLine,
      });
      const versionTag = release.version.replace(/[^\w.-]/g, "-").slice(0, 128);
      await docker
        .getImage(image)
        .tag({ repo: config.name, tag: versionTag })
        .catch((err: unknown) => onLine(`could not tag ${config.name}:${versionTag}: ${(err as Error).message}`));
      if (config.registry) {
        // Pushed, the release runs the registry's reference: other nodes can pull it.
        const { repository } = config.registry;
        for (const tag of [`release-${release.id}`, versionTag]) {
          await docker.getImage(image).tag({ repo: repository, tag });
          await pushImage(docker, `${repository}:${tag}`, onLine, registryAuth ? { registryAuth } : {});
        }
        onLine(`pushed ${repository}:release-${release.id} and ${repository}:${versionTag}`);
        image = `${repository}:release-${release.id}`;
      }
    }
    this.record(release, image);
    if (config.app.shared.length > 0) {
      const { imageWorkdir, requireShareableInImage, sharedVolumes } = await import("../platform/docker/shared-volumes.js");
      const volumes = sharedVolumes(config.name, config.app.shared, await imageWorkdir(docker, image));
      await requireShareableInImage(docker, config.name, image, volumes);
      for (const v of volumes) {
        this.ledger.record({ type: "release", releaseId: release.id, message: `shared ${v.path}: volume ${v.volume} at ${v.target}` });
      }
    }
  }

  private record(release: Release, image: string): void {
    this.ledger.setImage(release.id, image);
    this.ledger.record({ type: "release", releaseId: release.id, message: `release ${release.id} runs image ${image}` });
  }

  /** Removes images of this app's releases that are not kept. */
  async prune(config: Config, keep: Set<number>): Promise<void> {
    if (config.platform === "process" || config.app.image) return;
    try {
      const { docker } = await this.platforms.dockerPlatform();
      const { pruneImages } = await import("../platform/docker/image-builder.js");
      await pruneImages(
        docker,
        config.name,
        [...keep].map((id) => releaseTag(config.name, id)),
      );
    } catch (err) {
      if (!(err instanceof SlipwayError)) throw err;
    }
  }
}
