/**
 * A secret environment value: it prints as `[redacted]` everywhere a value
 * usually leaks (logs, JSON, `util.inspect`, template strings, string
 * concatenation) and gives its text only when asked with `reveal()`.
 */

/** What a secret shows instead of its value. */
export const REDACTED = "[redacted]";

/**
 * A string that hides itself. `toString`, `toJSON` and `util.inspect` all give
 * `[redacted]`; `reveal()` gives the value. It has no enumerable properties,
 * so spreading or `structuredClone` copies nothing either. Frozen.
 *
 * @example
 * const token = new Secret("s3cr3t");
 * `${token}`;            // "[redacted]"
 * JSON.stringify(token); // "\"[redacted]\""
 * console.log(token);    // [redacted]
 * fetch(url, { headers: { authorization: `Bearer ${token.reveal()}` } });
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    Object.freeze(this);
  }

  /**
   * The secret's text. Call it at the last moment, where the value is used.
   *
   * @example
   * new Secret("s3cr3t").reveal(); // "s3cr3t"
   */
  reveal(): string {
    return this.#value;
  }

  /**
   * `[redacted]`, also for template strings and `String(secret)`.
   *
   * @example
   * String(new Secret("s3cr3t")); // "[redacted]"
   */
  toString(): string {
    return REDACTED;
  }

  /**
   * `[redacted]`, so `JSON.stringify` never writes the value.
   *
   * @example
   * JSON.stringify({ token: new Secret("s3cr3t") }); // '{"token":"[redacted]"}'
   */
  toJSON(): string {
    return REDACTED;
  }

  /**
   * `[redacted]` for `console.log` and `util.inspect`.
   *
   * @example
   * util.inspect({ token: new Secret("s3cr3t") }); // "{ token: [redacted] }"
   */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return REDACTED;
  }
}
