import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { SlipwayError } from "../errors.js";
import { TLS_DEFAULTS, type CertificateStore } from "./certificates.js";
import { reply, type Reply } from "./replies.js";
import type { Site } from "./site.js";

/** While closing, idle client keep-alive connections are closed this often. */
const CLOSE_SWEEP_MS = 100;
/** An HTTP/2 connection with no frame for this long is closed (GOAWAY, its streams finish first). */
export const H2_IDLE_TIMEOUT_MS = 120_000;
/**
 * Idle HTTP/1.1 keep-alive connections from clients close after this: nginx's
 * `keepalive_timeout` default, longer than the idle timeout of the load
 * balancers and clients that usually sit in front (AWS ALB 60 s), so the
 * client side closes first. With Node's default of 5 s, a client reusing a
 * connection just as the router closed it got ECONNRESET (two-copy round 55:
 * the load generator's pooled socket, idle past 5 s on a loaded machine);
 * the same race behind a load balancer with a longer idle timeout gives 502s.
 * Idle connections do not trip `headersTimeout`/`requestTimeout` (they count
 * from a request's first byte), and `close()` closes them as soon as they are idle.
 */
export const CLIENT_KEEP_ALIVE_MS = 75_000;
/** A TLS handshake must complete within this. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Where ACME HTTP-01 challenges are asked for (RFC 8555, 8.3). */
export const ACME_CHALLENGE_PATH = "/.well-known/acme-challenge/";

/** Where an entrypoint sends a request for one host. */
export interface EntrypointRoute {
  site: Site;
  /** On a plain entrypoint: answer 308 to `https://host:redirectTo` instead of proxying (0: proxy). */
  redirectTo: number;
}

export interface EntrypointOptions {
  /** Where clients connect. Port 0 picks a free one. */
  listen: { host: string; port: number };
  /** Terminate TLS with these certificates (HTTP/2 and HTTP/1.1 by ALPN); absent: plain HTTP/1.1. */
  certificates?: CertificateStore;
  /** ACME HTTP-01 key authorizations by token (plain entrypoints answer them for any host). */
  challenge?: (token: string) => string | undefined;
}

/**
 * One listening address of the router: plain HTTP/1.1, or TLS with HTTP/2
 * and HTTP/1.1 on the same port (ALPN), certificates chosen by SNI. It picks
 * the site for each request by its host name (Host, or `:authority` in
 * HTTP/2), falling back to the catch-all site; a host no site serves gets a
 * 404 naming it. A plain entrypoint answers ACME HTTP-01 challenges and,
 * for sites served over TLS, redirects to HTTPS. Cleartext HTTP/2 (h2c) is
 * never spoken: a prior-knowledge preface gets a 400 and the connection ends.
 *
 * @example
 * const ep = new Entrypoint({ listen: { host: "127.0.0.1", port: 8443 }, certificates: store });
 * ep.setRoutes({ site, redirectTo: 0 }, new Map());
 * await ep.listen();
 */
export class Entrypoint {
  readonly secure: boolean;
  private readonly server: http.Server | http2.Http2SecureServer;
  private readonly address: { host: string; port: number };
  private readonly challenge: ((token: string) => string | undefined) | undefined;
  private catchAll: EntrypointRoute | null = null;
  private byHost = new Map<string, EntrypointRoute>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly tunnels = new Set<Duplex>();
  private unsubscribe: (() => void) | null = null;
  private closing: Promise<void> | null = null;

  constructor(options: EntrypointOptions) {
    this.address = options.listen;
    this.challenge = options.challenge;
    const store = options.certificates;
    this.secure = store !== undefined;
    if (store === undefined) {
      const server = http.createServer(this.onRequest);
      server.keepAliveTimeout = CLIENT_KEEP_ALIVE_MS;
      this.server = server;
    } else {
      const server = http2.createSecureServer({
        ...TLS_DEFAULTS,
        allowHTTP1: true,
        SNICallback: store.sniCallback,
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      });
      (server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = CLIENT_KEEP_ALIVE_MS;
      server.on("request", this.onRequest);
      server.on("session", (session: http2.ServerHttp2Session) => {
        this.sessions.add(session);
        session.setTimeout(H2_IDLE_TIMEOUT_MS, () => session.close());
        session.once("close", () => this.sessions.delete(session));
      });
      server.on("sessionError", () => undefined); // the session is destroyed; nothing else to do
      server.on("tlsClientError", () => undefined); // a failed handshake concerns that client only
      const useDefault = () => {
        const c = store.defaultCertificate();
        if (c !== null) server.setSecureContext({ ...TLS_DEFAULTS, cert: c.certPem, key: c.keyPem });
      };
      useDefault();
      this.unsubscribe = store.onChange(useDefault);
      this.server = server;
    }
    this.server.on("upgrade", this.onUpgrade);
    this.server.on("clientError", onClientError);
  }

  /**
   * Routes requests for the host names of `byHost` (lower case, no port; a
   * key `*.example.com` covers one label) to their site, any other host to
   * `catchAll` (null: 404). Takes effect for the next request.
   */
  setRoutes(catchAll: EntrypointRoute | null, byHost: Map<string, EntrypointRoute>): void {
    this.catchAll = catchAll;
    this.byHost = byHost;
  }

  /** Starts accepting connections; resolves with the bound address. Throws `SlipwayError` when it cannot bind. */
  listen(): Promise<{ host: string; port: number }> {
    const { host, port } = this.address;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(
          new SlipwayError("CONFIG_INVALID", `the router cannot listen on ${host}:${port} (${err.code ?? err.message})`, {
            hint: err.code === "EADDRINUSE" ? "another process uses this port: stop it or change `listen` in slipway.yaml" : undefined,
            cause: err,
          }),
        );
      };
      this.server.once("error", onError);
      this.server.listen(port, host, () => {
        this.server.off("error", onError);
        const bound = this.server.address() as AddressInfo;
        resolve({ host: bound.address, port: bound.port });
      });
    });
  }

  /**
   * Stops accepting connections, lets in-flight requests finish (closing
   * each keep-alive connection once idle, each HTTP/2 connection with a
   * GOAWAY), destroys its open WebSockets. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.unsubscribe?.();
      const server = this.server;
      for (const socket of this.tunnels) socket.destroy();
      if (!server.listening) {
        resolve();
        return;
      }
      // Node's HTTP/1.1 connection tracking, which the TLS server has too (its HTTP/1.1 side).
      const closeIdle = () => (server as http.Server).closeIdleConnections();
      const sweep = setInterval(closeIdle, CLOSE_SWEEP_MS);
      server.close(() => {
        clearInterval(sweep);
        resolve();
      });
      closeIdle();
      for (const session of this.sessions) session.close();
    });
    return this.closing;
  }

  private route(req: http.IncomingMessage): EntrypointRoute | null {
    if (this.byHost.size === 0) return this.catchAll;
    const name = hostName(req.headers.host ?? (req.headers[":authority"] as string | undefined));
    if (name === undefined) return this.catchAll;
    const exact = this.byHost.get(name);
    if (exact !== undefined) return exact;
    const dot = name.indexOf(".");
    return (dot > 0 ? this.byHost.get(`*${name.slice(dot)}`) : undefined) ?? this.catchAll;
  }

  private readonly onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = req.url as string;
    if (this.challenge !== undefined && url.startsWith(ACME_CHALLENGE_PATH)) {
      const answer = this.challenge(url.slice(ACME_CHALLENGE_PATH.length));
      if (answer !== undefined) {
        res.writeHead(200, { "content-type": "application/octet-stream", "cache-control": "no-store" }).end(answer);
        return;
      }
    }
    const route = this.route(req);
    if (route === null) {
      send(res, unknownHostReply(req));
      return;
    }
    if (route.redirectTo > 0 && !this.secure) {
      send(res, redirectReply(req, route.redirectTo));
      return;
    }
    route.site.handle(req, res, this.secure);
  };

  private readonly onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const route = this.route(req);
    if (route === null || (route.redirectTo > 0 && !this.secure)) {
      const answer = route === null ? unknownHostReply(req) : redirectReply(req, route.redirectTo);
      socket.on("error", () => socket.destroy());
      socket.end(answer.raw);
      return;
    }
    this.tunnels.add(socket);
    socket.once("close", () => this.tunnels.delete(socket));
    route.site.upgrade(req, socket, head, this.secure);
  };
}

/**
 * The host name of a Host or `:authority` value: lower case, without port
 * or trailing dot; undefined when there is none.
 *
 * @example
 * hostName("App.Example.com:8443"); // "app.example.com"
 * hostName("[::1]:80"); // "[::1]"
 */
export function hostName(value: string | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  let end = value.length;
  if (value.charCodeAt(0) === 91 /* [ */) end = value.indexOf("]") + 1 || end;
  else {
    const colon = value.lastIndexOf(":");
    if (colon >= 0) end = colon;
  }
  if (value.charCodeAt(end - 1) === 46 /* . */) end--;
  return value.slice(0, end).toLowerCase();
}

function send(res: http.ServerResponse, answer: Reply): void {
  res.writeHead(answer.status, answer.headers).end(answer.body);
}

/** The 404 for a host no site on this address serves. */
function unknownHostReply(req: http.IncomingMessage): Reply {
  const host = hostName(req.headers.host ?? (req.headers[":authority"] as string | undefined));
  const shown = host === undefined ? "without a Host header" : `for host "${host.slice(0, 255)}"`;
  return reply(404, `slipway: no app is served here ${shown}\n`);
}

/** 308 to the same URL over HTTPS on port `httpsPort` (RFC 9110 15.4.9: the method and body are kept). */
function redirectReply(req: http.IncomingMessage, httpsPort: number): Reply {
  const host = hostName(req.headers.host);
  if (host === undefined) return reply(400, "slipway: bad request (a Host header is needed to redirect to HTTPS)\n");
  const url = req.url as string;
  const path = url.charCodeAt(0) === 47 /* / */ ? url : "/";
  const location = `https://${host}${httpsPort === 443 ? "" : `:${httpsPort}`}${path}`;
  return reply(308, `slipway: this app is served over HTTPS: ${location}\n`, ["location", location]);
}

const BAD_REQUEST: Reply = reply(400, "slipway: bad request\n");
const HEADERS_TOO_LARGE: Reply = reply(431, "slipway: request headers too large\n");
const REQUEST_TIMEOUT: Reply = reply(408, "slipway: request timeout\n");

/** A malformed request or a client that stalled: answer it if nothing was sent yet, then close. */
function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // Node's own handler checks the same thing: never write into a response in progress.
  const inProgress = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === "ECONNRESET" || !socket.writable || inProgress?.headersSent) {
    socket.destroy();
    return;
  }
  const answer =
    err.code === "HPE_HEADER_OVERFLOW" ? HEADERS_TOO_LARGE : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? REQUEST_TIMEOUT : BAD_REQUEST;
  socket.end(answer.raw);
  socket.once("finish", () => socket.destroy());
}
