import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import { FIXED_REQUESTS, liveAudit, MAX_BURST, parseLiveUrl, type LiveOptions, type LiveResult } from "../src/audit/live.js";
import { gradeSecurityHeaders } from "../src/audit/live-headers.js";
import { LIVE_RULES } from "../src/audit/rules-live.js";
import { SlipwayError } from "../src/errors.js";
import { sarifValidator } from "./fixtures/audit/sarif.js";
import { cleanupTrees, tree } from "./fixtures/audit/support.js";
import { freePort, runCli, type CliResult } from "./support/project.js";

// Real HTTP servers on 127.0.0.1, one per scenario. https:// URLs and non-loopback http:// URLs are
// served by the same local servers through an injected fetch that maps their origin to a port.

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Running {
  origin: string;
  port: number;
  /** Paths requested, in arrival order. */
  hits: string[];
}

const servers: Server[] = [];
afterAll(async () => {
  cleanupTrees();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

async function serve(handler: Handler): Promise<Running> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? "");
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { origin: `http://127.0.0.1:${port}`, port, hits };
}

const SAFE_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'self'; frame-ancestors 'none'",
  "strict-transport-security": "max-age=63072000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "strict-origin-when-cross-origin",
};

const jsonHealth: Handler = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json", "x-content-type-options": "nosniff" });
  res.end('{"status":"ok"}');
};

interface AppOptions {
  /** Overrides of SAFE_HEADERS on pages; null removes one. */
  headers?: Record<string, string | null>;
  /** Answers /health (default: 200 JSON). /healthz and /readyz are 404. */
  health?: Handler;
  /** Pages answer 429 (with Retry-After) after this many (default 5; Infinity: never). Health is exempt. */
  limit?: number;
  /** Extra headers computed from the request (CORS). */
  vary?: (req: IncomingMessage) => Record<string, string>;
}

/** A hardened service, weakened by `o`. */
function app(o: AppOptions = {}): Handler {
  let pages = 0;
  return (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/health") return (o.health ?? jsonHealth)(req, res);
    if (path !== "/") return void res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    const headers: Record<string, string> = { "content-type": "text/html", ...o.vary?.(req) };
    for (const [k, v] of Object.entries({ ...SAFE_HEADERS, ...o.headers })) if (v !== null && v !== undefined) headers[k] = v;
    if (++pages > (o.limit ?? 5)) return void res.writeHead(429, { ...headers, "retry-after": "1" }).end("slow down");
    res.writeHead(200, headers).end("<h1>app</h1>");
  };
}

/** Options for the scenarios: no burst unless asked, and a slowness threshold no loaded machine reaches. */
const QUIET: LiveOptions = { burst: 0, healthSlowMs: 30_000 };

async function auditApp(o: AppOptions, options: LiveOptions = {}): Promise<LiveResult & { hits: string[]; origin: string }> {
  const s = await serve(app(o));
  return { ...(await liveAudit(`${s.origin}/`, { ...QUIET, ...options })), hits: s.hits, origin: s.origin };
}

/** Fetch that serves each mapped origin (e.g. "https://app.test") from a local port; others are refused. */
function mapped(origins: Record<string, number>): typeof fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const port = origins[url.origin];
    if (port === undefined) {
      const cause = Object.assign(new Error(`connect ECONNREFUSED ${url.host}`), { code: "ECONNREFUSED" });
      return Promise.reject(new TypeError("fetch failed", { cause }));
    }
    return fetch(`http://127.0.0.1:${port}${url.pathname}${url.search}`, init);
  };
}

/** Runs the audit of `url` with each origin of `apps` served by its own local server. */
async function auditMapped(url: string, apps: Record<string, Handler>, options: LiveOptions = {}): Promise<LiveResult> {
  const ports: Record<string, number> = {};
  for (const [origin, handler] of Object.entries(apps)) ports[origin] = (await serve(handler)).port;
  return liveAudit(url, { ...QUIET, ...options, fetch: mapped(ports) });
}

const ids = (r: LiveResult): string[] => r.findings.map((f) => f.rule).sort();
const messages = (r: LiveResult, rule: string): string[] => r.findings.filter((f) => f.rule === rule).map((f) => f.message);

const redirectTo =
  (location: string): Handler =>
  (_req, res) =>
    void res.writeHead(301, { location }).end();

describe("liveAudit: a hardened service", () => {
  it("has no findings (health JSON, all headers, rate limited after 5 requests)", async () => {
    const r = await auditApp({}, { burst: 50, healthSlowMs: 30_000 });
    expect(r.findings).toEqual([]);
    expect(r.rules).toEqual(LIVE_RULES.map((x) => x.id).filter((id) => !["SW8007", "SW8008", "SW8014"].includes(id)));
    // The burst stops at the first 429: far fewer than 50 requests.
    expect(r.hits.length).toBeLessThan(FIXED_REQUESTS + 15);
  });

  it("over https (HSTS graded) with http:// redirecting to it: no findings, every rule ran", async () => {
    const r = await auditMapped(
      "https://app.test/",
      { "https://app.test": app(), "http://app.test": redirectTo("https://app.test/") },
      { burst: 20 },
    );
    expect(r.findings).toEqual([]);
    expect(r.rules).toEqual(LIVE_RULES.map((x) => x.id));
  });
});

describe("liveAudit: one scenario per rule, triggering and not", () => {
  it("SW8001 service not reachable: a closed port is a finding, not a crash", async () => {
    const url = `http://127.0.0.1:${await freePort()}/`;
    const r = await liveAudit(url, QUIET);
    expect(r).toEqual({
      rules: ["SW8001"],
      findings: [{ rule: "SW8001", file: url, line: 0, message: expect.stringMatching(/^cannot reach .*ECONNREFUSED/) }],
    });
    expect(ids(await auditApp({}))).not.toContain("SW8001");
  });

  it("SW8001 when a same-host redirect leads nowhere; the redirect itself is still graded", async () => {
    const r = await auditMapped("http://app.test/", { "http://app.test": redirectTo("https://app.test/") });
    expect(r.findings.filter((f) => f.rule === "SW8001")).toEqual([
      { rule: "SW8001", file: "https://app.test/", line: 0, message: "cannot reach https://app.test/: connect ECONNREFUSED app.test" },
    ]);
    expect(ids(r)).toContain("SW8005");
  });

  it.each<[string, AppOptions, LiveOptions, string]>([
    [
      "503",
      { health: (_q, s) => void s.writeHead(503, { "content-type": "application/json" }).end('{"status":"down"}') },
      {},
      "GET {o}/health answered 503",
    ],
    [
      "a redirect",
      { health: redirectTo("http://localhost:1/health") },
      {},
      "GET {o}/health answered 301 (redirect to http://localhost:1/health)",
    ],
    [
      "404 everywhere",
      { health: (_q, s) => void s.writeHead(404).end() },
      {},
      "no health endpoint: /health, /healthz, /readyz all answered 404",
    ],
    ["a --health-path that is 404", {}, { healthPath: "/status" }, "GET {o}/status answered 404"],
  ])("SW8002 health endpoint answering %s", async (_name, o, options, message) => {
    const r = await auditApp(o, options);
    expect(ids(r)).toEqual(["SW8002"]);
    expect(messages(r, "SW8002")).toEqual([message.replace("{o}", r.origin)]);
  });

  it("SW8002 not reported: /healthz found after /health is 404, and a --health-path that answers", async () => {
    const s = await serve((req, res) => {
      if (req.url === "/healthz" || req.url === "/status") return jsonHealth(req, res);
      if (req.url === "/") return app()(req, res);
      res.writeHead(404).end();
    });
    const found = await liveAudit(`${s.origin}/`, QUIET);
    expect(found.findings).toEqual([]);
    expect(s.hits.filter((h) => h !== "/")).toEqual(["/health", "/healthz"]);
    expect((await liveAudit(`${s.origin}/`, { ...QUIET, healthPath: "/status" })).findings).toEqual([]);
  });

  it.each<[string, Handler, string]>([
    ["text", (_q, s) => void s.writeHead(200, { "content-type": "text/plain" }).end("OK"), "answers text/plain, not JSON"],
    [
      "JSON as text/plain",
      (_q, s) => void s.writeHead(200, { "content-type": "text/plain" }).end('{"status":"ok"}'),
      "the body is JSON but Content-Type is text/plain, not application/json",
    ],
    [
      "broken JSON",
      (_q, s) => void s.writeHead(200, { "content-type": "application/json" }).end("{status: ok}"),
      "Content-Type is application/json but the body is not valid JSON",
    ],
  ])("SW8003 health answering %s", async (_name, health, message) => {
    const r = await auditApp({ health });
    expect(ids(r)).toEqual(["SW8003"]);
    expect(messages(r, "SW8003")[0]).toContain(message);
  });

  it("SW8003 not reported for application/health+json", async () => {
    const health: Handler = (_q, s) =>
      void s.writeHead(200, { "content-type": "application/health+json; charset=utf-8" }).end('{"status":"pass"}');
    expect((await auditApp({ health })).findings).toEqual([]);
  });

  it("SW8004 health slower than the threshold (200 ms threshold, 1.5 s answer); not reported under a generous one", async () => {
    const health: Handler = (req, res) => void setTimeout(() => jsonHealth(req, res), 1500);
    const slow = await auditApp({ health }, { healthSlowMs: 200 });
    expect(ids(slow)).toEqual(["SW8004"]);
    expect(messages(slow, "SW8004")[0]).toMatch(/^answered in \d+ ms \(threshold 200 ms\)$/);
    expect((await auditApp({ health }, { healthSlowMs: 60_000 })).findings).toEqual([]);
  });

  it("SW8002 (not SW8004) when the health endpoint does not answer within the request timeout", async () => {
    const health: Handler = (req, res) => void setTimeout(() => jsonHealth(req, res), 3000);
    const r = await auditApp({ health }, { requestTimeoutMs: 300 });
    expect(ids(r)).toEqual(["SW8002"]);
    expect(messages(r, "SW8002")).toEqual([`GET ${r.origin}/health: no answer within 300 ms`]);
  });

  it.each<[string, AppOptions, string[]]>([
    ["SW8005 no CSP (X-Frame-Options still there)", { headers: { "content-security-policy": null } }, ["SW8005"]],
    [
      "SW8005 only a report-only CSP",
      { headers: { "content-security-policy": null, "content-security-policy-report-only": "default-src 'self'" } },
      ["SW8005"],
    ],
    [
      "SW8006 unsafe-inline in script-src",
      { headers: { "content-security-policy": "default-src 'self'; script-src 'self' 'unsafe-inline'" } },
      ["SW8006"],
    ],
    ["SW8006 unsafe-eval in default-src", { headers: { "content-security-policy": "default-src 'self' 'unsafe-eval'" } }, ["SW8006"]],
    ["SW8006 a CSP that does not restrict scripts", { headers: { "content-security-policy": "frame-ancestors 'none'" } }, ["SW8006"]],
    [
      "no SW8006: unsafe-inline neutralised by a nonce",
      { headers: { "content-security-policy": "default-src 'self'; script-src 'nonce-abc' 'unsafe-inline'" } },
      [],
    ],
    [
      "SW8009 neither X-Frame-Options nor frame-ancestors",
      { headers: { "x-frame-options": null, "content-security-policy": "default-src 'self'" } },
      ["SW8009"],
    ],
    [
      "SW8009 X-Frame-Options ALLOW-FROM",
      { headers: { "x-frame-options": "ALLOW-FROM https://a.example", "content-security-policy": "default-src 'self'" } },
      ["SW8009"],
    ],
    [
      "SW8009 frame-ancestors *",
      { headers: { "x-frame-options": null, "content-security-policy": "default-src 'self'; frame-ancestors *" } },
      ["SW8009"],
    ],
    ["no SW8009: frame-ancestors without X-Frame-Options", { headers: { "x-frame-options": null } }, []],
    [
      "no SW8009: X-Frame-Options SAMEORIGIN without frame-ancestors",
      { headers: { "x-frame-options": "sameorigin", "content-security-policy": "default-src 'self'" } },
      [],
    ],
    ["SW8010 no X-Content-Type-Options", { headers: { "x-content-type-options": null } }, ["SW8010"]],
    ["SW8010 X-Content-Type-Options: sniff", { headers: { "x-content-type-options": "sniff" } }, ["SW8010"]],
    ["SW8011 no Referrer-Policy", { headers: { "referrer-policy": null } }, ["SW8011"]],
    ["SW8011 an invalid Referrer-Policy", { headers: { "referrer-policy": "never" } }, ["SW8011"]],
    ["SW8012 Referrer-Policy unsafe-url", { headers: { "referrer-policy": "unsafe-url" } }, ["SW8012"]],
    ["SW8012 Referrer-Policy no-referrer-when-downgrade", { headers: { "referrer-policy": "no-referrer-when-downgrade" } }, ["SW8012"]],
    ["no SW8012: the last known policy wins", { headers: { "referrer-policy": "unsafe-url, no-referrer" } }, []],
    ["SW8016 Server with a version", { headers: { server: "nginx/1.25.3" } }, ["SW8016"]],
    ["SW8016 X-Powered-By with a version", { headers: { "x-powered-by": "PHP/8.2.1" } }, ["SW8016"]],
    ["SW8016 X-AspNet-Version", { headers: { "x-aspnet-version": "4.0.30319" } }, ["SW8016"]],
    ["no SW8016: Server without a version", { headers: { server: "nginx" } }, []],
    ["SW8017 X-Powered-By: Express", { headers: { "x-powered-by": "Express" } }, ["SW8017"]],
    ["no SW8017: no X-Powered-By (the hardened service)", {}, []],
  ])("%s", async (_name, o, expected) => {
    expect(ids(await auditApp(o))).toEqual(expected);
  });

  it("messages name the header and its value", async () => {
    const r = await auditApp({ headers: { server: "Apache/2.4.57 (Debian)", "x-powered-by": "Express", "referrer-policy": "unsafe-url" } });
    expect(r.findings).toEqual([
      { rule: "SW8012", file: `${r.origin}/`, line: 0, message: "Referrer-Policy: unsafe-url" },
      { rule: "SW8016", file: `${r.origin}/`, line: 0, message: "Server: Apache/2.4.57 (Debian) names a version" },
      { rule: "SW8017", file: `${r.origin}/`, line: 0, message: "X-Powered-By: Express names the framework" },
    ]);
  });

  it.each<[string, Record<string, string | null>, string[], string]>([
    ["SW8007 no HSTS", { "strict-transport-security": null }, ["SW8007"], "no Strict-Transport-Security header"],
    [
      "SW8007 max-age=0",
      { "strict-transport-security": "max-age=0" },
      ["SW8007"],
      "Strict-Transport-Security: max-age=0: max-age=0 turns HSTS off",
    ],
    [
      "SW8007 no max-age",
      { "strict-transport-security": "includeSubDomains" },
      ["SW8007"],
      "Strict-Transport-Security: includeSubDomains has no valid max-age",
    ],
    [
      "SW8008 max-age of a day",
      { "strict-transport-security": "max-age=86400" },
      ["SW8008"],
      "Strict-Transport-Security: max-age=86400: max-age below 15552000 (180 days)",
    ],
    ["no SW8008 at exactly 180 days", { "strict-transport-security": "max-age=15552000" }, [], ""],
  ])("https: %s", async (_name, headers, expected, message) => {
    const r = await auditMapped("https://app.test/", {
      "https://app.test": app({ headers }),
      "http://app.test": redirectTo("https://app.test/"),
    });
    expect(ids(r)).toEqual(expected);
    if (message) expect(r.findings[0]).toEqual({ rule: expected[0], file: "https://app.test/", line: 0, message });
  });

  it("HSTS is not graded over plain http (loopback): SW8007/SW8008 do not run", async () => {
    const r = await auditApp({ headers: { "strict-transport-security": null } });
    expect(r.findings).toEqual([]);
    expect(r.rules).not.toContain("SW8007");
    expect(gradeSecurityHeaders(new Headers(SAFE_HEADERS), true)).toEqual([]);
  });

  const reflect = (credentials: boolean) => (req: IncomingMessage) => ({
    "access-control-allow-origin": req.headers.origin ?? "https://app.example",
    ...(credentials ? { "access-control-allow-credentials": "true" } : {}),
  });
  it.each<[string, AppOptions["vary"], string[]]>([
    ["SW8013 * with credentials", () => ({ "access-control-allow-origin": "*", "access-control-allow-credentials": "true" }), ["SW8013"]],
    ["SW8013 any origin reflected with credentials", reflect(true), ["SW8013"]],
    ["no SW8013: origin reflected without credentials", reflect(false), []],
    ["no SW8013: * without credentials", () => ({ "access-control-allow-origin": "*" }), []],
    [
      "no SW8013: an allowlisted origin with credentials",
      () => ({ "access-control-allow-origin": "https://app.example", "access-control-allow-credentials": "true" }),
      [],
    ],
  ])("%s", async (_name, vary, expected) => {
    const r = await auditApp({ vary });
    expect(ids(r)).toEqual(expected);
  });

  it("SW8013 message: the Origin sent was reflected", async () => {
    const r = await auditApp({ vary: reflect(true) });
    expect(messages(r, "SW8013")).toEqual(["reflects any Origin (sent https://evil.example) with Access-Control-Allow-Credentials: true"]);
  });

  it.each<[string, string, Record<string, Handler>, string[]]>([
    [
      "SW8014 http:// answering 200",
      "http://app.test/",
      { "http://app.test": app() },
      ["http://app.test/ answers 200 over plain HTTP instead of redirecting to https://"],
    ],
    [
      "SW8014 http:// redirecting to another host",
      "http://app.test/",
      { "http://app.test": redirectTo("https://www.app.test/") },
      ["http://app.test/ redirects to another host (https://www.app.test/) instead of https://app.test/ first"],
    ],
    [
      "SW8014 https:// whose http:// twin answers 200",
      "https://app.test/",
      { "https://app.test": app(), "http://app.test": app() },
      ["http://app.test/ answers 200 over plain HTTP instead of redirecting to https://"],
    ],
    [
      "no SW8014: http:// redirecting to https:// on the same host",
      "http://app.test/",
      { "http://app.test": redirectTo("https://app.test/"), "https://app.test": app() },
      [],
    ],
    ["no SW8014: https:// with no plain HTTP at all", "https://app.test/", { "https://app.test": app() }, []],
  ])("%s", async (_name, url, apps, expected) => {
    const r = await auditMapped(url, apps);
    expect(messages(r, "SW8014")).toEqual(expected);
    expect(r.rules).toContain("SW8014");
  });

  it("no SW8014 on loopback http: the check does not run", async () => {
    const r = await auditApp({});
    expect(r.rules).not.toContain("SW8014");
  });

  it("SW8015 no rate limiting seen: the burst is sent in full and never exceeds the cap", async () => {
    const r = await auditApp({ limit: Infinity }, { burst: MAX_BURST });
    expect(ids(r)).toEqual(["SW8015"]);
    expect(messages(r, "SW8015")).toEqual([
      `${MAX_BURST} requests in a burst (${MAX_BURST} answered): no 429 and no RateLimit-*, X-RateLimit-* or Retry-After header`,
    ]);
    // URL + CORS + burst on "/", one health request.
    expect(r.hits.filter((h) => h === "/")).toHaveLength(MAX_BURST + 2);
    expect(r.hits.length).toBeLessThanOrEqual(FIXED_REQUESTS + MAX_BURST);
  });

  it("no SW8015: RateLimit headers on the first answer, so no burst is sent", async () => {
    const r = await auditApp({ limit: Infinity, headers: { "ratelimit-limit": "100", "ratelimit-remaining": "99" } }, { burst: 50 });
    expect(r.findings).toEqual([]);
    expect(r.rules).toContain("SW8015");
    expect(r.hits.filter((h) => h === "/")).toHaveLength(2);
  });

  it("no SW8015: 429 during the burst stops it", async () => {
    const r = await auditApp({ limit: 12 }, { burst: 100 });
    expect(r.findings).toEqual([]);
    expect(r.hits.filter((h) => h === "/").length).toBeLessThanOrEqual(12 + 10 + 1);
  });

  it("--burst 0 skips the rate-limit check: SW8015 does not run", async () => {
    const r = await auditApp({ limit: Infinity });
    expect(r.rules).not.toContain("SW8015");
    expect(r.hits).toHaveLength(3);
  });
});

describe("liveAudit: only the URL's host, bounded", () => {
  it("does not follow a redirect to another host (page and health)", async () => {
    const other = await serve(app());
    const elsewhere = `http://localhost:${other.port}`;
    const s = await serve((req, res) => redirectTo(`${elsewhere}${req.url ?? "/"}`)(req, res));
    const r = await liveAudit(`${s.origin}/`, { ...QUIET, burst: 20 });
    expect(other.hits).toEqual([]);
    expect(messages(r, "SW8002")).toEqual([`GET ${s.origin}/health answered 301 (redirect to ${elsewhere}/health)`]);
    expect(s.hits.length).toBeLessThanOrEqual(FIXED_REQUESTS + 20);
  });

  it("follows at most 3 same-host redirects", async () => {
    const s = await serve((req, res) => {
      const n = Number(new URL(req.url ?? "/", "http://x").searchParams.get("n") ?? 0);
      if (req.url?.startsWith("/health")) return jsonHealth(req, res);
      redirectTo(`/?n=${n + 1}`)(req, res);
    });
    await liveAudit(`${s.origin}/`, QUIET);
    expect(s.hits.filter((h) => !h.startsWith("/health"))).toEqual(["/", "/?n=1", "/?n=2", "/?n=3", "/?n=3"]);
  });

  it.each([
    ["not-a-url", "--url not-a-url: not a URL"],
    ["ftp://files.example/", "--url ftp://files.example/: only http and https URLs can be checked"],
    ["https://user:pw@app.example/", "--url https://user:pw@app.example/: credentials in the URL are not supported"],
  ])("bad --url %s: USAGE error", (url, message) => {
    expect(() => parseLiveUrl(url)).toThrow(message);
    expect(() => parseLiveUrl(url)).toThrow(SlipwayError);
  });

  it("bad options: USAGE errors before any request", async () => {
    await expect(liveAudit("http://127.0.0.1:9/", { burst: MAX_BURST + 1 })).rejects.toThrow(
      "--burst 201: not a whole number from 0 to 200",
    );
    await expect(liveAudit("http://127.0.0.1:9/", { healthPath: "https://other.example/health" })).rejects.toMatchObject({ code: "USAGE" });
  });
});

function slipway(cwd: string, ...args: string[]): Promise<CliResult> {
  return runCli(cwd, args);
}

describe("slipway audit --url", () => {
  const dir = tree({ "README.md": "# app\n" });

  it("a hardened service: no live findings, the live rules ran", async () => {
    const s = await serve(app());
    const r = await slipway(dir, "audit", "--url", `${s.origin}/`, "--burst", "20", "--health-slow", "30000", "-f", "json");
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout) as { rulesRun: string[]; findings: { rule: string }[] };
    expect(report.findings.filter((f) => f.rule.startsWith("SW8"))).toEqual([]);
    expect(report.rulesRun.filter((id) => id.startsWith("SW8"))).toHaveLength(LIVE_RULES.length - 3);
  });

  it("live findings are listed with the URL and line 0, and count for --fail-on", async () => {
    const s = await serve(app({ vary: () => ({ "access-control-allow-origin": "*", "access-control-allow-credentials": "true" }) }));
    const r = await slipway(dir, "audit", dir, "--url", `${s.origin}/`, "--burst", "0");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `Security\n  ${s.origin}/:0  SW8013 error  Access-Control-Allow-Origin: * together with Access-Control-Allow-Credentials: true\n`,
    );
  });

  it("an unreachable URL: SW8001, exit 1, no crash", async () => {
    const url = `http://127.0.0.1:${await freePort()}/`;
    const r = await slipway(dir, "audit", "--url", url, "-f", "json");
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { findings: { rule: string; file: string }[] }).findings).toMatchObject([
      { rule: "SW8001", file: url },
    ]);
  });

  it("SARIF with live findings validates against the SARIF 2.1.0 schema", async () => {
    const s = await serve(app({ headers: { "x-content-type-options": null } }));
    const r = await slipway(dir, "audit", "--url", `${s.origin}/`, "--burst", "0", "-f", "sarif");
    const validate = sarifValidator();
    type Location = { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string } } };
    const doc = JSON.parse(r.stdout) as { runs: { results: { ruleId: string; locations: Location[] }[] }[] };
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
    const live = doc.runs[0]?.results.filter((x) => x.ruleId.startsWith("SW8"));
    expect(live?.map((x) => x.ruleId)).toEqual(["SW8010"]);
    // the URL is an absolute artifact URI (no %SRCROOT% base): code scanning shows it as is
    expect(live?.[0]?.locations[0]?.physicalLocation.artifactLocation).toEqual({ uri: `${s.origin}/` });
  });

  it.each([
    [
      ["--url", "not-a-url"],
      "error: --url not-a-url: not a URL\nhint: pass an absolute http(s) URL, e.g. --url https://staging.example.com/\n",
    ],
    [
      ["--url", "ftp://x.example/"],
      "error: --url ftp://x.example/: only http and https URLs can be checked\nhint: pass an absolute http(s) URL, e.g. --url https://staging.example.com/\n",
    ],
    [
      ["--url", "http://127.0.0.1:9/", "--burst", "500"],
      "error: --burst 500: not a whole number from 0 to 200\nhint: the default is --burst 30\n",
    ],
    [
      ["--url", "http://127.0.0.1:9/", "--health-slow", "fast"],
      "error: --health-slow fast: not a whole number from 1 to 600000\nhint: the default is --health-slow 1000\n",
    ],
    [
      ["--burst", "10"],
      "error: --burst needs --url\nhint: add --url https://staging.example.com/ (the service to check), or drop --burst\n",
    ],
  ])("usage errors exit 2 with one line and a hint: %j", async (args, stderr) => {
    expect(await slipway(dir, "audit", ...args)).toEqual({ code: 2, stdout: "", stderr });
  });
});
