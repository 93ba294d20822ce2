import type { Config } from "../config/types.js";
import type { RoutingOptions } from "../router/types.js";

/** What every listener of the app (public and preview) takes from `router:` in slipway.yaml. */
export function routerOptions(config: Config): RoutingOptions {
  const { responseTimeout, upstreamIdleTimeout, trustedProxies } = config.router;
  return { responseTimeout, upstreamIdleTimeout, trustedProxies };
}
