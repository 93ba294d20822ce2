/**
 * The environment `slipway deploy` (or `up`) starts the daemon with: its
 * own, minus the registry credentials, which travel with each deploy request
 * that needs them (`registryAuth`) and never sit in a long-lived process.
 */

/** Variables of the CLI's environment a daemon it starts does not get. */
export const WITHHELD_FROM_DAEMON = ["DOCKER_USERNAME", "DOCKER_PASSWORD"] as const;

/**
 * `env` without {@link WITHHELD_FROM_DAEMON}.
 *
 * @example
 * daemonEnv({ PATH: "/usr/bin", DOCKER_PASSWORD: "..." }); // { PATH: "/usr/bin" }
 */
export function daemonEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of WITHHELD_FROM_DAEMON) delete out[name];
  return out;
}
