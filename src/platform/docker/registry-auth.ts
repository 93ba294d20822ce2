/** Registry credentials for a pull; passed to the engine in a header, never logged or stored. */
export interface RegistryAuth {
  username: string;
  password: string;
  /** Registry address; derived from the image reference when omitted. */
  serveraddress?: string;
}

/** Docker Hub's address for credentials. */
export const DOCKER_HUB = "https://index.docker.io/v1/";

/**
 * The registry an image reference points at: its first path component when
 * that looks like a host ("ghcr.io", "localhost:5000"), else Docker Hub.
 *
 * @example
 * registryOf("ghcr.io/acme/api:1.4"); // "ghcr.io"
 * registryOf("node:20"); // "https://index.docker.io/v1/"
 */
export function registryOf(ref: string): string {
  const slash = ref.indexOf("/");
  const first = slash === -1 ? "" : ref.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost" ? first : DOCKER_HUB;
}

/**
 * The credentials for pulling `ref`: `explicit` when given, else
 * DOCKER_USERNAME / DOCKER_PASSWORD from `env`, else none (anonymous pull).
 *
 * @example
 * registryAuthFor("ghcr.io/acme/api:1.4", undefined, { DOCKER_USERNAME: "ci", DOCKER_PASSWORD: "..." });
 * // { username: "ci", password: "...", serveraddress: "ghcr.io" }
 */
export function registryAuthFor(ref: string, explicit: RegistryAuth | undefined, env: NodeJS.ProcessEnv): RegistryAuth | undefined {
  const auth =
    explicit ?? (env.DOCKER_USERNAME && env.DOCKER_PASSWORD ? { username: env.DOCKER_USERNAME, password: env.DOCKER_PASSWORD } : undefined);
  return auth && { ...auth, serveraddress: auth.serveraddress ?? registryOf(ref) };
}
