import type { FaultLog } from "../fault-log.js";
import { resourceFault } from "../resource-error.js";

/**
 * The daemon's last resort for an exception nothing caught (a throw in a
 * timer or an event handler, a rejected promise nobody awaited).
 *
 * A resource fault (disk full, quota, permission, read-only filesystem, no
 * file descriptors left) is logged and the daemon keeps running. That is safe
 * because such an error comes from the I/O call at the leaf of one operation:
 * the operation did not happen (SQLite rolled back its statement, the file
 * was not written), and the state it would have changed is either still
 * as before or was already changed in memory by code that ran before the I/O.
 * The instances keep running and the router keeps serving, which is what
 * matters; the next operation tries the disk again.
 *
 * Anything else (a TypeError, an invalid state transition) means code ran
 * half-way through something it did not expect: the daemon's memory may no
 * longer match the ledger, so it logs the stack and exits 1 as Node would.
 * Instances survive that (they are detached) and the next daemon rebuilds
 * from the ledger and adopts them.
 *
 * Also keeps a failing stdout/stderr (daemon.log on a full disk) from
 * becoming an uncaught 'error' event.
 *
 * @example
 * keepRunningThroughResourceFaults(new FaultLog(), ".slipway");
 */
export function keepRunningThroughResourceFaults(faults: FaultLog, stateDir: string): void {
  const onFault = (err: unknown, origin: string) => {
    if (resourceFault(err, stateDir)) {
      faults.report(`${origin} (survived: the daemon keeps running)`, err);
      return;
    }
    faults.report(`${origin} (not survivable: the daemon exits)`, err instanceof Error ? (err.stack ?? err) : err);
    process.exit(1);
  };
  process.on("uncaughtException", (err) => onFault(err, "uncaught exception"));
  process.on("unhandledRejection", (reason) => onFault(reason, "unhandled rejection"));
  process.stdout.on("error", (err) => faults.report("writing the daemon's output", err));
  process.stderr.on("error", (err) => faults.report("writing the daemon's errors", err));
}
