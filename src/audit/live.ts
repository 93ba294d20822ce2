import { systemClock } from "../clock.js";
import { SlipwayError } from "../errors.js";
import type { Finding } from "./types.js";
import { createLiveClient, isFailure, redirectTarget, type LiveClient, type LiveReply, type LiveResponse } from "./live-client.js";
import { gradeCors, gradeDisclosure, gradeSecurityHeaders, rateLimitHeader, type Problem } from "./live-headers.js";
import { checkHealth, HEALTH_PATHS } from "./live-health.js";
import type { RuleId } from "./rules.js";

/** Defaults of the live checks, reused by the CLI flags and docs/audit.md. */
export const DEFAULT_BURST = 30;
export const MAX_BURST = 200;
export const DEFAULT_HEALTH_SLOW_MS = 1000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
/** Upper bound of --health-slow and --request-timeout (ms). */
export const MAX_LIVE_MS = 600_000;
/** Same-host redirects followed from the URL before grading its headers. */
export const MAX_REDIRECTS = 3;
/** Burst requests in flight at once. */
export const BURST_CONCURRENCY = 10;
/** Sent in the CORS request: a server that echoes it back with credentials trusts every site. */
export const PROBE_ORIGIN = "https://evil.example";
/** Requests besides the burst: the URL and its redirects, the HTTP→HTTPS check, CORS, health. */
export const FIXED_REQUESTS = 1 + MAX_REDIRECTS + 1 + 1 + HEALTH_PATHS.length;

export interface LiveOptions {
  /** Health endpoint path (default: try HEALTH_PATHS in order). */
  healthPath?: string;
  /** A health answer slower than this is SW8004 (ms). */
  healthSlowMs?: number;
  /** Requests in the rate-limit burst, 0 to skip it (max MAX_BURST). */
  burst?: number;
  /** Per-request timeout (ms). */
  requestTimeoutMs?: number;
  /** Injected for tests (e.g. to serve an https:// URL from a local server); default global fetch. */
  fetch?: typeof fetch;
  /** Injected clock (ms). */
  now?: () => number;
}

/** What liveAudit hands to runAudit's `extra`: the rules that ran and their findings. */
export interface LiveResult {
  rules: RuleId[];
  findings: Finding[];
}

/**
 * Checks a running service at `url` (SW8xxx): reachability, health endpoint, security headers,
 * CORS, HTTPS redirect and HSTS, rate limiting, version disclosure. Contacts only the URL's host,
 * follows no redirect to another host, and sends at most FIXED_REQUESTS + burst requests, each
 * with a timeout. Findings carry the checked URL as `file` and line 0 (no line). An unreachable
 * service is the finding SW8001; bad input is a USAGE error.
 *
 * @example
 * const live = await liveAudit("https://staging.example.com/", { burst: 50 });
 * const report = runAudit(".", { extra: live });
 */
export async function liveAudit(url: string, options: LiveOptions = {}): Promise<LiveResult> {
  const target = parseLiveUrl(url);
  const burst = checkRange("--burst", options.burst ?? DEFAULT_BURST, 0, MAX_BURST);
  const slowMs = checkRange("--health-slow", options.healthSlowMs ?? DEFAULT_HEALTH_SLOW_MS, 1, MAX_LIVE_MS);
  const timeoutMs = checkRange("--request-timeout", options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 1, MAX_LIVE_MS);
  const healthPaths = options.healthPath === undefined ? HEALTH_PATHS : [checkPath(options.healthPath)];
  const client = createLiveClient({
    host: target.hostname,
    maxRequests: FIXED_REQUESTS + burst,
    timeoutMs,
    fetch: options.fetch ?? globalThis.fetch,
    now: options.now ?? (() => systemClock.now()),
  });

  const route = await client.route(target.href, MAX_REDIRECTS);
  const unreachable = route.filter(isFailure).map((r) => finding("SW8001", r.url, `cannot reach ${r.url}: ${r.error}`));
  const answered = route.filter((r): r is LiveResponse => !isFailure(r));
  // The last answer on the host is graded: the URL itself, or where its same-host redirects lead.
  const graded = answered.at(-1);
  if (!graded) return { rules: ["SW8001"], findings: unreachable };
  const first = route[0] ?? graded;
  const rules = new Set<RuleId>(["SW8001", "SW8002", "SW8003", "SW8004", "SW8005", "SW8006", "SW8009", "SW8010", "SW8011", "SW8012"]);
  const findings: Finding[] = [...unreachable];
  const add = (file: string, problems: Problem[]) => findings.push(...problems.map((p) => finding(p.rule, file, p.message)));

  const https = new URL(graded.url).protocol === "https:";
  if (https) rules.add("SW8007").add("SW8008");
  add(graded.url, gradeSecurityHeaders(graded.headers, https));
  rules.add("SW8016").add("SW8017");
  add(graded.url, dedupe(answered.flatMap((r) => gradeDisclosure(r.headers))));

  const redirect = await checkRedirect(client, target, first);
  if (redirect) {
    rules.add("SW8014");
    add(redirect.file, redirect.problems);
  }

  rules.add("SW8013");
  const cors = await client.get(graded.url, { headers: { origin: PROBE_ORIGIN } });
  if (!isFailure(cors)) add(graded.url, gradeCors(cors.headers, PROBE_ORIGIN));

  findings.push(...(await checkHealth(client, new URL(graded.url), healthPaths, slowMs)));

  if (burst > 0) {
    rules.add("SW8015");
    const seen = [...answered, cors].some((r) => !isFailure(r) && (r.status === 429 || rateLimitHeader(r.headers)));
    if (!seen) add(graded.url, await checkRateLimit(client, graded.url, burst));
  }
  return { rules: [...rules].sort(), findings };
}

/**
 * The `--url` value as a URL: absolute, http or https, without credentials.
 *
 * @example
 * parseLiveUrl("https://staging.example.com"); // URL { href: "https://staging.example.com/" }
 * parseLiveUrl("staging.example.com"); // throws SlipwayError USAGE
 */
export function parseLiveUrl(value: string): URL {
  const hint = "pass an absolute http(s) URL, e.g. --url https://staging.example.com/";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SlipwayError("USAGE", `--url ${value}: not a URL`, { hint });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new SlipwayError("USAGE", `--url ${value}: only http and https URLs can be checked`, { hint });
  if (url.username || url.password)
    throw new SlipwayError("USAGE", `--url ${value}: credentials in the URL are not supported`, { hint: "remove user:password@" });
  return url;
}

/**
 * A whole-number CLI option within [min, max], or a USAGE error naming the flag.
 *
 * @example
 * parseLiveNumber("--burst", "50", 0, MAX_BURST); // 50
 */
export function parseLiveNumber(flag: string, value: string, min: number, max: number): number {
  return checkRange(flag, /^\d+$/.test(value.trim()) ? Number(value) : NaN, min, max, value);
}

/** True for localhost, *.localhost, 127.0.0.0/8 and ::1: no TLS expected there. */
export function isLoopback(url: URL): boolean {
  const host = url.hostname.toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || /^127(\.\d{1,3}){3}$/.test(host) || host === "[::1]";
}

const DEFAULTS: Record<string, number> = {
  "--burst": DEFAULT_BURST,
  "--health-slow": DEFAULT_HEALTH_SLOW_MS,
  "--request-timeout": DEFAULT_REQUEST_TIMEOUT_MS,
};

function checkRange(flag: string, value: number, min: number, max: number, shown: string = String(value)): number {
  if (Number.isInteger(value) && value >= min && value <= max) return value;
  const fallback = DEFAULTS[flag];
  throw new SlipwayError("USAGE", `${flag} ${shown}: not a whole number from ${min} to ${max}`, {
    hint: fallback === undefined ? `e.g. ${flag} ${max}` : `the default is ${flag} ${fallback}`,
  });
}

function checkPath(path: string): string {
  if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(path))
    throw new SlipwayError("USAGE", `--health-path ${path}: a path on the --url host, not a URL`, { hint: "e.g. --health-path /health" });
  return path;
}

/**
 * SW8014, off loopback: an http:// URL must redirect to https:// on the same host; for an
 * https:// URL on the default port, http://host/ is tried too (refused is fine: no plain HTTP).
 * Undefined when the check does not apply (loopback, https on another port).
 */
async function checkRedirect(
  client: LiveClient,
  target: URL,
  first: LiveReply,
): Promise<{ file: string; problems: Problem[] } | undefined> {
  if (isLoopback(target)) return undefined;
  if (target.protocol === "http:") return { file: target.href, problems: redirectProblems(target, first) };
  if (target.port !== "") return undefined;
  const plain = new URL(target.href);
  plain.protocol = "http:";
  const reply = await client.get(plain.href);
  return { file: plain.href, problems: isFailure(reply) ? [] : redirectProblems(plain, reply) };
}

function redirectProblems(from: URL, reply: LiveReply | undefined): Problem[] {
  if (!reply || isFailure(reply)) return [];
  const to = redirectTarget(reply);
  if (!to) return [{ rule: "SW8014", message: `${from.href} answers ${reply.status} over plain HTTP instead of redirecting to https://` }];
  if (to.protocol !== "https:") return [{ rule: "SW8014", message: `${from.href} redirects to ${to.href}, not to https://` }];
  if (to.hostname !== from.hostname)
    return [{ rule: "SW8014", message: `${from.href} redirects to another host (${to.href}) instead of https://${from.host}/ first` }];
  return [];
}

/**
 * SW8015: `burst` GETs (BURST_CONCURRENCY at a time); stops at the first 429 or rate-limit header.
 */
async function checkRateLimit(client: LiveClient, url: string, burst: number): Promise<Problem[]> {
  let sent = 0;
  let answered = 0;
  while (sent < burst) {
    const wave = Math.min(BURST_CONCURRENCY, burst - sent);
    sent += wave;
    const replies = await Promise.all(Array.from({ length: wave }, () => client.get(url)));
    const ok = replies.filter((r): r is LiveResponse => !isFailure(r));
    answered += ok.length;
    if (ok.some((r) => r.status === 429 || rateLimitHeader(r.headers))) return [];
  }
  return [
    {
      rule: "SW8015",
      message: `${burst} requests in a burst (${answered} answered): no 429 and no RateLimit-*, X-RateLimit-* or Retry-After header`,
    },
  ];
}

function finding(rule: RuleId, file: string, message: string): Finding {
  return { rule, file, line: 0, message };
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(p.rule + p.message) && seen.add(p.rule + p.message));
}
