import type { Config } from "../config/types.js";
import type { Release } from "../ledger/types.js";
import type { InstanceSpec } from "../platform/platform.js";

/** Instances listen on loopback; only the router faces clients. */
export const INSTANCE_HOST = "127.0.0.1";

/** The normalized config a release was deployed with (validated by the CLI, stored in the ledger). */
export function releaseConfig(release: Release): Config {
  return release.config;
}

/**
 * The spec of instance `seq` of a release (PORT and SLIPWAY_* are added at
 * launch). A process inherits the daemon's environment (PATH, HOME...); a
 * container gets only the release's own variables, so the image's PATH and
 * the like stay as built.
 */
export function instanceSpec(release: Release, config: Config, seq: number): Omit<InstanceSpec, "port"> {
  const base = {
    id: `r${release.id}-${seq}`,
    releaseId: release.id,
    version: release.version,
    command: config.app.command,
    cwd: release.snapshot,
    host: INSTANCE_HOST,
    shutdown: config.app.shutdown,
  };
  if (config.platform === "docker") {
    if (!release.image) throw new Error(`release ${release.id} has no image`);
    return {
      ...base,
      env: { ...release.env },
      platform: "docker",
      container: {
        image: release.image,
        app: config.name,
        version: release.version,
        network: config.docker.network,
        restartPolicy: config.docker.restartPolicy,
        ...(config.app.resources?.cpus !== undefined && { cpus: config.app.resources.cpus }),
        ...(config.app.resources?.memory !== undefined && { memoryBytes: config.app.resources.memory }),
      },
    };
  }
  const inherited: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) inherited[k] = v;
  return { ...base, env: { ...inherited, ...release.env }, platform: "process" };
}
