import type { IncomingMessage, ServerResponse } from "node:http";
import { SlipwayError } from "../errors.js";
import { followFile, listLogs, tailLines } from "../platform/process/log-store.js";
import { BatchedWriter } from "./batched-writer.js";
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
  const releaseConfig = daemon.ledger.release(releaseId)?.config;
  if (releaseConfig?.platform === "swarm") {
    // Swarm's service logs, each line already prefixed with its task id.
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
    for (const line of await daemon.swarm.logs(releaseConfig.name, lines)) res.write(`${line}\n`);
    return void res.end();
  }
  if (releaseConfig?.platform === "docker") {
    return streamContainerLogs(daemon, releaseId, lines, params.get("follow") === "1", req, res);
  }
  const files = () => listLogs(daemon.paths.logs).filter((e) => e.releaseId === releaseId);
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  // Streamed with backpressure: memory stays bounded whatever -n is (slipway logs -n 100000000).
  const out = new BatchedWriter(res);
  for (const entry of files()) {
    for await (const line of tailLines(entry.path, lines)) {
      if (!(await out.write(`${entry.instanceId} | ${line}\n`))) return;
    }
  }
  if (!(await out.flush())) return;
  if (params.get("follow") !== "1") return void res.end();

  const ac = new AbortController();
  req.on("close", () => ac.abort());
  const following = new Set<string>();
  // Files there now were tailed above: follow them from their end. Files found by a later scan
  // belong to instances started since: follow them from their first line, so nothing is missed.
  const follow = (fromStart: boolean) => {
    for (const entry of files()) {
      if (following.has(entry.path)) continue;
      following.add(entry.path);
      void followFile(entry.path, (ls) => ls.forEach((l) => res.write(`${entry.instanceId} | ${l}\n`)), ac.signal, fromStart);
    }
  };
  follow(false);
  const timer = setInterval(() => follow(true), RESCAN_MS);
  ac.signal.addEventListener("abort", () => {
    clearInterval(timer);
    res.end();
  });
}

/**
 * Logs of a docker release come from the engine (container logs), not from
 * files. Following polls the tail of each container once a second and prints
 * what is new after the last line already shown.
 */
async function streamContainerLogs(
  daemon: Daemon,
  releaseId: number,
  lines: number,
  follow: boolean,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  const shown = new Map<string, string[]>();
  const print = async (count: number) => {
    for (const inst of daemon.fleet.ofRelease(releaseId)) {
      const tail = await daemon.platform.tail(inst.id, count).catch(() => []);
      const before = shown.get(inst.id) ?? [];
      const fresh = tail.slice(overlap(before, tail));
      for (const line of fresh) res.write(`${inst.id} | ${line}\n`);
      shown.set(inst.id, [...before, ...fresh].slice(-FOLLOW_WINDOW));
    }
  };
  await print(lines);
  if (!follow) return void res.end();
  let open = true;
  req.on("close", () => (open = false));
  while (open) {
    await new Promise((r) => setTimeout(r, RESCAN_MS));
    if (open) await print(FOLLOW_WINDOW);
  }
  res.end();
}

/** Lines of the tail of a container looked at when following. */
const FOLLOW_WINDOW = 200;

/** How many leading lines of `next` were already shown (the longest suffix of `shown` that starts `next`). */
function overlap(shown: string[], next: string[]): number {
  for (let n = Math.min(shown.length, next.length); n > 0; n--) {
    let same = true;
    for (let i = 0; i < n && same; i++) same = shown[shown.length - n + i] === next[i];
    if (same) return n;
  }
  return 0;
}
