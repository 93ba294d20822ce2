import { statePaths, type StatePaths } from "../daemon/paths.js";
import { DaemonWatch } from "./daemon-watch.js";
import type { RouterHost } from "./host.js";

/**
 * The projects a router process serves, and its half of the mutual
 * supervision with each project's daemon. A project's router serves that
 * project alone (listener keys `public`, `preview`); a shared router
 * (`--shared`, one per listen address, for apps that name their hosts)
 * serves every project that attaches, its listener keys prefixed
 * `<project>.`, and restarts each one's daemon when it dies. `slipway down`
 * of a project removes its listeners; the shared router exits with the last.
 */
export class Tenants {
  private readonly watches = new Map<string, DaemonWatch>();

  constructor(
    private readonly o: {
      /** Serving several projects (`--shared`)? */
      shared: boolean;
      /** The router's own paths (for a project's router, the project's). */
      paths: StatePaths;
      host: RouterHost;
      log: (message: string) => void;
      /** Close everything and exit; `forget` deletes the saved table. */
      exit: (forget: boolean) => void;
      /** Never start daemons (benchmarks, debugging). */
      standalone: boolean;
    },
  ) {
    if (!o.shared && !o.standalone) this.watches.set("", this.newWatch("", o.paths));
  }

  /** A daemon attached (or went away): `project` names it in a shared router, with its project `root`. */
  attach(project: string, root: string | undefined, attached: boolean): void {
    let watch = this.watches.get(project);
    // Only an attaching daemon starts a watch: a stream that closes after `slipway down` has none any more.
    if (watch === undefined && attached && this.o.shared && root !== undefined && !this.o.standalone) {
      watch = this.newWatch(project, statePaths(root));
      this.watches.set(project, watch);
    }
    watch?.onAttach(attached);
  }

  /** `slipway down` of `project` (or of the router's own project). */
  async shutdown(project: string): Promise<void> {
    this.watches.get(project)?.stop();
    this.watches.delete(project);
    if (!this.o.shared) {
      this.o.exit(true);
      return;
    }
    await this.removeProject(project);
  }

  stop(): void {
    for (const watch of this.watches.values()) watch.stop();
    this.watches.clear();
  }

  private newWatch(project: string, paths: StatePaths): DaemonWatch {
    return new DaemonWatch({
      paths,
      log: (m) => this.o.log(project ? `${project}: ${m}` : m),
      // The project's state is gone (deleted under us): stop serving it.
      onOrphaned: () => {
        if (!this.o.shared) this.o.exit(false);
        else void this.removeProject(project);
      },
    });
  }

  private async removeProject(project: string): Promise<void> {
    const prefix = `${project}.`;
    for (const key of Object.keys(this.o.host.state().listeners)) if (key.startsWith(prefix)) await this.o.host.remove(key);
    if (Object.keys(this.o.host.state().listeners).length === 0) {
      this.o.log("no project left: stopping");
      this.o.exit(true);
    }
  }
}
