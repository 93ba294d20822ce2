import { join } from "node:path";

/** Where a project's Slipway state lives: `<root>/.slipway/`. */
export interface StatePaths {
  root: string;
  dir: string;
  socket: string;
  pidFile: string;
  daemonLog: string;
  /** The router process's control socket (0600), its saved table and its output. */
  routerSocket: string;
  routerState: string;
  routerLog: string;
  /** The router's ACME accounts and certificates (0700 directories, 0600 files). */
  acme: string;
  ledger: string;
  releases: string;
  logs: string;
  /** `app.shared` on the process platform: data that outlives releases (never pruned, kept by `slipway down`). */
  shared: string;
  /** Copies of shared paths an app replaced in a release snapshot, set aside when the link is put back (never deleted). */
  sharedReplaced: string;
}

export function statePaths(root: string): StatePaths {
  const dir = join(root, ".slipway");
  return {
    root,
    dir,
    socket: join(dir, "daemon.sock"),
    pidFile: join(dir, "daemon.pid"),
    daemonLog: join(dir, "daemon.log"),
    routerSocket: join(dir, "router.sock"),
    routerState: join(dir, "router.json"),
    routerLog: join(dir, "router.log"),
    acme: join(dir, "acme"),
    ledger: join(dir, "ledger.db"),
    releases: join(dir, "releases"),
    logs: join(dir, "logs"),
    shared: join(dir, "shared"),
    sharedReplaced: join(dir, "shared-replaced"),
  };
}

export function snapshotDir(paths: StatePaths, releaseId: number): string {
  return join(paths.releases, String(releaseId));
}
