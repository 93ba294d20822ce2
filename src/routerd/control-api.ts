import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readJson, sendError, sendJson } from "../control/http-json.js";
import { SlipwayError } from "../errors.js";
import type { RouteGroup } from "../router/types.js";
import type { RouterHost } from "./host.js";
import type { ListenerState } from "./state.js";

/** How often an attached daemon gets the samples gathered so far. */
export const SAMPLE_BATCH_EVERY = 100;
/** Every this many batches, the batch also carries each listener's stats. */
const STATS_EVERY_BATCHES = 5;

export interface ControlApiOptions {
  host: RouterHost;
  /** A daemon attached (`true`) or went away (`false`): `project` names it in a shared router ("" otherwise), with its project `root`. */
  onAttach: (attached: boolean, project: string, root: string | undefined) => void;
  /** `slipway down` of `project`: close its listeners (a project's own router exits). */
  onShutdown: (project: string) => void;
}

/**
 * The router process's control API, HTTP over `.slipway/router.sock` (0600):
 * the daemon's only way to change traffic. `GET /v1/attach` is the daemon's
 * long-lived NDJSON stream of per-request samples (batched) and stats; while
 * it is open the daemon is alive.
 */
export function createControlApi(o: ControlApiOptions): Server {
  return createServer((req, res) => {
    handle(o, req, res).catch((err: unknown) =>
      sendError(res, err instanceof SlipwayError ? err : new SlipwayError("INTERNAL", (err as Error).message, { cause: err })),
    );
  });
}

async function handle(o: ControlApiOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://router");
  const parts = url.pathname.split("/").filter(Boolean); // v1, listeners, key, action
  const route = `${req.method} /${parts.slice(0, 2).join("/")}${parts[3] ? `/:key/${parts[3]}` : parts[2] ? "/:key" : ""}`;
  const key = parts[2] ?? "";
  switch (route) {
    case "GET /v1/state":
      return sendJson(res, 200, {
        pid: process.pid,
        state: o.host.state(),
        bound: o.host.bound(),
        stats: o.host.stats(),
        certificates: o.host.certificateInfo(),
        acme: o.host.acmeStatus(),
      });
    case "PUT /v1/listeners/:key": {
      const bound = await o.host.apply(key, (await readJson(req)) as ListenerState);
      return sendJson(res, 200, { bound: { ...bound, tls: o.host.bound()[`${key}:tls`] ?? null } });
    }
    case "PUT /v1/listeners/:key/groups": {
      const { groups } = (await readJson(req)) as { groups: RouteGroup[] };
      if (!o.host.setGroups(key, groups)) throw new SlipwayError("NOT_FOUND", `no listener ${key}`);
      return sendJson(res, 200, { ok: true });
    }
    case "DELETE /v1/listeners/:key":
      await o.host.remove(key);
      return sendJson(res, 200, { ok: true });
    case "POST /v1/listeners/:key/drain": {
      const { target, timeout } = (await readJson(req)) as { target: string; timeout: number };
      await o.host.drain(key, target, timeout);
      return sendJson(res, 200, { ok: true });
    }
    case "GET /v1/attach":
      return attach(o, req, res, url.searchParams.get("project") ?? "", url.searchParams.get("root") ?? undefined);
    case "POST /v1/shutdown":
      sendJson(res, 200, { ok: true });
      o.onShutdown(url.searchParams.get("project") ?? "");
      return;
    default:
      throw new SlipwayError("NOT_FOUND", `no such router API route: ${req.method} ${url.pathname}`);
  }
}

function attach(o: ControlApiOptions, req: IncomingMessage, res: ServerResponse, project: string, root: string | undefined): void {
  res.writeHead(200, { "content-type": "application/x-ndjson" });
  res.flushHeaders();
  o.onAttach(true, project, root);
  let batches = 0;
  const timer = setInterval(() => {
    const samples = o.host.takeSamples(project);
    const withStats = ++batches % STATS_EVERY_BATCHES === 1;
    if (!samples && !withStats) return;
    const stats = withStats && { stats: o.host.stats(project || undefined), acme: o.host.acmeStatus(project || undefined) };
    res.write(JSON.stringify({ ...(samples && { samples }), ...stats }) + "\n");
  }, SAMPLE_BATCH_EVERY);
  req.socket.once("close", () => {
    clearInterval(timer);
    o.onAttach(false, project, root);
  });
}
