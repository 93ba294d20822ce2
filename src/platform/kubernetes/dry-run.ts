import type { Config } from "../../config/types.js";
import { appService, kubeNames, slotDeployment } from "./manifests.js";

/**
 * What `slipway deploy --dry-run` prints for platform kubernetes: the
 * Services and the slot Deployment a first deploy applies, built offline (no
 * daemon, no cluster). The release id, the slot and the image's release tag
 * are decided at deploy time; they are shown as release 0 in slot ping.
 * `env` is the release's env (app.env and --env); variables passed with
 * app.passEnv are added at deploy and not shown.
 */
export function dryRunObjects(config: Config, o: { version: string; env: Record<string, string> }): object[] {
  const names = kubeNames(config.name);
  const namespace = config.kubernetes.namespace ?? "default";
  const port = config.kubernetes.port;
  const image = config.app.image ?? `${config.registry?.repository ?? config.name}:release-0`;
  return [
    appService(config.name, names.service, "ping", namespace, port, { "slipway.dev/serving-slot": "ping" }),
    appService(config.name, names.slot("ping"), "ping", namespace, port),
    appService(config.name, names.slot("pong"), "pong", namespace, port),
    slotDeployment(
      {
        app: config.name,
        slot: "ping",
        releaseId: 0,
        version: o.version,
        image,
        replicas: config.app.replicas,
        env: { ...config.app.env, ...o.env, SLIPWAY_RELEASE: "0", SLIPWAY_VERSION: o.version },
        config,
      },
      namespace,
    ),
  ];
}
