import type { ReleaseLogs } from "../platform.js";
import { followFile, listLogs, tailLines } from "./log-store.js";

/** How often following looks for logs of newly started instances. */
const RESCAN_MS = 1000;

/**
 * A release's logs on the process platform: the files its instances wrote
 * (`<logDir>/<releaseId>/<instanceId>.log`), stopped instances included.
 * The tail streams (memory does not depend on `lines`).
 *
 * @example
 * for await (const line of processReleaseLogs(".slipway/logs", 3).tail(50)) console.log(line); // "r3-1 | listening"
 */
export function processReleaseLogs(logDir: string, releaseId: number): ReleaseLogs {
  const files = () => listLogs(logDir).filter((e) => e.releaseId === releaseId);
  return {
    async *tail(lines) {
      for (const entry of files()) {
        for await (const line of tailLines(entry.path, lines)) yield `${entry.instanceId} | ${line}`;
      }
    },
    follow(onLine, signal) {
      const following = new Set<string>();
      // Files there now were tailed: follow them from their end. Files found by a later scan
      // belong to instances started since: follow them from their first line, so nothing is missed.
      const follow = (fromStart: boolean) => {
        for (const entry of files()) {
          if (following.has(entry.path)) continue;
          following.add(entry.path);
          void followFile(entry.path, (ls) => ls.forEach((l) => onLine(`${entry.instanceId} | ${l}`)), signal, fromStart);
        }
      };
      follow(false);
      const timer = setInterval(() => follow(true), RESCAN_MS);
      return new Promise((resolve) => {
        const stop = () => {
          clearInterval(timer);
          resolve();
        };
        if (signal.aborted) stop();
        else signal.addEventListener("abort", stop, { once: true });
      });
    },
  };
}
