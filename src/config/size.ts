/**
 * Byte sizes in slipway.yaml: `512KB`, `10MB`, `1GB` (binary units, so 1KB is
 * 1024 bytes; `KiB`/`K` spellings are accepted too) or a plain number of bytes.
 */

const UNIT_BYTES: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Source of the size grammar, shared with the JSON Schema `pattern`. */
export const SIZE_PATTERN = "^(\\d+(?:\\.\\d+)?)\\s*([bB]|[kKmMgG](?:[iI]?[bB])?)?$";

const SIZE = new RegExp(SIZE_PATTERN);

/**
 * Parses a size into bytes. Throws a RangeError with a readable message on
 * bad input.
 *
 * @example
 * parseSize("10MB"); // 10485760
 * parseSize("512KB"); // 524288
 * parseSize(4096);    // 4096
 */
export function parseSize(input: string | number): number {
  if (typeof input === "number") {
    if (Number.isInteger(input) && input >= 0) return input;
    throw new RangeError(`invalid size ${input}: a plain number must be a whole number of bytes`);
  }
  const match = SIZE.exec(input.trim());
  if (!match) {
    throw new RangeError(`invalid size "${input}": expected a number of bytes or a size like 512KB or 10MB`);
  }
  const unit = (match[2] ?? "b").charAt(0).toLowerCase();
  return Math.round(Number(match[1]) * (UNIT_BYTES[unit] ?? 1));
}
