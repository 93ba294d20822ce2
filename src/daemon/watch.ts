import type { IncomingMessage, ServerResponse } from "node:http";
import type { ControlPlane } from "./control-plane.js";
import type { ProgressMessage } from "./progress.js";

/** How often the watch stream looks for a changed status (and sends it when it changed). */
const STATUS_EVERY = 250;
/** After a ledger event, the status is looked at this soon (the event usually changes it). */
const STATUS_AFTER_EVENT = 30;
/** A status whose only change is the router's request count is sent at most this often. */
const COUNTER_EVERY = 2_000;
/** A line at least this often, so either side notices a dead connection. */
const HEARTBEAT_EVERY = 15_000;

/** One line of `GET /v1/watch`: a progress message, or a heartbeat. */
export type WatchMessage = ProgressMessage | { type: "heartbeat"; at: number };

/**
 * `GET /v1/watch`: a long-lived NDJSON stream of the project's life for the
 * dashboard: the status at once, then every ledger event as it is recorded
 * and the status again whenever it changed (looked at every 250 ms, and
 * right after each event; a change of the request count alone at most every
 * 2 s), a heartbeat every 15 s. It ends when the client
 * leaves or the daemon stops. A client that does not read is dropped rather
 * than buffered without bound.
 */
export function streamWatch(daemon: ControlPlane, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-store" });
  let lastStatus = "";
  let lastCount: number | undefined;
  let sentAt = 0;
  let soon: NodeJS.Timeout | undefined;
  const send = (m: WatchMessage) => {
    if (res.destroyed) return;
    // A reader this far behind (1 MiB unread) is stuck: drop it, it reconnects and starts from a fresh status.
    if (res.writableLength > 1024 * 1024) return void res.destroy();
    res.write(JSON.stringify(m) + "\n");
  };
  const sendStatus = () => {
    soon = undefined;
    let status;
    try {
      status = daemon.status();
    } catch {
      return void res.destroy(); // the daemon is stopping (its ledger closed): the client reconnects to the next one
    }
    // The router's request counter alone moves with every request: it is sent at most every 2 s,
    // any other change at once (a page re-renders on each status; under full load that costs the machine).
    const counted = status.traffic?.requests;
    const text = JSON.stringify({ ...status, traffic: status.traffic && { ...status.traffic, requests: 0 } });
    const now = Date.now();
    if (text === lastStatus && (counted === lastCount || now - sentAt < COUNTER_EVERY)) return;
    lastStatus = text;
    lastCount = counted;
    sentAt = now;
    send({ type: "status", status });
  };
  sendStatus();
  const off = daemon.onRecord((event) => {
    send({ type: "event", event });
    soon ??= setTimeout(sendStatus, STATUS_AFTER_EVENT);
  });
  const timer = setInterval(sendStatus, STATUS_EVERY);
  const heartbeat = setInterval(() => send({ type: "heartbeat", at: Date.now() }), HEARTBEAT_EVERY);
  const stop = () => {
    off();
    clearInterval(timer);
    clearInterval(heartbeat);
    clearTimeout(soon);
  };
  req.on("close", stop);
  res.on("close", stop);
}
