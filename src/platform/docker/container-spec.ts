import type Dockerode from "dockerode";
import { DEFAULT_DOCKER_INIT } from "../../config/defaults.js";
import { SlipwayError } from "../../errors.js";
import type { ContainerSettings, InstanceSpec } from "../platform.js";
import { instanceArgv } from "../instance-argv.js";
import { instanceLabels } from "./labels.js";
import { volumeMounts, type SharedVolume } from "./shared-volumes.js";

/** Docker's default: Slipway supervises restarts itself. */
export const DEFAULT_RESTART_POLICY = "no";

/** An instance spec that carries container settings. */
export type ContainerInstanceSpec = InstanceSpec & { container: ContainerSettings };

/**
 * The spec's container settings, or a PLATFORM error naming the instance.
 *
 * @example
 * const { container } = requireContainer(spec);
 */
export function requireContainer(spec: InstanceSpec): ContainerInstanceSpec {
  if (spec.container) return spec as ContainerInstanceSpec;
  throw new SlipwayError("PLATFORM", `instance ${spec.id} has no container settings`, {
    hint: "the docker platform needs app.image or app.build in slipway.yaml",
  });
}

/**
 * The container name of an instance: `slipway-<app>-<id>`, with characters
 * Docker refuses in names replaced by "-".
 *
 * @example
 * containerName("hello", "r3-1"); // "slipway-hello-r3-1"
 */
export function containerName(app: string, instanceId: string): string {
  return `slipway-${app}-${instanceId}`.replace(/[^a-zA-Z0-9_.-]/g, "-");
}

/**
 * Docker's stop timeout is whole seconds: the shutdown timeout rounded up.
 *
 * @example
 * stopSeconds(500); // 1
 */
export function stopSeconds(timeoutMs: number): number {
  return Math.max(0, Math.ceil(timeoutMs / 1000));
}

/**
 * The engine's create-container body for an instance (pure). The container
 * gets exactly `spec.env` (the caller decides what it holds: PORT, SLIPWAY_*,
 * the app's variables, not the daemon's own environment), `spec.command`
 * (its `spec.expand` references replaced) replaces the image's CMD when
 * non-empty, `spec.cwd` is not used (the image has its own WORKDIR), and
 * `volumes` (the container's `app.shared` paths, resolved against that
 * WORKDIR) are mounted as named volumes. With `container.init` (the
 * default) the engine's init is PID 1 and forwards the stop signal to the app.
 *
 * @example
 * await docker.createContainer(containerOptions(spec));
 */
export function containerOptions(spec: ContainerInstanceSpec, volumes: readonly SharedVolume[] = []): Dockerode.ContainerCreateOptions {
  const { container } = spec;
  const labels = instanceLabels(
    { app: container.app, release: spec.releaseId, version: spec.version, instance: spec.id },
    container.labels,
  );
  return {
    name: containerName(container.app, spec.id),
    Image: container.image,
    ...(spec.command.length > 0 ? { Cmd: instanceArgv(spec) } : {}),
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    Labels: labels,
    StopSignal: spec.shutdown.signal,
    StopTimeout: stopSeconds(spec.shutdown.timeout),
    Tty: false,
    OpenStdin: false,
    HostConfig: {
      NetworkMode: container.network,
      RestartPolicy: { Name: container.restartPolicy ?? DEFAULT_RESTART_POLICY },
      Init: container.init ?? DEFAULT_DOCKER_INIT,
      ...(container.cpus !== undefined ? { NanoCpus: Math.round(container.cpus * 1e9) } : {}),
      ...(container.memoryBytes !== undefined ? { Memory: container.memoryBytes } : {}),
      ...(volumes.length > 0 ? { Mounts: volumeMounts(container.app, volumes) } : {}),
    },
  };
}
