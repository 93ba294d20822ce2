import type { IncomingMessage, ServerResponse } from "node:http";
import { SlipwayError } from "../errors.js";
import { followFile, listLogs, tailFile } from "../platform/process/log-store.js";
import type { Daemon } from "./daemon.js";

/** How often `--follow` looks for logs of newly started instances. */
const RESCAN_MS = 1000;

/**
 * `GET /v1/logs?release=ID&lines=N&follow=1`: the last N lines of every
 * instance of a release (default: the current one), each prefixed with its
 * instance id; with follow, keeps streaming new lines until the client leaves.
 */
export async function streamLogs(daemon: Daemon, params: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const releaseParam = params.get("release");
  const releaseId = releaseParam ? Number(releaseParam) : daemon.ledger.currentReleaseId();
  if (releaseId === null || !Number.isInteger(releaseId)) {
    throw new SlipwayError("NOT_FOUND", "no release to show logs for", { hint: "deploy first, or pass --release ID" });
  }
  if (!daemon.ledger.release(releaseId)) {
    throw new SlipwayError("NOT_FOUND", `release ${releaseId} does not exist`, { hint: "see slipway releases" });
  }
  const lines = Math.max(0, Number(params.get("lines") ?? 50));
  const files = () => listLogs(daemon.paths.logs).filter((e) => e.releaseId === releaseId);
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  for (const entry of files()) {
    for (const line of await tailFile(entry.path, lines)) res.write(`${entry.instanceId} | ${line}\n`);
  }
  if (params.get("follow") !== "1") return void res.end();

  const ac = new AbortController();
  req.on("close", () => ac.abort());
  const following = new Set<string>();
  const follow = () => {
    for (const entry of files()) {
      if (following.has(entry.path)) continue;
      following.add(entry.path);
      void followFile(entry.path, (ls) => ls.forEach((l) => res.write(`${entry.instanceId} | ${l}\n`)), ac.signal);
    }
  };
  follow();
  const timer = setInterval(follow, RESCAN_MS);
  ac.signal.addEventListener("abort", () => {
    clearInterval(timer);
    res.end();
  });
}
