/**
 * Grading of response headers for the live checks (`slipway audit --url`), after the Mozilla
 * HTTP Observatory's tests. Pure functions over a Headers object: no network here.
 */
import type { RuleId } from "./rules.js";

/** A live finding before it is given a file (the URL) and a line. */
export interface Problem {
  rule: RuleId;
  message: string;
}

/** What the grading needs of a response's headers (a fetch `Headers` fits). */
export interface HeaderView {
  get(name: string): string | null;
}

/** HSTS max-age below this (180 days, as the Observatory counts six months) is SW8008. */
export const HSTS_MIN_MAX_AGE = 15_552_000;

/** Sources that let any script run when they appear in script-src (or default-src). */
const UNSAFE_SCRIPT_SOURCES = ["'unsafe-inline'", "'unsafe-eval'", "data:", "*", "http:", "https:"];
/** frame-ancestors sources that allow any site to frame the page. */
const BROAD_SOURCES = ["*", "http:", "https:", "http://*", "https://*"];
const NONCE_OR_HASH = /^'(nonce|sha256|sha384|sha512)-/;
const SAFE_REFERRER = ["no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"];
const UNSAFE_REFERRER = ["origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade"];
/** Headers that name the software behind a service. */
const DISCLOSING = ["server", "x-powered-by", "x-aspnet-version", "x-aspnetmvc-version", "x-generator"];
const VERSION = /\d+\.\d+|\/v?\d/;

/**
 * Grades the security headers of one response: CSP (SW8005, SW8006), HSTS when `https`
 * (SW8007, SW8008), framing (SW8009), X-Content-Type-Options (SW8010) and Referrer-Policy
 * (SW8011, SW8012).
 *
 * @example
 * gradeSecurityHeaders(new Headers({ "x-content-type-options": "nosniff" }), false).map((p) => p.rule);
 * // ["SW8005", "SW8009", "SW8011"]
 */
export function gradeSecurityHeaders(headers: HeaderView, https: boolean): Problem[] {
  const policies = parseCsp(headers.get("content-security-policy"));
  return [
    ...gradeCsp(policies, headers.get("content-security-policy-report-only") !== null),
    ...(https ? gradeHsts(headers.get("strict-transport-security")) : []),
    ...gradeFraming(policies, headers.get("x-frame-options")),
    ...gradeNosniff(headers.get("x-content-type-options")),
    ...gradeReferrer(headers.get("referrer-policy")),
  ];
}

/**
 * SW8013: the answer to a request sent with `Origin: origin` allows credentials for any origin
 * (`*`, or `origin` reflected).
 *
 * @example
 * gradeCors(new Headers({ "access-control-allow-origin": "*", "access-control-allow-credentials": "true" }), "https://evil.example");
 * // [{ rule: "SW8013", message: "Access-Control-Allow-Origin: * together with Access-Control-Allow-Credentials: true" }]
 */
export function gradeCors(headers: HeaderView, origin: string): Problem[] {
  const allowed = headers.get("access-control-allow-origin")?.trim();
  if (headers.get("access-control-allow-credentials")?.trim().toLowerCase() !== "true") return [];
  if (allowed === "*")
    return [{ rule: "SW8013", message: "Access-Control-Allow-Origin: * together with Access-Control-Allow-Credentials: true" }];
  if (allowed === origin)
    return [{ rule: "SW8013", message: `reflects any Origin (sent ${origin}) with Access-Control-Allow-Credentials: true` }];
  return [];
}

/**
 * SW8016 for each header naming a software version (`Server: nginx/1.25.3`, `X-Powered-By: PHP/8.2`,
 * `X-AspNet-Version`), SW8017 for an `X-Powered-By` without one. `Server: nginx` alone is fine.
 *
 * @example
 * gradeDisclosure(new Headers({ server: "nginx/1.25.3", "x-powered-by": "Express" })).map((p) => p.rule); // ["SW8016", "SW8017"]
 */
export function gradeDisclosure(headers: HeaderView): Problem[] {
  const problems: Problem[] = [];
  for (const name of DISCLOSING) {
    const value = headers.get(name);
    if (value === null) continue;
    const shown = `${canonical(name)}: ${clip(value)}`;
    if (VERSION.test(value) || name.startsWith("x-aspnet")) problems.push({ rule: "SW8016", message: `${shown} names a version` });
    else if (name === "x-powered-by") problems.push({ rule: "SW8017", message: `${shown} names the framework` });
  }
  return problems;
}

/**
 * The first rate-limit header of a response (`RateLimit-*`, `RateLimit`, `X-RateLimit-*`,
 * `X-Rate-Limit-*`, `Retry-After`), or undefined.
 *
 * @example
 * rateLimitHeader(new Headers({ "ratelimit-remaining": "9" })); // "ratelimit-remaining"
 */
export function rateLimitHeader(headers: Iterable<[string, string]>): string | undefined {
  for (const [name] of headers) if (/^(x-)?rate-?limit|^retry-after$/i.test(name)) return name.toLowerCase();
  return undefined;
}

type Policy = Map<string, string[]>;

/** Enforced policies of a Content-Security-Policy value (several headers arrive joined by commas). */
function parseCsp(value: string | null): Policy[] {
  if (value === null) return [];
  return value
    .split(",")
    .map((text) => {
      const policy: Policy = new Map();
      for (const directive of text.split(";")) {
        const [name, ...sources] = directive.trim().split(/\s+/);
        if (name && !policy.has(name.toLowerCase()))
          policy.set(
            name.toLowerCase(),
            sources.map((s) => s.toLowerCase()),
          );
      }
      return policy;
    })
    .filter((p) => p.size > 0);
}

function gradeCsp(policies: Policy[], reportOnly: boolean): Problem[] {
  if (policies.length === 0) {
    const message = reportOnly
      ? "only Content-Security-Policy-Report-Only is sent: nothing is enforced"
      : "no Content-Security-Policy header";
    return [{ rule: "SW8005", message }];
  }
  const restricting = policies.map((p) => p.get("script-src") ?? p.get("default-src")).filter((s) => s !== undefined);
  if (restricting.length === 0) return [{ rule: "SW8006", message: "the CSP does not restrict scripts (no script-src or default-src)" }];
  // A script runs only if every policy allows it: report what all restricting policies allow.
  const unsafe = UNSAFE_SCRIPT_SOURCES.filter((token) => restricting.every((sources) => unsafeSources(sources).includes(token)));
  if (unsafe.length === 0) return [];
  return [{ rule: "SW8006", message: `the CSP allows ${unsafe.join(", ")} for scripts` }];
}

/** The unsafe sources that take effect: a nonce or hash disables 'unsafe-inline'; 'strict-dynamic' also hosts and schemes. */
function unsafeSources(sources: string[]): string[] {
  const keyed = sources.some((s) => NONCE_OR_HASH.test(s));
  const dynamic = keyed && sources.includes("'strict-dynamic'");
  return sources.filter((s) => {
    if (!UNSAFE_SCRIPT_SOURCES.includes(s)) return false;
    if (s === "'unsafe-inline'") return !keyed;
    return s === "'unsafe-eval'" || !dynamic;
  });
}

function gradeHsts(value: string | null): Problem[] {
  if (value === null) return [{ rule: "SW8007", message: "no Strict-Transport-Security header" }];
  const shown = `Strict-Transport-Security: ${clip(value)}`;
  if (value.includes(",")) return [{ rule: "SW8007", message: `${shown} is sent more than once` }];
  const maxAge = /(?:^|;)\s*max-age\s*=\s*"?(\d+)"?\s*(?:;|$)/i.exec(value)?.[1];
  if (maxAge === undefined) return [{ rule: "SW8007", message: `${shown} has no valid max-age` }];
  const seconds = Number(maxAge);
  if (seconds === 0) return [{ rule: "SW8007", message: `${shown}: max-age=0 turns HSTS off` }];
  if (seconds < HSTS_MIN_MAX_AGE) return [{ rule: "SW8008", message: `${shown}: max-age below ${HSTS_MIN_MAX_AGE} (180 days)` }];
  return [];
}

function gradeFraming(policies: Policy[], xfo: string | null): Problem[] {
  const ancestors = policies.map((p) => p.get("frame-ancestors")).filter((s) => s !== undefined);
  if (ancestors.some((sources) => sources.length > 0 && !sources.some((s) => BROAD_SOURCES.includes(s)))) return [];
  const value = xfo?.trim().toLowerCase();
  if (value === "deny" || value === "sameorigin") return [];
  const message =
    xfo === null
      ? "neither X-Frame-Options nor a CSP frame-ancestors directive"
      : value?.startsWith("allow-from")
        ? `X-Frame-Options: ${clip(xfo)}: ALLOW-FROM is ignored by current browsers`
        : `X-Frame-Options: ${clip(xfo)} is not DENY or SAMEORIGIN`;
  return [{ rule: "SW8009", message }];
}

function gradeNosniff(value: string | null): Problem[] {
  if (value?.trim().toLowerCase() === "nosniff") return [];
  const message = value === null ? "no X-Content-Type-Options header" : `X-Content-Type-Options: ${clip(value)} is not nosniff`;
  return [{ rule: "SW8010", message }];
}

function gradeReferrer(value: string | null): Problem[] {
  if (value === null) return [{ rule: "SW8011", message: "no Referrer-Policy header" }];
  // Browsers use the last policy they understand.
  const policy = value
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => SAFE_REFERRER.includes(s) || UNSAFE_REFERRER.includes(s))
    .at(-1);
  if (policy === undefined) return [{ rule: "SW8011", message: `Referrer-Policy: ${clip(value)} is not a valid policy (ignored)` }];
  if (UNSAFE_REFERRER.includes(policy)) return [{ rule: "SW8012", message: `Referrer-Policy: ${policy}` }];
  return [];
}

/** `x-powered-by` → `X-Powered-By`. */
function canonical(name: string): string {
  return name
    .replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase())
    .replace("Aspnetmvc", "AspNetMvc")
    .replace("Aspnet", "AspNet");
}

/** A header value shortened for a message (headers are attacker-sized). */
function clip(value: string): string {
  const v = value.trim();
  return v.length > 100 ? `${v.slice(0, 100)}…` : v;
}
