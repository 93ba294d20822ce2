import { commandVarNames } from "../config/command-vars.js";
import { workloadEnv } from "../config/pass-env.js";
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
 * launch). Its environment is explicit (config/pass-env.ts): a process gets
 * DEFAULT_PASS_ENV and `app.passEnv` from the daemon's environment, a
 * container `app.passEnv` alone (its image's PATH and the like stay as
 * built); both then get the release's own variables. Nothing else of the
 * daemon's environment reaches the instance or the ledger.
 */
export function instanceSpec(release: Release, config: Config, seq: number): Omit<InstanceSpec, "port"> {
  const base = {
    id: `r${release.id}-${seq}`,
    releaseId: release.id,
    version: release.version,
    command: config.app.command,
    // A list command's $PORT-style references are expanded when the instance starts, with its own values.
    ...(config.app.commandForm === "words" && { expand: commandVarNames(config.platform, release.env) }),
    cwd: release.snapshot,
    host: INSTANCE_HOST,
    shutdown: config.app.shutdown,
  };
  if (config.platform === "docker") {
    if (!release.image) throw new Error(`release ${release.id} has no image`);
    return {
      ...base,
      env: releaseWorkloadEnv(release, config, "container"),
      platform: "docker",
      container: {
        image: release.image,
        app: config.name,
        version: release.version,
        network: config.docker.network,
        restartPolicy: config.docker.restartPolicy,
        init: config.docker.init,
        ...(config.app.shared.length > 0 && { shared: config.app.shared }),
        ...(config.app.resources?.cpus !== undefined && { cpus: config.app.resources.cpus }),
        ...(config.app.resources?.memory !== undefined && { memoryBytes: config.app.resources.memory }),
      },
    };
  }
  return { ...base, env: releaseWorkloadEnv(release, config, "process"), platform: "process" };
}

/** The environment a release's instances (and, as "process", its hooks and checks) get from this daemon, before PORT and SLIPWAY_*. */
export function releaseWorkloadEnv(release: Release, config: Config, workload: "process" | "container"): Record<string, string> {
  return workloadEnv({ parent: process.env, workload, passEnv: config.app.passEnv, releaseEnv: release.env });
}
