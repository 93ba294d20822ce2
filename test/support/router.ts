import net, { type AddressInfo } from "node:net";
import { Router, type RouterOptions } from "../../src/router/router.js";
import type { RouteGroup, Target } from "../../src/router/types.js";

/**
 * A port with nothing listening (connection refused).
 *
 * @example
 * router.setGroups([group("r1", 1, await deadTarget("d1"), live.target)]);
 */
export async function deadTarget(id: string): Promise<Target> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { id, host: "127.0.0.1", port };
}

/**
 * A router for app "web" on a free loopback port; its close is pushed onto `cleanups`.
 *
 * @example
 * const { router, port } = await startRouter(cleanups, { onResponse: (s) => samples.push(s) });
 */
export async function startRouter(cleanups: (() => Promise<void> | void)[], options: Partial<RouterOptions> = {}) {
  const r = new Router({ listen: { host: "127.0.0.1", port: 0 }, name: "web", ...options });
  const { port } = await r.listen();
  cleanups.push(() => r.close());
  return { router: r, port };
}

/** A route group. */
export function group(name: string, weight: number, ...targets: Target[]): RouteGroup {
  return { name, weight, targets };
}
