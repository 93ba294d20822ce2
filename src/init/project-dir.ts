import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** Directories never scanned for source files. */
const SKIPPED_DIRS = new Set([
  ".git",
  "node_modules",
  "dist",
  "build",
  "out",
  ".next",
  "vendor",
  ".venv",
  "venv",
  "__pycache__",
  "coverage",
]);
/** Files larger than this are not read when scanning sources. */
const MAX_SOURCE_BYTES = 256 * 1024;

/** Read-only access to the project being initialised (paths relative to its root, `/`-separated). */
export interface ProjectDir {
  root: string;
  has(rel: string): boolean;
  /** Text of a file, undefined when absent or unreadable. */
  read(rel: string): string | undefined;
  /** Parsed JSON of a file, undefined when absent or invalid. */
  json(rel: string): unknown;
  /** Names of the entries of a folder (empty when absent). */
  list(rel: string): string[];
  /** Source files (by extension) up to `limit`, breadth-first, skipping dependency and build folders. */
  sources(extensions: readonly string[], limit?: number): string[];
}

/**
 * A ProjectDir over a directory on disk. Never throws for a missing or unreadable file.
 *
 * @example
 * const project = projectDir("/srv/app");
 * project.json("package.json"); // { name: "web", ... }
 */
export function projectDir(root: string): ProjectDir {
  const read = (rel: string): string | undefined => {
    try {
      return readFileSync(join(root, rel), "utf8");
    } catch {
      return undefined;
    }
  };
  return {
    root,
    has: (rel) => existsSync(join(root, rel)),
    read,
    json(rel) {
      const text = read(rel);
      try {
        return text === undefined ? undefined : (JSON.parse(text) as unknown);
      } catch {
        return undefined;
      }
    },
    list(rel) {
      try {
        return readdirSync(join(root, rel)).sort();
      } catch {
        return [];
      }
    },
    sources(extensions, limit = 500) {
      const out: string[] = [];
      const queue = [""];
      for (let dir = queue.shift(); dir !== undefined && out.length < limit; dir = queue.shift()) {
        let entries;
        try {
          entries = readdirSync(join(root, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
        } catch {
          continue;
        }
        for (const e of entries) {
          const rel = dir === "" ? e.name : `${dir}/${e.name}`;
          if (e.isDirectory() && !SKIPPED_DIRS.has(e.name) && !e.name.startsWith(".")) queue.push(rel);
          else if (e.isFile() && extensions.some((x) => e.name.endsWith(x)) && small(join(root, rel))) out.push(rel);
          if (out.length >= limit) break;
        }
      }
      return out;
    },
  };
}

function small(abs: string): boolean {
  try {
    return statSync(abs).size <= MAX_SOURCE_BYTES;
  } catch {
    return false;
  }
}
