import { BlockList, isIP } from "node:net";

/**
 * Why `entry` is not an IP address or CIDR block, or null when it is one.
 * Used by the config schema (`router.trustedProxies`) and by `TrustedProxies`.
 *
 * @example
 * cidrProblem("10.0.0.0/8"); // null
 * cidrProblem("10.0.0.0/33"); // "prefix length must be 0-32 for IPv4"
 */
export function cidrProblem(entry: string): string | null {
  const [address = "", prefix, extra] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return "must be an IP address or a CIDR block, like 10.0.0.0/8 or fd00::/8";
  if (prefix === undefined) return null;
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return `prefix length must be 0-${max} for IPv${family}`;
  return null;
}

/**
 * The peers (reverse proxies in front of the router) whose `X-Forwarded-*`
 * and `X-Real-IP` are believed. IPv4-mapped IPv6 peers (`::ffff:10.0.0.1`)
 * match IPv4 entries.
 *
 * @example
 * const trusted = new TrustedProxies(["10.0.0.0/8", "::1"]);
 * trusted.has("10.1.2.3"); // true
 * trusted.has("::ffff:10.1.2.3"); // true
 * trusted.has("192.0.2.1"); // false
 */
export class TrustedProxies {
  private readonly list = new BlockList();

  /** Throws a `TypeError` naming the first entry that is not an IP address or CIDR block. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const problem = cidrProblem(entry);
      if (problem !== null) throw new TypeError(`${JSON.stringify(entry)}: ${problem}`);
      const [address = "", prefix] = entry.split("/");
      const type = isIP(address) === 4 ? "ipv4" : "ipv6";
      if (prefix === undefined) this.list.addAddress(address, type);
      else this.list.addSubnet(address, Number(prefix), type);
    }
  }

  /** True when `address` (a socket's remote address) is a trusted proxy. */
  has(address: string | undefined): boolean {
    if (address === undefined) return false;
    if (address.startsWith("::ffff:") && isIP(address.slice(7)) === 4) address = address.slice(7);
    const family = isIP(address);
    return family !== 0 && this.list.check(address, family === 4 ? "ipv4" : "ipv6");
  }
}
