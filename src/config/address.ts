import type { ListenAddress } from "./types.js";

/**
 * Listen addresses in slipway.yaml: `host:port`, `[::1]:port`, `:port` or a
 * bare port (number or string). A missing host means every interface
 * (`0.0.0.0`), as with Node's `server.listen(port)`. Port 0 asks the OS for a
 * free port (handy in tests).
 */

/** Host used when an address gives only a port. */
export const ANY_HOST = "0.0.0.0";

const WILDCARDS = new Set([ANY_HOST, "::", "[::]"]);

/**
 * Parses a listen address. Throws a RangeError with a readable message on bad
 * input.
 *
 * @example
 * parseAddress("127.0.0.1:8080"); // { host: "127.0.0.1", port: 8080 }
 * parseAddress(":8080");          // { host: "0.0.0.0", port: 8080 }
 * parseAddress("[::1]:9000");     // { host: "::1", port: 9000 }
 */
export function parseAddress(input: string | number): ListenAddress {
  const text = String(input).trim();
  const match = /^(?:\[([^\]]+)\]|([^\s:[\]]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  if (!match) {
    throw new RangeError(`invalid address "${text}": expected host:port, :port or a port number`);
  }
  const port = Number(match[3]);
  if (port > 65535) throw new RangeError(`invalid address "${text}": port must be between 0 and 65535`);
  return { host: match[1] || match[2] || ANY_HOST, port };
}

/**
 * Formats an address for messages and for `net.Server#listen` users.
 *
 * @example
 * formatAddress({ host: "::1", port: 9000 }); // "[::1]:9000"
 */
export function formatAddress(address: ListenAddress): string {
  return address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/**
 * True when two listeners would fight over the same socket: same non-zero
 * port and the same host, or either host is a wildcard.
 */
export function addressesClash(a: ListenAddress, b: ListenAddress): boolean {
  if (a.port === 0 || a.port !== b.port) return false;
  return a.host === b.host || WILDCARDS.has(a.host) || WILDCARDS.has(b.host);
}
