/**
 * The request target sent to an instance. Clients talk to the router as to
 * an origin server, so the target is normally origin-form (`/path?q`); an
 * absolute-form one (`http://host/path`, what a client configured for a
 * forward proxy sends) is turned into origin-form when its authority is the
 * request's Host, and refused otherwise (RFC 9112 §3.2.2 lets a server take
 * the URI's authority; two different answers to "which host?" are how
 * request smuggling and cache poisoning start, so the router answers 400).
 *
 * @example
 * originForm("/a?b=1", "shop.test"); // "/a?b=1"
 * originForm("http://shop.test/a?b=1", "shop.test"); // "/a?b=1"
 * originForm("http://evil.test/a", "shop.test"); // null
 */
export function originForm(url: string, host: string | undefined): string | null {
  if (url.charCodeAt(0) === 47 /* / */ || url === "*") return url;
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return null;
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") return null;
  if (host !== undefined && normalizedHost(host, target.protocol) !== target.host) return null;
  return `${target.pathname}${target.search}`;
}

/** `host` as a URL of `protocol` writes it (lower case, default port dropped), or "" if it is not a host. */
function normalizedHost(host: string, protocol: string): string {
  try {
    return new URL(`${protocol}//${host}`).host;
  } catch {
    return "";
  }
}
