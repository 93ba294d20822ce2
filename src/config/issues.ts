/**
 * Turns zod issues into human problems: `is required`, `must be a positive
 * integer`, `unknown key, did you mean "replicas"?`, never raw zod text.
 * Field-specific wording lives on the schema (./fields.ts); this is the
 * fallback for everything else.
 */
import type { z } from "zod";
import type { Problem } from "./problem.js";
import { keysAt } from "./schema-walk.js";
import { closest } from "./suggest.js";

const EXPECTED: Record<string, string> = {
  object: "must be a mapping (key: value)",
  array: "must be a list",
  string: "must be a string",
  number: "must be a number",
  int: "must be a whole number",
  boolean: "must be true or false",
};

function oneOf(values: readonly unknown[]): string {
  const shown = values.map((value) => String(value));
  return shown.length === 1 ? `must be "${shown[0]}"` : `must be one of ${shown.join(", ")}`;
}

/** The error map passed to every parse: human wording for zod's generic issues. */
export const humanErrors: z.core.$ZodErrorMap = (issue) => {
  if (issue.input === undefined) return "is required";
  switch (issue.code) {
    case "invalid_type":
      return EXPECTED[issue.expected] ?? `must be a ${issue.expected}`;
    case "invalid_value":
      return oneOf(issue.values);
    case "too_small":
      if (issue.origin === "array") return `must have at least ${issue.minimum} item${issue.minimum === 1 ? "" : "s"}`;
      if (issue.origin === "string") return issue.minimum === 1 ? "must not be empty" : `must be at least ${issue.minimum} characters`;
      return issue.inclusive ? `must be at least ${issue.minimum}` : `must be more than ${issue.minimum}`;
    case "too_big":
      if (issue.origin === "array") return `must have at most ${issue.maximum} items`;
      if (issue.origin === "string") return `must be at most ${issue.maximum} characters`;
      return issue.inclusive ? `must be at most ${issue.maximum}` : `must be less than ${issue.maximum}`;
    case "unrecognized_keys":
      return "unknown key";
    default:
      return "is not valid here";
  }
};

/** True when a union option refused the input outright (wrong type or value), not one of its fields. */
function refused(errors: readonly z.core.$ZodIssue[]): boolean {
  return errors.some((e) => e.path.length === 0 && ["invalid_type", "invalid_value", "invalid_union"].includes(e.code));
}

/**
 * When a mapping fails a union (e.g. `url | {url, events}`) and only one
 * option takes mappings, that option's own problems, with full paths; so
 * `events[0]: must be one of ...` rather than the union's summary.
 */
function mappingOptionIssues(issue: z.core.$ZodIssueInvalidUnion): z.core.$ZodIssue[] | undefined {
  const inputNotMapping = issue.errors.some((errors) =>
    errors.some((e) => e.path.length === 0 && e.code === "invalid_type" && e.expected === "object"),
  );
  const taking = issue.errors.filter((errors) => !refused(errors));
  if (inputNotMapping || taking.length !== 1) return undefined;
  return (taking[0] ?? []).map((e) => ({ ...e, path: [...issue.path, ...e.path] }));
}

/**
 * One problem per zod issue, with an unknown-keys issue split into one
 * problem per key (with a did-you-mean from the keys `schema` allows there).
 */
export function problemsFromIssues(issues: readonly z.core.$ZodIssue[], schema: z.core.$ZodType): Problem[] {
  return issues.flatMap((issue): Problem[] => {
    const path = issue.path.filter((key): key is string | number => typeof key !== "symbol");
    const inner = issue.code === "invalid_union" ? mappingOptionIssues(issue) : undefined;
    if (inner) return problemsFromIssues(inner, schema);
    if (issue.code !== "unrecognized_keys") return [{ path, message: issue.message }];
    const known = keysAt(schema, path);
    return issue.keys.map((key) => {
      const suggestion = closest(key, known);
      return { path: [...path, key], message: suggestion ? `unknown key, did you mean "${suggestion}"?` : "unknown key" };
    });
  });
}
