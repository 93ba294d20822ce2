import type { IncomingMessage, ServerResponse } from "node:http";
import { SlipwayError } from "../errors.js";
import { BatchedWriter } from "./batched-writer.js";
import type { ControlPlane } from "./control-plane.js";

/**
 * `GET /v1/logs?release=ID&lines=N&follow=1`: the last N lines of every
 * instance of a release (default: the current one), each prefixed with its
 * instance id; with follow, keeps streaming new lines until the client leaves.
 * The lines come from the release's platform (`ControlPlane.releaseLogs`).
 */
export async function streamLogs(daemon: ControlPlane, params: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const releaseParam = params.get("release");
  const releaseId = releaseParam ? Number(releaseParam) : daemon.currentReleaseId();
  if (releaseId === null || !Number.isInteger(releaseId)) {
    throw new SlipwayError("NOT_FOUND", "no release to show logs for", { hint: "deploy first, or pass --release ID" });
  }
  if (!daemon.release(releaseId)) {
    throw new SlipwayError("NOT_FOUND", `release ${releaseId} does not exist`, { hint: "see slipway releases" });
  }
  const lines = Math.max(0, Number(params.get("lines") ?? 50));
  const logs = daemon.releaseLogs(releaseId);
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  // Streamed with backpressure: memory stays bounded whatever -n is (slipway logs -n 100000000).
  const out = new BatchedWriter(res);
  for await (const line of logs.tail(lines)) {
    if (!(await out.write(`${line}\n`))) return;
  }
  if (!(await out.flush())) return;
  if (params.get("follow") !== "1" || !logs.follow) return void res.end();

  const ac = new AbortController();
  req.on("close", () => ac.abort());
  await logs.follow((line) => res.write(`${line}\n`), ac.signal);
  res.end();
}
