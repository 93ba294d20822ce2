/**
 * Figures in analysis reasons: percentages and milliseconds, printed with as
 * few decimals as still tell a measured value from its limit.
 */

const MAX_DECIMALS = 4;

/** `value` with `decimals` decimals, trailing zeros dropped: 4.20 → "4.2", 1.0 → "1". */
function fixed(value: number, decimals: number): string {
  const s = value.toFixed(decimals);
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/**
 * Two numbers printed with the fewest decimals (from `min`) that keep
 * unequal values looking unequal, so a reason never reads "1% > 1%".
 */
function pair(a: number, b: number, min: number): [string, string] {
  for (let d = min; d < MAX_DECIMALS; d++) {
    const x = fixed(a, d);
    const y = fixed(b, d);
    if (x !== y || a === b) return [x, y];
  }
  return [fixed(a, MAX_DECIMALS), fixed(b, MAX_DECIMALS)];
}

/**
 * A fraction as a percentage number, no sign: 0.042 → "4.2", 0.01 → "1".
 *
 * @example
 * percent(0.0125); // "1.3"
 */
export function percent(fraction: number): string {
  return fixed(fraction * 100, 1);
}

/**
 * Two fractions as percentage numbers, distinct when the values are.
 *
 * @example
 * percents(0.01004, 0.01); // ["1.004", "1"]
 */
export function percents(a: number, b: number): [string, string] {
  return pair(a * 100, b * 100, 1);
}

/**
 * Two latencies in ms, whole above 10 ms, distinct when the values are.
 *
 * @example
 * millis(812.4, 500); // ["812", "500"]
 * millis(2.345, 5); // ["2.3", "5"]
 */
export function millis(a: number, b: number): [string, string] {
  const smallest = Math.min(a, b);
  return pair(a, b, smallest >= 10 ? 0 : smallest >= 1 ? 1 : 2);
}
