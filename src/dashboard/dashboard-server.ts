import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Clock } from "../clock.js";
import { formatAddress } from "../config/address.js";
import type { ListenAddress } from "../config/types.js";
import { ApiClient } from "../control/api-client.js";
import { readJson } from "../control/http-json.js";
import { SlipwayError } from "../errors.js";
import { DaemonFeed } from "./daemon-feed.js";
import { hostGuard } from "./host-guard.js";
import { SessionAuth, type Session } from "./session-auth.js";
import { openSse } from "./sse.js";
import { StaticFiles } from "./static-files.js";

export interface DashboardOptions {
  /** `.slipway/daemon.sock` of the project. */
  socketPath: string;
  listen: ListenAddress;
  /** PEM contents; absent: plain HTTP. */
  tls?: { cert: Buffer; key: Buffer };
  /** Extra accepted Host names (`dashboard.hosts`). */
  hosts: readonly string[];
  /** The app's name (the page's title). */
  app: string;
  /** Who runs the dashboard (`user@host`): part of the holder recorded for each action. */
  operator: string;
  clock: Clock;
}

export interface Dashboard {
  /** The URL to open, with the one-time token. */
  readonly url: string;
  readonly address: ListenAddress;
  close(): Promise<void>;
}

/** Browser → daemon actions, and the daemon route each goes through (the CLI's routes). */
const ACTIONS = {
  promote: "/v1/promote",
  pause: "/v1/pause",
  resume: "/v1/resume",
  abort: "/v1/abort",
  rollback: "/v1/rollback",
  retry: "/v1/retry",
} as const;
type Action = keyof typeof ACTIONS;

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/**
 * `slipway dashboard`'s web server: runs in the CLI's process, apart from
 * the daemon (a dashboard fault never reaches the daemon or traffic), and
 * reads everything through the daemon's control API on its unix socket:
 * one shared watch stream (`DaemonFeed`) fanned out to the pages as
 * Server-Sent Events, and the same routes the CLI uses for releases, events,
 * logs, stats and actions. Every request passes the Host check, then needs
 * a session (see `SessionAuth`); actions also need the CSRF header and a
 * same-origin `Origin`.
 *
 * @example
 * const dashboard = await startDashboard({ socketPath, listen, hosts: [], app: "hello", operator: "ana@box", clock: systemClock });
 * console.log(dashboard.url); // http://127.0.0.1:7070/?token=...
 */
export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const auth = new SessionAuth(o.clock);
  const files = new StaticFiles();
  const daemon = new ApiClient(o.socketPath, { name: "Slipway daemon", hint: "start it with slipway up" });
  const feed = new DaemonFeed(o.socketPath);
  const secure = o.tls !== undefined;
  let hostOk: (h: string | undefined) => boolean = () => false;
  let origin = "";

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    if (!hostOk(req.headers.host)) return sendText(res, 403, "this dashboard answers only at its own address (Host header refused)");
    serve(req, res).catch((err: unknown) => sendFailure(res, err));
  };

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", origin);
    const token = url.searchParams.get("token");
    if (req.method === "GET" && url.pathname === "/" && token !== null) {
      const redeemed = auth.redeem(token);
      if (redeemed) {
        res.writeHead(303, { location: "/", "set-cookie": SessionAuth.setCookie(redeemed.cookie, secure) });
        return void res.end();
      }
      // A used or wrong token: a page already holding a session just loses the token from its address.
      if (auth.session(req)) return redirect(res, "/");
      return sendText(res, 401, "this dashboard link was already used or is wrong: run slipway dashboard again for a new one");
    }
    const session = auth.session(req);
    if (!session) return sendText(res, 401, "no dashboard session: open the link slipway dashboard printed (it works once)");
    if (req.method === "GET" && url.pathname === "/") return sendIndex(res, session);
    if (req.method === "GET" && files.has(url.pathname)) {
      const file = await files.get(url.pathname);
      res.writeHead(200, { "content-type": file.type, "cache-control": "private, max-age=300" });
      return void res.end(file.body);
    }
    if (url.pathname.startsWith("/api/actions/")) {
      if (req.method !== "POST") return sendJson(res, 405, { error: { code: "USAGE", message: "actions are POST requests" } });
      if (req.headers.origin !== undefined && req.headers.origin !== origin)
        return sendJson(res, 403, { error: { code: "FORBIDDEN", message: "cross-origin action refused" } });
      if (!auth.csrfOk(req, session))
        return sendJson(res, 403, { error: { code: "FORBIDDEN", message: "missing or wrong CSRF token: reload the page" } });
      return act(url.pathname.slice("/api/actions/".length), req, res, session);
    }
    if (req.method !== "GET") return sendJson(res, 405, { error: { code: "USAGE", message: `${req.method} not allowed here` } });
    switch (url.pathname) {
      case "/api/state":
        return sendJson(res, 200, await state(session));
      case "/api/stream":
        return stream(req, res);
      case "/api/releases":
        return sendJson(res, 200, {
          releases: await daemon.get("/v1/releases"),
          rollouts: await daemon.get("/v1/rollouts?limit=1000"),
        });
      case "/api/events":
        return sendJson(res, 200, await daemon.get(`/v1/events?${pick(url, ["release", "rollout", "type", "limit"])}`));
      case "/api/stats":
        return sendJson(res, 200, await daemon.get(`/v1/stats?${pick(url, ["since", "until", "bucket", "failureWindow"])}`));
      case "/api/logs":
        return logs(url, req, res);
      default:
        return sendJson(res, 404, { error: { code: "NOT_FOUND", message: `no such page: ${url.pathname}` } });
    }
  };

  const sendIndex = async (res: ServerResponse, session: Session) => {
    const html = (await files.get("/assets/index.html")).body
      .toString("utf8")
      .replace("{{csrf}}", session.csrf)
      .replaceAll("{{app}}", escapeHtml(o.app));
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(html);
  };

  const state = async (session: Session) => ({
    app: o.app,
    session: session.label,
    daemon: feed.connected,
    status: feed.status ?? (await daemon.get("/v1/status").catch(() => null)),
  });

  const stream = (req: IncomingMessage, res: ServerResponse) => {
    const sse = openSse(req, res);
    sse.send("daemon", { connected: feed.connected });
    if (feed.status) sse.send("status", feed.status);
    const off = feed.listen((m) => {
      if (m.type === "status") sse.send("status", m.status);
      else if (m.type === "event") sse.send("event", m.event);
      else if (m.type === "daemon") sse.send("daemon", { connected: m.connected });
    });
    void sse.closed.then(off);
  };

  const logs = async (url: URL, req: IncomingMessage, res: ServerResponse) => {
    const q = pick(url, ["release", "lines"]);
    q.set("follow", url.searchParams.get("follow") === "1" ? "1" : "0");
    const sse = openSse(req, res);
    const ac = new AbortController();
    void sse.closed.then(() => ac.abort());
    try {
      await daemon.lines(`/v1/logs?${q}`, (line) => sse.send("line", line), ac.signal);
      sse.send("end", {});
    } catch (err) {
      if (!ac.signal.aborted) sse.send("failure", failureOf(err));
    }
    sse.close();
  };

  const act = async (name: string, req: IncomingMessage, res: ServerResponse, session: Session) => {
    if (!(name in ACTIONS)) return sendJson(res, 404, { error: { code: "NOT_FOUND", message: `no such action: ${name}` } });
    const action = name as Action;
    const body = (await readJson(req)) as { full?: unknown; to?: unknown };
    const holder = `dashboard session ${session.label} (${o.operator})`;
    if (action === "rollback" || action === "retry") {
      const to = body.to === undefined || body.to === null ? undefined : Number(body.to);
      if (to !== undefined && !Number.isSafeInteger(to))
        return sendJson(res, 400, { error: { code: "USAGE", message: "to must be a release id" } });
      return sendJson(res, 200, await followed(ACTIONS[action], action === "rollback" ? { to, holder } : { holder }));
    }
    return sendJson(res, 200, await daemon.post(ACTIONS[action], { full: body.full === true, holder }));
  };

  /** A streamed daemon operation (rollback, retry), to its result: the page sees its progress on the watch stream. */
  const followed = async (path: string, body: object) => {
    let outcome: unknown = null;
    await daemon.stream(path, body, (m) => {
      if (m.type === "result") outcome = { result: m.result };
      if (m.type === "error") throw SlipwayError.fromJSON(m.error as Parameters<typeof SlipwayError.fromJSON>[0]);
    });
    return outcome ?? { result: null };
  };

  const server: Server = o.tls ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.listen.port, o.listen.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = { host: o.listen.host, port: (server.address() as AddressInfo).port };
  hostOk = hostGuard(bound, o.hosts, secure);
  const shown = bound.host === "0.0.0.0" || bound.host === "::" ? { ...bound, host: "127.0.0.1" } : bound;
  origin = `${secure ? "https" : "http"}://${formatAddress(shown)}`;
  return {
    url: `${origin}/?token=${auth.token}`,
    address: bound,
    close: async () => {
      feed.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The named query parameters of `url`, as a new query. */
function pick(url: URL, names: readonly string[]): URLSearchParams {
  const q = new URLSearchParams();
  for (const n of names) {
    const v = url.searchParams.get(n);
    if (v !== null) q.set(n, v);
  }
  return q;
}

function failureOf(err: unknown): { code: string; message: string; hint?: string } {
  if (err instanceof SlipwayError) return { code: err.code, message: err.message, ...(err.hint && { hint: err.hint }) };
  return { code: "INTERNAL", message: err instanceof Error ? err.message : String(err) };
}

function sendFailure(res: ServerResponse, err: unknown): void {
  const failure = failureOf(err);
  if (res.headersSent) return void res.end();
  const status = failure.code === "NOT_FOUND" ? 404 : failure.code === "DAEMON_UNAVAILABLE" ? 503 : failure.code === "INTERNAL" ? 500 : 409;
  sendJson(res, status, { error: failure });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(`${text}\n`);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location });
  res.end();
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
