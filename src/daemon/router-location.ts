import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Config } from "../config/types.js";
import type { RouterLocation } from "./router-link.js";

/**
 * Where the shared routers live: one directory per listen address, under
 * `$SLIPWAY_ROUTERS` or `~/.slipway/routers`.
 */
export function sharedRoutersDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SLIPWAY_ROUTERS || join(homedir(), ".slipway", "routers");
}

/**
 * The router a project's config asks for: its own, or, when it names its
 * hosts (`router.hosts`), the shared router of its listen address, where it
 * is known as `<name>-<6 hex of its directory>`.
 *
 * @example
 * routerLocation(config, "/srv/web"); // { shared: true, root: "~/.slipway/routers/0.0.0.0_80", project: "web-3f2a1c" }
 */
export function routerLocation(
  config: Pick<Config, "name" | "listen" | "router">,
  projectRoot: string,
  env: NodeJS.ProcessEnv = process.env,
): RouterLocation {
  if (config.router.hosts.length === 0) return { shared: false };
  const { host, port } = config.listen;
  const address = `${host}_${port}`.replace(/[^A-Za-z0-9._-]/g, "-");
  const id = createHash("sha256").update(projectRoot).digest("hex").slice(0, 6);
  return { shared: true, root: join(sharedRoutersDir(env), address), project: `${config.name}-${id}` };
}
