import { join } from "node:path";

/** Where a project's Slipway state lives: `<root>/.slipway/`. */
export interface StatePaths {
  root: string;
  dir: string;
  socket: string;
  pidFile: string;
  daemonLog: string;
  ledger: string;
  releases: string;
  logs: string;
}

export function statePaths(root: string): StatePaths {
  const dir = join(root, ".slipway");
  return {
    root,
    dir,
    socket: join(dir, "daemon.sock"),
    pidFile: join(dir, "daemon.pid"),
    daemonLog: join(dir, "daemon.log"),
    ledger: join(dir, "ledger.db"),
    releases: join(dir, "releases"),
    logs: join(dir, "logs"),
  };
}

export function snapshotDir(paths: StatePaths, releaseId: number): string {
  return join(paths.releases, String(releaseId));
}
