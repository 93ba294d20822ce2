/**
 * The labels Slipway puts on the images it builds and the containers it runs.
 * They are how a new daemon finds its containers again (adoption) and how old
 * images are pruned; user labels never override them.
 */
export const LABEL = {
  app: "slipway.app",
  release: "slipway.release",
  version: "slipway.version",
  instance: "slipway.instance",
  /** On a shared volume: the `app.shared` path it holds. */
  shared: "slipway.shared",
} as const;

/** What the labels of one Slipway container say. */
export interface ContainerIdentity {
  app: string;
  release: number;
  version: string;
  instance: string;
}

/**
 * The labels for one instance's container: `extra` first, Slipway's own last.
 *
 * @example
 * instanceLabels({ app: "hello", release: 3, version: "v2", instance: "r3-1" });
 * // { "slipway.app": "hello", "slipway.release": "3", "slipway.version": "v2", "slipway.instance": "r3-1" }
 */
export function instanceLabels(identity: ContainerIdentity, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    [LABEL.app]: identity.app,
    [LABEL.release]: String(identity.release),
    [LABEL.version]: identity.version,
    [LABEL.instance]: identity.instance,
  };
}

/**
 * Read the identity back from a container's labels; undefined when it is not a Slipway container.
 *
 * @example
 * identityOf(container.Labels)?.release; // 3
 */
export function identityOf(labels: Record<string, string> | undefined): ContainerIdentity | undefined {
  const app = labels?.[LABEL.app];
  const instance = labels?.[LABEL.instance];
  if (!labels || app === undefined || instance === undefined) return undefined;
  return { app, instance, release: Number(labels[LABEL.release]), version: labels[LABEL.version] ?? "" };
}

/**
 * Engine filter for containers (or images) carrying the given label values.
 *
 * @example
 * docker.listContainers({ all: true, filters: labelFilter({ [LABEL.app]: "hello" }) });
 */
export function labelFilter(values: Record<string, string | undefined>): { label: string[] } {
  return { label: Object.entries(values).map(([key, value]) => (value === undefined ? key : `${key}=${value}`)) };
}
