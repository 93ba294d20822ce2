import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ignore, { type Ignore } from "ignore";

/** Directories never audited, whatever .gitignore says. */
export const ALWAYS_SKIPPED = new Set([".git", "node_modules"]);

interface Scope {
  /** Directory of the .gitignore, relative to the root ("" for the root), with a trailing "/" unless root. */
  base: string;
  rules: Ignore;
}

/**
 * Lists the regular files under `root` (relative, `/`-separated, sorted by walk order),
 * honouring every `.gitignore` on the way (nested ones apply to their own folder)
 * and always skipping `.git` and `node_modules`.
 *
 * @example
 * discoverFiles("/srv/app"); // ["Dockerfile", "src/server.ts", ...]
 */
export function discoverFiles(root: string): string[] {
  const out: string[] = [];
  walk(root, "", [], out);
  return out;
}

function walk(root: string, dirRel: string, scopes: Scope[], out: string[]): void {
  const abs = dirRel === "" ? root : join(root, dirRel);
  let entries;
  try {
    entries = readdirSync(abs, { withFileTypes: true });
  } catch {
    return; // an unreadable directory: nothing to list (files inside are not ours to guess)
  }
  const here = entries.some((e) => e.name === ".gitignore" && e.isFile()) ? loadScope(abs, dirRel) : undefined;
  const active = here ? [...scopes, here] : scopes;
  for (const entry of entries) {
    if (ALWAYS_SKIPPED.has(entry.name)) continue;
    const rel = dirRel === "" ? entry.name : `${dirRel}/${entry.name}`;
    const isDir = entry.isDirectory();
    if (!isDir && !entry.isFile()) continue;
    if (isIgnored(active, isDir ? `${rel}/` : rel)) continue;
    if (isDir) walk(root, rel, active, out);
    else out.push(rel);
  }
}

function loadScope(absDir: string, dirRel: string): Scope | undefined {
  try {
    return { base: dirRel === "" ? "" : `${dirRel}/`, rules: ignore().add(readFileSync(join(absDir, ".gitignore"), "utf8")) };
  } catch {
    return undefined;
  }
}

function isIgnored(scopes: Scope[], rel: string): boolean {
  for (const s of scopes) {
    if (s.rules.ignores(rel.slice(s.base.length))) return true;
  }
  return false;
}
