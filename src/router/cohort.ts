/**
 * Sticky cohorts: each client carries a cookie whose value is its bucket, a
 * number in [0, COHORT_BUCKETS). The router routes a bucket to a group by
 * weight ranges (`cohortRanges` in `balancer.ts`), so a client stays on the
 * side it first landed on, and a canary listed first keeps its clients as its
 * weight grows. Buckets are not secrets: a client that edits its cookie only
 * picks its own side, as the route header already allows.
 */

/** Buckets a cohort falls into: `[0, COHORT_BUCKETS)`; one bucket is 0.01 % of clients. */
export const COHORT_BUCKETS = 10_000;

/** The cookie the daemon uses for canary stickiness. */
export const DEFAULT_COHORT_COOKIE = "slipway_cohort";

/** Lifetime of the cohort cookie: 30 days. */
export const COHORT_MAX_AGE_S = 2_592_000;

const COOKIE_ATTRIBUTES = `; Path=/; Max-Age=${COHORT_MAX_AGE_S}; HttpOnly; SameSite=Lax`;

/** An RFC 9110 token: valid as a header name and as a cookie name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * True if `name` can be used as a header or cookie name.
 *
 * @example
 * isToken("slipway_cohort"); // true
 * isToken("a b"); // false
 */
export function isToken(name: string): boolean {
  return TOKEN.test(name);
}

/**
 * The bucket in a `Cookie` header value for cookie `name`, or -1 when it is
 * absent or not a bucket (1 to 4 digits, no leading zero). The first valid
 * occurrence wins.
 *
 * @example
 * cohortFromCookie("theme=dark; slipway_cohort=42", "slipway_cohort"); // 42
 * cohortFromCookie("slipway_cohort=abc", "slipway_cohort"); // -1
 */
export function cohortFromCookie(header: string, name: string): number {
  let from = 0;
  for (;;) {
    const at = header.indexOf(name, from);
    if (at < 0) return -1;
    from = at + 1;
    const eq = at + name.length;
    if (header.charCodeAt(eq) !== 61 /* = */) continue;
    if (at > 0) {
      const before = header.charCodeAt(at - 1);
      if (before !== 59 /* ; */ && before !== 32 /* space */ && before !== 9 /* tab */) continue;
    }
    const bucket = parseBucket(header, eq + 1);
    if (bucket >= 0) return bucket;
  }
}

/** Decimal digits from `start`, then optional whitespace up to `;` or the end; -1 unless 0..9999 without leading zero. */
function parseBucket(s: string, start: number): number {
  let value = 0;
  let i = start;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    if (i - start === 4 || (value === 0 && i > start)) return -1;
    value = value * 10 + (c - 48);
  }
  if (i === start) return -1;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 59 /* ; */) break;
    if (c !== 32 && c !== 9) return -1;
  }
  return value;
}

/**
 * A fresh random bucket for a client without a cohort (not a secret: it
 * only decides which side the client sees).
 *
 * @example
 * const bucket = randomBucket(); // 0 <= bucket < 10000
 */
export function randomBucket(): number {
  return Math.floor(Math.random() * COHORT_BUCKETS);
}

/**
 * The `Set-Cookie` value that gives a client its cohort.
 *
 * @example
 * cohortSetCookie("slipway_cohort", 42);
 * // "slipway_cohort=42; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax"
 */
export function cohortSetCookie(name: string, bucket: number): string {
  return `${name}=${bucket}${COOKIE_ATTRIBUTES}`;
}

/**
 * Gives a request without a valid cohort a fresh random one (written to
 * `head.cohort`); returns the `Set-Cookie` value to answer with.
 *
 * @example
 * if (ctx.stickyCookie !== null && head.cohort < 0) setCookie = newCohort(head, ctx.stickyCookie);
 */
export function newCohort(head: { cohort: number }, name: string): string {
  const bucket = randomBucket();
  head.cohort = bucket;
  return cohortSetCookie(name, bucket);
}
