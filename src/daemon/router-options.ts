import type { Config } from "../config/types.js";
import type { RoutingOptions } from "../router/types.js";
import type { ListenerState } from "../routerd/state.js";

/** What every listener of the app (public and preview) takes from `router:` in slipway.yaml. */
export function routerOptions(config: Config): RoutingOptions {
  const { responseTimeout, upstreamIdleTimeout, trustedProxies, tls } = config.router;
  return { responseTimeout, upstreamIdleTimeout, trustedProxies, hsts: tls?.hsts ?? null };
}

/** Where and for which hosts a listener is served: its addresses, host names and HTTPS. */
export type ListenerSpec = Omit<ListenerState, "options" | "groups">;

/** The public listener's addresses, host names and HTTPS, as `listen` and `router:` in slipway.yaml say. */
export function publicListener(config: Config): ListenerSpec {
  const { hosts, tls } = config.router;
  if (!tls) return { listen: config.listen, hosts };
  const { acme } = tls;
  return {
    listen: config.listen,
    hosts,
    tls: {
      listen: tls.listen,
      certificates: tls.certificates,
      redirect: tls.redirect,
      acme: acme
        ? {
            directory: acme.directory,
            renewalWindow: acme.renewalWindow,
            ...(acme.email !== undefined && { email: acme.email }),
            ...(acme.ca !== undefined && { caFile: acme.ca }),
          }
        : null,
    },
  };
}
