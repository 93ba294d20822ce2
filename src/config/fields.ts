/**
 * Zod building blocks for slipway.yaml values: each accepts the friendly YAML
 * spelling, carries one human error message, and transforms to the normalized
 * value (ms, bytes, fractions, word lists, addresses).
 */
import { posix } from "node:path";
import { z } from "zod";
import { parseAddress } from "./address.js";
import { SHELL, shellArgv, splitCommand } from "./command.js";
import { DURATION_PATTERN, isDuration, isWithinDurationLimit, MAX_DURATION_MS, MAX_DURATION_TEXT, parseDuration } from "./duration.js";
import { parseSize, SIZE_PATTERN } from "./size.js";
import type { IntOrPercent } from "./types.js";

/** Human type names for the generated reference; kept out of the JSON Schema. */
export const fieldTypes = z.registry<{ type: string }>();

/** Labels a schema with a human type name for docs/config.md. */
export function typed<T extends z.ZodType>(schema: T, type: string): T {
  fieldTypes.add(schema, { type });
  return schema;
}

/**
 * Zod error params that replace zod's wording with `message`, except for a
 * missing value, which falls through to the generic "is required".
 */
export function says(message: string): { error: (issue: { input?: unknown }) => string | undefined } {
  return { error: (issue) => (issue.input === undefined ? undefined : message) };
}

const PERCENT = /^\d+(?:\.\d+)?%$/;

/** False only for a well-formed percentage above 100% (malformed input has its own message). */
function withinHundred(value: unknown): boolean {
  return typeof value !== "string" || !PERCENT.test(value) || parseFloat(value) <= 100;
}

/** `500ms`, `2s`, `1m30s` or an integer number of ms -> ms, at most MAX_DURATION_MS (Node's timer limit). */
export function duration() {
  const msg = says("must be a duration like 500ms, 2s or 5m");
  const tooLong = `must be at most ${MAX_DURATION_TEXT}: Node's timers cannot wait longer`;
  // The limit first (and alone): 99999999999999999999 is past it, whatever else is wrong with it.
  const whole = z.number(msg).max(MAX_DURATION_MS, { error: tooLong, abort: true }).int(msg).min(0, msg);
  const input = z.union([whole, z.string(msg).regex(new RegExp(DURATION_PATTERN), msg)], msg);
  const bounded = input.refine((value) => typeof value !== "string" || isWithinDurationLimit(durationMs(value)), tooLong);
  return typed(
    bounded.transform((value) => parseDuration(value)),
    "duration",
  );
}

/** A duration string in ms: Infinity past the limit (parseDuration refuses those), 0 when malformed (reported apart). */
function durationMs(text: string): number {
  if (!isDuration(text)) return 0;
  try {
    return parseDuration(text);
  } catch {
    return Infinity;
  }
}

/** `512KB`, `10MB` or an integer number of bytes -> bytes. */
export function size() {
  const msg = says("must be a size like 512KB or 10MB, or a number of bytes");
  const input = z.union([z.int(msg).min(1, msg), z.string(msg).regex(new RegExp(SIZE_PATTERN), msg)], msg);
  return typed(
    input.transform((value) => parseSize(value)),
    "size",
  );
}

/** `1%`, `0.5%` or a number of percent (1 means 1%) -> a fraction (0.01). */
export function percent() {
  const msg = says("must be a percentage like 1% or 0.5%");
  const range = says("must be between 0% and 100%");
  const input = z.union([z.number(msg).min(0, range).max(100, range), z.string(msg).regex(PERCENT, msg)], msg);
  const checked = input.refine(withinHundred, range);
  return typed(
    checked.transform((value) => (typeof value === "number" ? value : parseFloat(value)) / 100),
    "percent",
  );
}

/** A whole count (`1`) or a percentage (`25%`) -> `{ count }` or `{ percent }` (25 for 25%). */
export function intOrPercent() {
  const msg = says("must be a whole number or a percentage like 25%");
  const range = says("must be between 0% and 100%");
  const input = z.union([z.int(msg).min(0, msg), z.string(msg).regex(PERCENT, msg)], msg);
  const checked = input.refine(withinHundred, range);
  const normalized = checked.transform((value): IntOrPercent =>
    typeof value === "number" ? { count: value } : { percent: parseFloat(value) },
  );
  return typed(normalized, "integer or percent");
}

/** `host:port`, `:port` or a port number -> `{ host, port }`. */
export function address() {
  const msg = says("must be an address like 127.0.0.1:8080, :8080 or 8080");
  return typed(
    z.union([z.int(msg), z.string(msg)], msg).transform((value, ctx) => {
      try {
        return parseAddress(value);
      } catch (error) {
        const badPort = error instanceof RangeError && error.message.includes("port must be");
        const message = badPort ? "must have a port between 0 and 65535" : (msg.error({ input: value }) ?? "");
        ctx.issues.push({ code: "custom", message, input: value });
        return z.NEVER;
      }
    }),
    "address",
  );
}

/** Whether every quote of a shell line is closed (the shell would fail on it at every start). */
function quotesClosed(line: string): boolean {
  try {
    splitCommand(line);
    return true;
  } catch {
    return false;
  }
}

/** A string or a non-empty list of strings, with `message` when it is neither. */
function commandInput(message: string) {
  const msg = says(message);
  return z.union([z.string(msg), z.array(z.string(says("must be a string"))).min(1, says("must not be empty"))], msg);
}

/** A list of words or one string split shell-style (no shell is run) -> words. */
export function command() {
  return typed(
    commandInput("must be a command: a string or a list of strings").transform((value, ctx) => {
      try {
        const words = typeof value === "string" ? splitCommand(value) : value;
        if (words.length === 0) ctx.issues.push({ code: "custom", message: "must not be empty", input: value });
        checkWords(words, ctx, value);
        return words;
      } catch {
        ctx.issues.push({ code: "custom", message: "has an unterminated quote", input: value });
        return z.NEVER;
      }
    }),
    "command",
  );
}

/** A string (checked not blank and, with `quotes`, its quotes closed) or a list of strings, each turned into the value by its own function. */
/** An empty word in a command list (`["", "server.js"]`) is a mistake: nothing runs as "". */
function checkWords(words: readonly string[], ctx: z.core.$RefinementCtx<string | string[]>, value: string | string[]): void {
  const empty = words.findIndex((word) => word.trim() === "");
  if (empty >= 0)
    ctx.issues.push({
      code: "custom",
      message: `has an empty word (word ${empty + 1}): remove it or write what it should be`,
      input: value,
    });
}

function stringOrList<T>(type: string, string: (line: string) => T, list: (words: string[]) => T, quotes = false) {
  return typed(
    commandInput("must be a command: a string (run with sh -c) or a list of strings").transform((value, ctx) => {
      if (typeof value !== "string") {
        checkWords(value, ctx, value);
        return list(value);
      }
      if (value.trim() === "") ctx.issues.push({ code: "custom", message: "must not be empty", input: value });
      else if (quotes && !quotesClosed(value)) ctx.issues.push({ code: "custom", message: "has an unterminated quote", input: value });
      return string(value);
    }),
    type,
  );
}

/**
 * A string run by the shell (`sh -c`, so pipes, `&&` and `$VARS` work) or a
 * list of words run without one -> argv.
 */
export function shellCommand() {
  return stringOrList(
    "shell command",
    (line) => [...SHELL, line],
    (words) => words,
  );
}

/**
 * `app.command`: a string run by `sh -c` (Procfile semantics; `exec` added
 * before one simple command, see `shellArgv`) or a list of words run without
 * a shell, whose `$PORT`-style references are expanded at spawn -> argv and form.
 */
export function appCommand() {
  return stringOrList<{ argv: string[]; form: "shell" | "words" }>(
    "command",
    (line) => ({ argv: shellArgv(line), form: "shell" }),
    (words) => ({ argv: words, form: "words" }),
    true,
  );
}

/** An integer >= 1. */
export function positiveInt() {
  const msg = says("must be a positive integer");
  return z.int(msg).min(1, msg);
}

/** An integer >= 0. */
export function wholeNumber() {
  const msg = says("must be a whole number (0 or more)");
  return z.int(msg).min(0, msg);
}

/** A TCP port, 1-65535. */
export function port() {
  const msg = says("must be a port number between 1 and 65535");
  return z.int(msg).min(1, msg).max(65535, msg);
}

/** An URL path such as `/health`. */
export function urlPath() {
  const msg = says('must be a path starting with "/"');
  return z.string(msg).regex(/^\//, msg);
}

/** An absolute http(s) URL. */
export function httpUrl() {
  const msg = says("must be an http:// or https:// URL");
  return z.string(msg).regex(/^https?:\/\/\S+$/, msg);
}

/**
 * A refinement for objects that must set exactly one of `keys`. It runs even
 * when sibling fields have problems, so every problem is reported at once.
 */
export function exactlyOne(keys: readonly string[]) {
  const list = keys.length > 1 ? `${keys.slice(0, -1).join(", ")} or ${keys.at(-1)}` : (keys[0] ?? "");
  const refinement = (value: unknown, ctx: z.RefinementCtx<unknown>): void => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return;
    const found = keys.filter((key) => (value as Record<string, unknown>)[key] !== undefined);
    if (found.length === 1) return;
    const message =
      found.length === 0
        ? `must have one of ${list}`
        : `must have only one of ${list} (found ${found.slice(0, -1).join(", ")} and ${found.at(-1)})`;
    ctx.addIssue({ code: "custom", message, input: value });
  };
  return [refinement, { when: () => true }] as const;
}

/**
 * `app.shared`: paths relative to app.cwd -> normalized relative paths
 * (`./data/` -> `data`). Absolute paths, `..`, the app directory itself,
 * `.slipway` and duplicates or paths nested in one another are refused.
 */
export function sharedPaths() {
  const list = says("must be a list of paths relative to app.cwd, like [data, uploads]");
  return typed(
    z.array(z.string(list), list).transform((paths, ctx) => {
      const seen: string[] = [];
      for (const raw of paths) {
        const path = normalizeSharedPath(raw);
        const problem = sharedPathProblem(raw, path);
        if (problem !== null) {
          ctx.issues.push({ code: "custom", message: `${JSON.stringify(raw)} ${problem}`, input: raw });
          continue;
        }
        const clash = seen.find((other) => other === path || path.startsWith(`${other}/`) || other.startsWith(`${path}/`));
        if (clash !== undefined) {
          ctx.issues.push({
            code: "custom",
            message: `${JSON.stringify(raw)} overlaps ${JSON.stringify(clash)}: list each shared path once, not one inside another`,
            input: raw,
          });
          continue;
        }
        seen.push(path);
      }
      return seen;
    }),
    "shared paths",
  );
}

/** `./data/` -> `data`, `a\\b` -> `a/b`. */
function normalizeSharedPath(raw: string): string {
  return posix.normalize(raw.replaceAll("\\", "/")).replace(/\/+$/, "");
}

function sharedPathProblem(raw: string, path: string): string | null {
  if (raw.trim() === "") return "must not be empty";
  if (posix.isAbsolute(path) || /^[A-Za-z]:/.test(raw)) return "must be relative to app.cwd, like data";
  if (path === "." || path === "") return "is the app directory itself: name the directory or file that holds the data, like data";
  if (path === ".." || path.startsWith("../")) return "leaves app.cwd: shared paths must be inside the app directory";
  if (path === ".slipway" || path.startsWith(".slipway/")) return "is Slipway's own state directory";
  if (/[*?[\]{}]/.test(path)) return "is a pattern: list each shared file or directory by its name, like data";
  return null;
}
