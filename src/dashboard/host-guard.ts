import { hostname, networkInterfaces } from "node:os";
import type { ListenAddress } from "../config/types.js";

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1"];
const WILDCARDS = new Set(["0.0.0.0", "::", ""]);

/** Whether an address is only reachable from this machine. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The DNS-rebinding guard: a request is served only when its `Host` header
 * names the dashboard as it listens. A page on evil.example whose name an
 * attacker re-points at 127.0.0.1 sends `Host: evil.example:7070` and is
 * refused. Accepted: the listen host; for a loopback address, `localhost`,
 * `127.0.0.1` and `[::1]`; for a wildcard address (0.0.0.0, ::), this
 * machine's name and addresses; plus `dashboard.hosts`. Always with the
 * port the dashboard is bound to (no port: the scheme's default).
 *
 * @example
 * const ok = hostGuard({ host: "127.0.0.1", port: 7070 }, [], false);
 * ok("localhost:7070"); // true
 * ok("evil.example:7070"); // false
 */
export function hostGuard(bound: ListenAddress, extra: readonly string[], tls: boolean): (header: string | undefined) => boolean {
  const names = new Set<string>([bound.host, ...extra].map((h) => h.toLowerCase()));
  if (isLoopback(bound.host)) for (const n of LOOPBACK_NAMES) names.add(n);
  if (WILDCARDS.has(bound.host)) {
    names.add(hostname().toLowerCase());
    for (const n of LOOPBACK_NAMES) names.add(n);
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) names.add(i.address.toLowerCase());
  }
  const defaultPort = tls ? 443 : 80;
  return (header) => {
    if (!header) return false;
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(header.trim());
    if (!m) return false;
    const name = (m[1] ?? m[2] ?? "").toLowerCase();
    const port = m[3] === undefined ? defaultPort : Number(m[3]);
    return port === bound.port && names.has(name);
  };
}
