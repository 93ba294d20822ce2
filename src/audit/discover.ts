import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ignore, { type Ignore } from "ignore";

/**
 * Directories never audited, whatever .gitignore says: state of tools (Slipway's own
 * `.slipway/`, whose release snapshots copy the project once per release; version control;
 * caches of Python, JavaScript frameworks and build tools) and installed dependencies.
 * Build outputs such as `dist/` are project content: they are audited unless .gitignore
 * excludes them.
 */
export const ALWAYS_SKIPPED = new Set([
  ".slipway",
  ".git",
  ".hg",
  ".svn",
  "node_modules",
  ".venv",
  "__pycache__",
  ".tox",
  ".nox",
  ".mypy_cache",
  ".pytest_cache",
  ".ruff_cache",
  ".next",
  ".nuxt",
  ".svelte-kit",
  ".turbo",
  ".parcel-cache",
  ".terraform",
  ".serverless",
  ".vercel",
  ".gradle",
]);

/** Directories skipped when they hold this marker file: a virtualenv not named .venv, Go's vendored modules. */
export const SKIPPED_WITH_MARKER: Readonly<Record<string, string>> = { venv: "pyvenv.cfg", env: "pyvenv.cfg", vendor: "modules.txt" };

interface Scope {
  /** Directory of the .gitignore, relative to the root ("" for the root), with a trailing "/" unless root. */
  base: string;
  rules: Ignore;
}

/**
 * Lists the regular files under `root` (relative, `/`-separated, sorted by walk order),
 * honouring every `.gitignore` on the way (nested ones apply to their own folder)
 * and always skipping tool state and dependencies (ALWAYS_SKIPPED, SKIPPED_WITH_MARKER).
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
    if (isDir && isToolDir(abs, entry.name)) continue;
    if (isIgnored(active, isDir ? `${rel}/` : rel)) continue;
    if (isDir) walk(root, rel, active, out);
    else out.push(rel);
  }
}

function isToolDir(absParent: string, name: string): boolean {
  const marker = SKIPPED_WITH_MARKER[name];
  return marker !== undefined && existsSync(join(absParent, name, marker));
}

/**
 * Whether `rel` (a file that may not exist; a folder when it ends with `/`) would be excluded by the `.gitignore` files on its
 * way from the root, or lies in an always-skipped directory.
 *
 * @example
 * isGitignored("/srv/app", "dist/server.js"); // true when .gitignore lists dist/
 */
export function isGitignored(root: string, rel: string): boolean {
  const folder = rel.endsWith("/");
  const parts = rel.replace(/\/+$/, "").split("/");
  const scopes: Scope[] = [];
  for (let i = 0; i < parts.length; i++) {
    const dirRel = parts.slice(0, i).join("/");
    const scope = loadScope(dirRel === "" ? root : join(root, dirRel), dirRel);
    if (scope) scopes.push(scope);
    const name = parts[i] ?? "";
    const here = parts.slice(0, i + 1).join("/");
    const last = i === parts.length - 1;
    if ((!last || folder) && ALWAYS_SKIPPED.has(name)) return true;
    if (isIgnored(scopes, last && !folder ? here : `${here}/`)) return true;
  }
  return false;
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
