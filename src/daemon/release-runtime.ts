import type { Config } from "../config/types.js";
import type { Release } from "../ledger/types.js";
import type { InstanceSpec } from "../platform/platform.js";

/** Instances listen on loopback; only the router faces clients. */
export const INSTANCE_HOST = "127.0.0.1";

/** The normalized config a release was deployed with (validated by the CLI, stored in the ledger). */
export function releaseConfig(release: Release): Config {
  return release.config;
}

/** The spec of instance `seq` of a release (PORT and SLIPWAY_* are added at launch). */
export function instanceSpec(release: Release, config: Config, seq: number): Omit<InstanceSpec, "port"> {
  const inherited: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) inherited[k] = v;
  return {
    id: `r${release.id}-${seq}`,
    releaseId: release.id,
    version: release.version,
    command: config.app.command,
    cwd: release.snapshot,
    env: { ...inherited, ...release.env },
    host: INSTANCE_HOST,
    shutdown: config.app.shutdown,
  };
}
