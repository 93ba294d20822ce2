import { posix } from "node:path";
import type Dockerode from "dockerode";
import { SlipwayError } from "../../errors.js";
import { engineMessage, hasStatus } from "./engine-error.js";
import { LABEL } from "./labels.js";

/** One `app.shared` path of a container: the named volume that holds it and where it is mounted. */
export interface SharedVolume {
  /** The path as configured, relative to the image's WORKDIR. */
  path: string;
  volume: string;
  /** Absolute path in the container: `<WORKDIR>/<path>`. */
  target: string;
}

/** Go's `os.ModeDir` and `os.ModeSymlink` bits, as the engine reports a path's mode. */
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;

/**
 * The named volume of a shared path: `<app>-shared-<path>`, `/` becoming `-`
 * and any other character Docker refuses in a volume name `_`.
 *
 * @example
 * sharedVolumeName("hello", "var/uploads"); // "hello-shared-var-uploads"
 */
export function sharedVolumeName(app: string, path: string): string {
  return `${app}-shared-${path.replaceAll("/", "-")}`.replace(/[^A-Za-z0-9_.-]/g, "_");
}

/**
 * The volumes of a container's shared paths, mounted under the image's
 * WORKDIR (`/` when it has none) (pure). Two paths that would share a volume
 * name (`a/b` and `a-b`) are refused.
 *
 * @example
 * sharedVolumes("hello", ["data"], "/app"); // [{ path: "data", volume: "hello-shared-data", target: "/app/data" }]
 */
export function sharedVolumes(app: string, paths: readonly string[], workdir: string): SharedVolume[] {
  const volumes = paths.map((path) => ({ path, volume: sharedVolumeName(app, path), target: posix.join(workdir || "/", path) }));
  for (const [i, v] of volumes.entries()) {
    const clash = volumes.slice(0, i).find((other) => other.volume === v.volume);
    if (clash) {
      throw new SlipwayError("CONFIG_INVALID", `app.shared: ${clash.path} and ${v.path} would share the volume ${v.volume}`, {
        hint: "rename one of the two directories",
      });
    }
  }
  return volumes;
}

/**
 * The engine's `Mounts` for shared volumes: a named volume, created by the
 * engine on first use with Slipway's labels (which app, which path). An empty
 * volume takes a copy of what the image holds at the mount point, owner and
 * modes included: that is how it is seeded.
 *
 * @example
 * HostConfig: { Mounts: volumeMounts("hello", sharedVolumes("hello", ["data"], "/app")) }
 */
export function volumeMounts(app: string, volumes: readonly SharedVolume[]): Dockerode.MountSettings[] {
  // NoCopy false: an empty volume is seeded from the image. dockerode's type also wants a DriverConfig: the default driver needs none.
  return volumes.map((v) => ({
    Type: "volume" as const,
    Source: v.volume,
    Target: v.target,
    VolumeOptions: {
      NoCopy: false,
      Labels: { [LABEL.app]: app, [LABEL.shared]: v.path },
    } as unknown as Dockerode.MountSettings["VolumeOptions"],
  }));
}

/**
 * The image's WORKDIR (`/` when it sets none), which shared paths are relative to.
 *
 * @example
 * await imageWorkdir(docker, "hello:release-3"); // "/app"
 */
export async function imageWorkdir(docker: Dockerode, image: string): Promise<string> {
  const info = await docker.getImage(image).inspect();
  return info.Config?.WorkingDir || "/";
}

/**
 * A shared path must be a directory in the image, or absent (the volume makes
 * it): a volume cannot be mounted over a file. Looks inside the image through
 * a container that is created, never started, and removed.
 *
 * @example
 * await requireShareableInImage(docker, "hello", "hello:release-3", sharedVolumes("hello", ["data"], "/app"));
 */
export async function requireShareableInImage(
  docker: Dockerode,
  app: string,
  image: string,
  volumes: readonly SharedVolume[],
): Promise<void> {
  if (volumes.length === 0) return;
  // One fixed name per app: a check container left by a daemon killed
  // mid-check is removed by the next one instead of piling up.
  const name = `${app}-slipway-shared-check`;
  await docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => undefined);
  // Never started: the entrypoint only satisfies an image that names no command.
  const probe = await docker.createContainer({ name, Image: image, Entrypoint: ["/slipway-never-started"], Cmd: [] });
  try {
    for (const v of volumes) {
      const mode = await pathMode(probe, v.target);
      if (mode === null || mode & MODE_DIR || mode & MODE_SYMLINK) continue;
      const dir = posix.dirname(v.path);
      throw new SlipwayError(
        "PLATFORM",
        `app.shared: ${v.path} is a file in image ${image} (${v.target}); a volume can only be a directory`,
        {
          hint:
            dir === "."
              ? `move it into a directory (like data/${v.path}) and share that directory`
              : `share the directory that holds it instead (app.shared: [${dir}])`,
        },
      );
    }
  } finally {
    await probe.remove({ force: true }).catch(() => undefined);
  }
}

/** The engine's mode bits for a path in a container, or null when it does not exist. */
async function pathMode(container: Dockerode.Container, path: string): Promise<number | null> {
  try {
    const res = (await container.infoArchive({ path })) as unknown as { headers: Record<string, string | undefined>; resume?: () => void };
    res.resume?.();
    const stat = res.headers["x-docker-container-path-stat"];
    return stat ? (JSON.parse(Buffer.from(stat, "base64").toString("utf8")) as { mode: number }).mode : null;
  } catch (err) {
    if (hasStatus(err, 404)) return null;
    throw new SlipwayError("PLATFORM", `cannot look at ${path} in the image: ${engineMessage(err)}`, { cause: err });
  }
}
