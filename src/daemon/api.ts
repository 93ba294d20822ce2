import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readJson, sendError, sendJson } from "../control/http-json.js";
import { statsQuery } from "../delivery/stats-period.js";
import { SlipwayError } from "../errors.js";
import { resourceError } from "../resource-error.js";
import type { ControlAction, ControlPlane, RetryRequest } from "./control-plane.js";
import { streamLogs } from "./logs.js";
import { streamWatch } from "./watch.js";
import type { EventFilter } from "../ledger/ledger.js";
import type { ProgressMessage } from "./progress.js";
import type { Release } from "../ledger/types.js";
import type { DeployRequest, RollbackRequest } from "./rollouts.js";

/** How often a streamed operation sends a status snapshot (live progress view). */
const STATUS_EVERY = 500;

/**
 * The control API, HTTP over the unix socket `.slipway/daemon.sock` (mode
 * 0600). Never on the app's port. Long operations answer with NDJSON:
 * events as they are recorded, status snapshots, then a result or an error.
 */
export function createApiServer(daemon: ControlPlane): Server {
  return createServer((req, res) => {
    handle(daemon, req, res).catch((err) => sendError(res, toSlipwayError(err, daemon.stateDir)));
  });
}

async function handle(daemon: ControlPlane, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://slipway");
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case "GET /v1/ping":
      return sendJson(res, 200, { pid: process.pid, version: daemon.version });
    case "GET /v1/status":
      return sendJson(res, 200, daemon.status());
    case "GET /v1/releases":
      return sendJson(res, 200, daemon.releases().map(publicRelease));
    case "GET /v1/stats":
      return sendJson(res, 200, daemon.deliveryStats(statsQuery(url.searchParams)));
    case "GET /v1/events":
      return sendJson(res, 200, daemon.events(eventFilter(url.searchParams)));
    case "GET /v1/rollouts":
      return sendJson(res, 200, daemon.rolloutHistory(queryInt(url.searchParams, "limit") ?? 50));
    case "GET /v1/watch":
      return streamWatch(daemon, req, res);
    case "GET /v1/logs":
      return streamLogs(daemon, url.searchParams, req, res);
    case "POST /v1/deploy": {
      const body = (await readJson(req)) as DeployRequest;
      return stream(daemon, res, () => daemon.deploy(body));
    }
    case "POST /v1/rollback": {
      const body = (await readJson(req)) as RollbackRequest;
      return stream(daemon, res, () => daemon.rollback(body));
    }
    case "POST /v1/retry": {
      const body = (await readJson(req)) as RetryRequest;
      return stream(daemon, res, () => daemon.retry(body));
    }
    case "POST /v1/promote":
    case "POST /v1/abort":
    case "POST /v1/pause":
    case "POST /v1/resume": {
      const body = (await readJson(req)) as { full?: boolean; holder: string; follow?: boolean };
      const action = url.pathname.slice("/v1/".length) as ControlAction;
      // `slipway promote` (resume, abort) follows the rollout like deploy: to its end or next pause.
      if (body.follow && action !== "pause") return stream(daemon, res, () => daemon.controlAndFollow(action, body));
      return sendJson(res, 200, await daemon.control(action, body));
    }
    case "POST /v1/down":
      await daemon.stop();
      return sendJson(res, 200, { stopped: true });
    default:
      throw new SlipwayError("NOT_FOUND", `no such API route: ${route}`);
  }
}

/**
 * Streams a rollout: events, status snapshots, then the result or the error.
 * A rollout that pauses for a human ends the stream with a "paused" result
 * (the rollout goes on in the daemon; `slipway promote` / `abort` continue it).
 */
async function stream(daemon: ControlPlane, res: ServerResponse, op: () => Promise<object>): Promise<void> {
  res.writeHead(200, { "content-type": "application/x-ndjson" });
  let open = true;
  const send = (m: ProgressMessage) => open && res.write(JSON.stringify(m) + "\n");
  // A result is sent once the router process (or the cluster, on Kubernetes) has every traffic change
  // made so far: when `slipway deploy` returns (done, or paused at a weight), traffic goes that way.
  const finish = (m: ProgressMessage) => void daemon.flushed().then(() => finishNow(m));
  const finishNow = (m: ProgressMessage) => {
    if (!open) return;
    send({ type: "status", status: daemon.status() });
    send(m);
    open = false;
    off();
    clearInterval(timer);
    res.end();
  };
  const off = daemon.onRecord((event) => {
    send({ type: "event", event });
    // Paused by the strategy (a step, an inconclusive analysis) or by `slipway pause`.
    const pausedByHand = event.type === "control" && event.data?.action === "pause";
    if (event.type === "rollout.paused" || pausedByHand) {
      const reason = pausedByHand ? `${event.message}; slipway resume continues` : event.message;
      finish({ type: "result", result: { paused: true, rolloutId: event.rolloutId, reason, byHand: pausedByHand } });
    }
  });
  const timer = setInterval(() => send({ type: "status", status: daemon.status() }), STATUS_EVERY);
  res.on("close", () => {
    open = false;
    off();
    clearInterval(timer);
  });
  try {
    const result = await op();
    finish({ type: "result", result: result as Record<string, unknown> });
  } catch (err) {
    finish({ type: "error", error: toSlipwayError(err, daemon.stateDir).toJSON() });
  }
}

/** `?limit=&release=&rollout=&type=` of `GET /v1/events`. */
function eventFilter(q: URLSearchParams): EventFilter {
  return {
    limit: queryInt(q, "limit") ?? 100,
    releaseId: queryInt(q, "release"),
    rolloutId: queryInt(q, "rollout"),
    type: q.get("type") || undefined,
  };
}

/** A non-negative integer query parameter, or undefined when absent; anything else is a USAGE error. */
function queryInt(q: URLSearchParams, name: string): number | undefined {
  const text = q.get(name);
  if (text === null || text === "") return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new SlipwayError("USAGE", `${name}=${JSON.stringify(text)}: expected a whole number`);
  return n;
}

function publicRelease(r: Release) {
  return {
    id: r.id,
    version: r.version,
    status: r.status,
    createdAt: new Date(r.createdAt).toISOString(),
    activatedAt: r.activatedAt ? new Date(r.activatedAt).toISOString() : null,
    environment: r.environment,
    runnable: r.snapshot !== "",
    reason: r.reason,
    commit: r.git?.commit ?? null,
    committedAt: r.git ? new Date(r.git.committedAt).toISOString() : null,
  };
}

/** What a user sees of an error: itself if typed, a resource fault's hint (disk full...), else a bug report. */
export function toSlipwayError(err: unknown, stateDir?: string): SlipwayError {
  if (err instanceof SlipwayError) return err;
  const fault = resourceError(err, stateDir);
  if (fault) return fault;
  const message = err instanceof Error ? err.message : String(err);
  return new SlipwayError("INTERNAL", message, { hint: "this is a bug in Slipway; see .slipway/daemon.log", cause: err });
}
