/**
 * The error of an environment that does not match its schema: every problem
 * at once, plus the warnings, printed the way the slipway CLI prints errors.
 */
import { SlipwayError } from "../errors.js";

/** The hint printed under an invalid environment at app startup. */
export const ENV_HINT = "set them in the environment or in .env; npx slipway env example writes a .env.example listing every variable";

/**
 * How an `EnvError` names what was checked and what to do.
 *
 * @example
 * new EnvError(problems, [], { subject: "the release environment", context: "checked against env.js" });
 */
export interface EnvErrorOptions {
  subject?: string;
  context?: string;
  hint?: string;
}

/**
 * An environment with problems (code `CONFIG_INVALID`, exit 2 in the CLI).
 * `details` holds the problems, then the warnings prefixed with `warning: `.
 *
 * @example
 * try {
 *   defineEnv(schema, { onError: "throw" });
 * } catch (error) {
 *   if (error instanceof EnvError) console.error(error.problems.join("\n"));
 * }
 */
export class EnvError extends SlipwayError {
  /** One line per problem, e.g. `PORT: "abc" is not a port (1-65535)`. */
  readonly problems: readonly string[];
  /** One line per suspicious undeclared variable, e.g. `DATABSE_URL: not in the schema, did you mean DATABASE_URL?`. */
  readonly warnings: readonly string[];

  /**
   * `options.subject` names what was checked ("the environment" by default),
   * `options.context` is added in parentheses, `options.hint` replaces the default hint.
   */
  constructor(problems: readonly string[], warnings: readonly string[] = [], options: EnvErrorOptions = {}) {
    const count = `${problems.length} problem${problems.length === 1 ? "" : "s"}`;
    const context = options.context ? ` (${options.context})` : "";
    super("CONFIG_INVALID", `${options.subject ?? "the environment"} has ${count}${context}`, {
      details: [...problems, ...warnings.map((warning) => `warning: ${warning}`)],
      hint: options.hint ?? ENV_HINT,
    });
    this.name = "EnvError";
    this.problems = Object.freeze([...problems]);
    this.warnings = Object.freeze([...warnings]);
  }

  /**
   * The error as the CLI prints it: `error:` line, indented details, `hint:` line.
   *
   * @example
   * process.stderr.write(error.format());
   * // error: the environment has 1 problem
   * //   PORT: "abc" is not a port (1-65535)
   * // hint: set them in the environment or in .env; ...
   */
  format(): string {
    const lines = [`error: ${this.message}`, ...this.details.map((line) => `  ${line}`)];
    if (this.hint) lines.push(`hint: ${this.hint}`);
    return `${lines.join("\n")}\n`;
  }
}
