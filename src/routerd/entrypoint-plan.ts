import { SlipwayError } from "../errors.js";
import type { ListenerState } from "./state.js";

/** One address the router process listens on, and which listener (site) serves which host there. */
export interface PlannedEntrypoint {
  /** `http host:port` or `https host:port`: an entrypoint's identity. */
  id: string;
  secure: boolean;
  listen: { host: string; port: number };
  /** The listener serving hosts no other claims, or null (404). */
  catchAll: string | null;
  /** Listener key by host name (lower case; `*.example.com` for a wildcard). */
  byHost: Map<string, string>;
  /** On a plain entrypoint: listener key → id of the HTTPS entrypoint its requests are redirected to. */
  redirects: Map<string, string>;
}

/** The id of the entrypoint at `listen`. */
export function entrypointId(secure: boolean, listen: { host: string; port: number }): string {
  return `${secure ? "https" : "http"} ${listen.host}:${listen.port}`;
}

/**
 * The entrypoints every listener needs: its plain address, and its TLS
 * address when it has one, with its host names (or every host, when it names
 * none) on each. Listeners share an address when they name different hosts.
 * Throws `SlipwayError` `CONFIG_INVALID` when two claim the same host (or
 * both every host) on one address, naming both.
 *
 * @example
 * planEntrypoints(new Map([
 *   ["a/public", { listen: { host: "0.0.0.0", port: 80 }, hosts: ["a.test"], options: {}, groups: [] }],
 *   ["b/public", { listen: { host: "0.0.0.0", port: 80 }, hosts: ["b.test"], options: {}, groups: [] }],
 * ])); // one entrypoint "http 0.0.0.0:80" with byHost a.test → a/public, b.test → b/public
 */
export function planEntrypoints(listeners: ReadonlyMap<string, ListenerState>): Map<string, PlannedEntrypoint> {
  const plan = new Map<string, PlannedEntrypoint>();
  const at = (secure: boolean, listen: { host: string; port: number }): PlannedEntrypoint => {
    const id = entrypointId(secure, listen);
    let e = plan.get(id);
    if (e === undefined) {
      e = { id, secure, listen, catchAll: null, byHost: new Map(), redirects: new Map() };
      plan.set(id, e);
    }
    return e;
  };
  for (const [key, state] of listeners) {
    const hosts = state.hosts ?? [];
    const entrypoints = [at(false, state.listen)];
    if (state.tls) {
      const secure = at(true, state.tls.listen);
      entrypoints.push(secure);
      if (state.tls.redirect) (entrypoints[0] as PlannedEntrypoint).redirects.set(key, secure.id);
    }
    for (const e of entrypoints) {
      const where = `${e.listen.host}:${e.listen.port}`;
      if (hosts.length === 0) {
        if (e.catchAll !== null && e.catchAll !== key) {
          throw new SlipwayError(
            "CONFIG_INVALID",
            `${where} already serves every host for ${e.catchAll}; ${key} cannot serve every host there too`,
            {
              hint: "give each app its host names (router.hosts) to share an address, or listen on another port",
            },
          );
        }
        e.catchAll = key;
      }
      for (const host of hosts) {
        const name = host.toLowerCase();
        const other = e.byHost.get(name);
        if (other !== undefined && other !== key) {
          throw new SlipwayError("CONFIG_INVALID", `host ${name} on ${where} is served by ${other} already; ${key} cannot serve it too`, {
            hint: "a host name belongs to one app: remove it from one of the two router.hosts",
          });
        }
        e.byHost.set(name, key);
      }
    }
  }
  return plan;
}
