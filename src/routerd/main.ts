#!/usr/bin/env node
/**
 * The router process: Slipway's data plane for one project. It owns the
 * app's listeners (public and blue-green preview), the routing table, drain
 * and weights, and keeps serving the last table it was given whatever
 * happens to the daemon. It saves that table to `.slipway/router.json` and
 * restores it on start; the daemon drives it over `.slipway/router.sock`.
 * Started by the daemon (src/daemon/router-link.ts); it restarts the daemon
 * when the daemon dies (src/routerd/daemon-watch.ts).
 *
 *   node dist/routerd/main.js --root DIR [--shared] [--standalone]
 *
 * `--shared`: the router of one listen address for every project on this
 * machine that names its hosts (`router.hosts`); DIR is then its own
 * directory (`~/.slipway/routers/<address>`), not a project's
 * (src/routerd/tenants.ts). `--standalone` never starts a daemon
 * (benchmarks, debugging).
 */
import { chmod, unlink } from "node:fs/promises";
import type { Server } from "node:http";
import { resolve } from "node:path";
import { setPriority } from "node:os";
import { parseArgs } from "node:util";
import { statePaths } from "../daemon/paths.js";
import { acquireSingleton } from "../supervise/singleton.js";
import { createControlApi } from "./control-api.js";
import { RouterHost } from "./host.js";
import { loadState, StateSaver } from "./state.js";
import { Tenants } from "./tenants.js";

/** The router's nice value (lower runs first); see `setPriority` below. */
const ROUTER_PRIORITY = -5;

const log = (message: string) => console.log(`${new Date().toISOString()} router ${process.pid}: ${message}`);

const { values } = parseArgs({ options: { root: { type: "string" }, standalone: { type: "boolean" }, shared: { type: "boolean" } } });
if (!values.root) {
  console.error("error: --root DIR is required");
  process.exit(2);
}
const paths = statePaths(resolve(values.root));
if (!(await acquireSingleton(paths.root, "router"))) {
  log("another router serves this project");
  process.exit(0);
}
// The data plane first: when deploys, probes and app starts crowd the CPUs, the proxy is scheduled
// ahead of them (best effort: raising priority needs root or CAP_SYS_NICE; otherwise it stays at 0).
try {
  setPriority(ROUTER_PRIORITY);
} catch {
  /* not permitted: normal priority */
}
// No fault may end the data plane: log it and keep serving the table we have.
process.on("uncaughtException", (err) => log(`uncaught: ${err.stack ?? String(err)}`));
process.on("unhandledRejection", (err) => log(`unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));

const saver = new StateSaver(paths.routerState, log);
const host = new RouterHost({ onChange: (state) => void saver.save(state), log, acmeDir: paths.acme });
const saved = await loadState(paths.routerState, log);
for (const [key, listener] of Object.entries(saved.listeners)) {
  try {
    const bound = await host.apply(key, listener, true);
    log(`restored ${key} on ${bound.host}:${bound.port} (${listener.groups.reduce((n, g) => n + g.targets.length, 0)} targets)`);
  } catch (err) {
    log(`cannot restore ${key}: ${(err as Error).message}`);
  }
}

let exiting = false;
const exit = async (forget: boolean) => {
  if (exiting) return;
  exiting = true;
  tenants.stop();
  api.close();
  await host.close();
  await unlink(paths.routerSocket).catch(() => undefined);
  // After `slipway down` the next start begins with no table.
  if (forget) await unlink(paths.routerState).catch(() => undefined);
  log("stopped");
  process.exit(0);
};
const tenants = new Tenants({
  shared: values.shared === true,
  paths,
  host,
  log,
  exit: (forget) => void exit(forget),
  standalone: values.standalone === true,
});
const api: Server = createControlApi({
  host,
  onAttach: (attached, project, root) => tenants.attach(project, root, attached),
  onShutdown: (project) => void tenants.shutdown(project),
});
await unlink(paths.routerSocket).catch(() => undefined);
// The socket is created private (umask), not made private after the fact.
const umask = process.umask(0o177);
try {
  await new Promise<void>((resolve, reject) => {
    api.once("error", reject);
    api.listen(paths.routerSocket, () => resolve());
  });
} finally {
  process.umask(umask);
}
await chmod(paths.routerSocket, 0o600);
process.on("SIGTERM", () => void exit(false));
process.on("SIGINT", () => void exit(false));
log(`serving ${paths.routerSocket}`);
