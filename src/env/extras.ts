/**
 * Variables that are set but not declared, yet look like they were meant to
 * be: a close spelling of a declared name (`DATABSE_URL`), or the same prefix
 * (`DATABASE_POOL` next to `DATABASE_URL`). Unrelated variables (PATH, HOME...)
 * are left alone.
 */
import { closest } from "../config/suggest.js";

/** Prefixes of variables set by Node, npm and Slipway itself; never reported. */
export const IGNORED_PREFIXES = ["SLIPWAY_", "NODE_", "npm_", "NPM_"] as const;

function prefixOf(name: string): string | undefined {
  const cut = name.indexOf("_");
  return cut > 0 ? name.slice(0, cut + 1) : undefined;
}

/**
 * One message per suspicious undeclared variable, sorted by name.
 *
 * @example
 * extraVars(["DATABASE_URL", "PORT"], ["DATABSE_URL", "DATABASE_POOL", "HOME"]);
 * // ["DATABASE_POOL: not in the schema", "DATABSE_URL: not in the schema, did you mean DATABASE_URL?"]
 */
export function extraVars(declared: readonly string[], present: Iterable<string>): string[] {
  const known = new Set(declared);
  const prefixes = new Set(declared.map(prefixOf).filter((p): p is string => p !== undefined && !isIgnored(p)));
  const messages: string[] = [];
  for (const name of [...new Set(present)].sort()) {
    if (known.has(name) || isIgnored(name)) continue;
    const match = closest(name, declared);
    if (match) messages.push(`${name}: not in the schema, did you mean ${match}?`);
    else if (prefixes.has(prefixOf(name) ?? "")) messages.push(`${name}: not in the schema`);
  }
  return messages;
}

function isIgnored(name: string): boolean {
  return IGNORED_PREFIXES.some((prefix) => name.startsWith(prefix));
}
