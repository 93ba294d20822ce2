import { access } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { StatePaths } from "../daemon/paths.js";
import { singletonHeld } from "../supervise/singleton.js";
import { spawnDetached } from "../supervise/spawn-detached.js";

/** After the daemon goes away, wait this long before starting another (a `slipway up` may be on its way). */
export const DAEMON_RESPAWN_DELAY = 300;
/** Repeated failed starts back off up to this. */
const MAX_RESPAWN_DELAY = 30_000;
/** A daemon attached this long counts as a good start (the backoff resets). */
const STABLE_AFTER = 30_000;
/** How long a started daemon has to attach before it is checked again. */
const ATTACH_GRACE = 10_000;
/** How often the project's state directory is checked (the router exits when it is gone). */
const DIR_CHECK_EVERY = 5_000;

/**
 * The router's half of the mutual supervision: the daemon restarts a dead
 * router at once, and the router restarts a dead daemon. The daemon's
 * `/v1/attach` stream is its heartbeat; when it closes without a
 * `slipway down`, the watch starts a new daemon (unless one is already
 * starting: the daemon's singleton lock tells), backing off when starts keep
 * failing. When the project's `.slipway` is gone, the router exits.
 */
export class DaemonWatch {
  private attached = 0;
  private attachedAt = 0;
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly dirTimer: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly o: {
      paths: StatePaths;
      log: (message: string) => void;
      /** The project is gone: stop serving. */
      onOrphaned: () => void;
    },
  ) {
    this.dirTimer = setInterval(() => void this.checkDir(), DIR_CHECK_EVERY);
    this.dirTimer.unref();
    // A router started on its own (not by a daemon) starts the daemon too.
    this.schedule(ATTACH_GRACE / 5);
  }

  onAttach(attached: boolean): void {
    if (attached) {
      this.attached++;
      this.attachedAt = Date.now();
      this.cancel();
      return;
    }
    this.attached = Math.max(0, this.attached - 1);
    if (this.attached > 0 || this.stopped) return;
    if (Date.now() - this.attachedAt >= STABLE_AFTER) this.failures = 0;
    this.log("the daemon went away");
    this.schedule(Math.min(MAX_RESPAWN_DELAY, DAEMON_RESPAWN_DELAY * 2 ** this.failures));
  }

  /** `slipway down`: the daemon leaves on purpose; never restart it. */
  stop(): void {
    this.stopped = true;
    this.cancel();
    clearInterval(this.dirTimer);
  }

  private log(message: string): void {
    this.o.log(message);
  }

  private schedule(ms: number): void {
    this.cancel();
    this.timer = setTimeout(() => void this.check(), ms);
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async check(): Promise<void> {
    this.timer = null;
    if (this.stopped || this.attached > 0) return;
    if (!(await this.checkDir())) return;
    if (await singletonHeld(this.o.paths.root, "daemon")) {
      // Starting (or stuck before attaching): look again later.
      this.schedule(ATTACH_GRACE);
      return;
    }
    this.failures++;
    try {
      const entry = fileURLToPath(new URL("../daemon/main.js", import.meta.url));
      const { pid } = await spawnDetached(entry, ["--root", this.o.paths.root], {
        cwd: this.o.paths.root,
        logFile: this.o.paths.daemonLog,
        env: process.env,
      });
      this.log(`started daemon ${pid}`);
    } catch (err) {
      this.log(`cannot start the daemon: ${(err as Error).message}`);
    }
    this.schedule(ATTACH_GRACE);
  }

  private async checkDir(): Promise<boolean> {
    try {
      await access(this.o.paths.dir);
      return true;
    } catch {
      if (!this.stopped) {
        this.log(`${this.o.paths.dir} is gone: stopping`);
        this.stop();
        this.o.onOrphaned();
      }
      return false;
    }
  }
}
