/**
 * Durations in slipway.yaml: `500ms`, `2s`, `5m`, `1h`, compounds like
 * `1m30s`, or a plain integer meaning milliseconds. Everything downstream of
 * the config works in milliseconds.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/**
 * The longest duration Slipway accepts: 2^31-1 ms (about 24.8 days), Node's
 * timer limit. A longer `setTimeout` fires after 1 ms instead, so a
 * `shutdown.timeout: 700h` would SIGKILL at once: such values are refused.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** How the limit reads in messages. */
export const MAX_DURATION_TEXT = `${MAX_DURATION_MS}ms (about 24.8 days, ${formatDuration(MAX_DURATION_MS)})`;

/** Source of the duration grammar, shared with the JSON Schema `pattern`. */
export const DURATION_PATTERN = "^(?:\\d+(?:\\.\\d+)?(?:ms|h|m|s))+$|^\\d+$";

const PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const WHOLE = new RegExp(DURATION_PATTERN);

/** True when `text` is a valid duration string (see {@link parseDuration}). */
export function isDuration(text: string): boolean {
  return WHOLE.test(text.trim());
}

/**
 * Parses a duration into milliseconds (rounded to a whole millisecond).
 * Throws a RangeError with a readable message on bad input, and on a
 * duration above {@link MAX_DURATION_MS}.
 *
 * @example
 * parseDuration("1m30s"); // 90000
 * parseDuration("250ms"); // 250
 * parseDuration(1500);    // 1500
 */
export function parseDuration(input: string | number): number {
  if (typeof input === "number") {
    if (Number.isInteger(input) && input >= 0) return withinLimit(input, String(input));
    throw new RangeError(`invalid duration ${input}: a plain number must be a whole, non-negative number of milliseconds`);
  }
  const text = input.trim();
  if (!isDuration(text)) {
    throw new RangeError(`invalid duration "${input}": expected a number with a unit, like 500ms, 2s, 5m, 1h or 1m30s`);
  }
  if (/^\d+$/.test(text)) return withinLimit(Number(text), `"${input}"`);
  return withinLimit(sumParts(text, PART, UNIT_MS), `"${input}"`);
}

/** Units of a span: the duration's and d (24 h), w (7 d). */
const SPAN_UNIT_MS = { ...UNIT_MS, d: 86_400_000, w: 604_800_000 } as const;
const SPAN = /^(?:\d+(?:\.\d+)?(?:ms|h|m|s|d|w))+$/;
const SPAN_PART = /(\d+(?:\.\d+)?)(ms|h|m|s|d|w)/g;

/**
 * A length of time that nothing waits for (a stats period, `--since 30d`;
 * a failure window): the duration grammar with d (24 h) and w (7 days) too,
 * a unit always written, no timer limit. Undefined when `text` is not one.
 *
 * @example
 * parseSpan("30d");   // 2592000000
 * parseSpan("1w12h"); // 648000000
 * parseSpan("30");    // undefined
 */
export function parseSpan(text: string): number | undefined {
  const t = text.trim();
  if (!SPAN.test(t)) return undefined;
  const ms = sumParts(t, SPAN_PART, SPAN_UNIT_MS);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** The sum, rounded to a whole ms, of the amount × unit parts `part` finds in `text`. */
function sumParts(text: string, part: RegExp, units: Readonly<Record<string, number>>): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(part)) total += Number(amount) * units[unit!]!;
  return Math.round(total);
}

/** True when `ms` fits Node's timers (see {@link MAX_DURATION_MS}). */
export function isWithinDurationLimit(ms: number): boolean {
  return Number.isFinite(ms) && ms <= MAX_DURATION_MS;
}

function withinLimit(ms: number, shown: string): number {
  if (isWithinDurationLimit(ms)) return ms;
  throw new RangeError(`duration ${shown} is too long: at most ${MAX_DURATION_TEXT}`);
}

/**
 * Formats milliseconds as the shortest duration string that parses back to
 * the same value.
 *
 * @example
 * formatDuration(90_000); // "1m30s"
 * formatDuration(250);    // "250ms"
 * formatDuration(0);      // "0s"
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = Math.round(ms);
  let out = "";
  for (const unit of ["h", "m", "s", "ms"] as const) {
    const amount = Math.floor(rest / UNIT_MS[unit]);
    if (amount > 0) out += `${amount}${unit}`;
    rest -= amount * UNIT_MS[unit];
  }
  return out;
}
