import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** Always left out of a release snapshot. */
export const ALWAYS_IGNORED = [".slipway", ".git"];

/**
 * Patterns from `.slipwayignore` (gitignore-like subset: one pattern per line,
 * `#` comments, `*` and `?` wildcards, a leading `/` anchors to the root, a
 * trailing `/` is accepted; a pattern without `/` matches at any depth).
 */
export class IgnoreList {
  private readonly rules: RegExp[];

  constructor(patterns: string[]) {
    this.rules = [...ALWAYS_IGNORED, ...patterns].map(toRegExp);
  }

  /** The rules of `<dir>/.slipwayignore` (none when there is no such file). */
  static load(dir: string): IgnoreList {
    const file = join(dir, ".slipwayignore");
    return IgnoreList.parse(existsSync(file) ? readFileSync(file, "utf8") : "");
  }

  /** `load` without blocking: what the daemon uses when it takes a release in. */
  static async read(dir: string): Promise<IgnoreList> {
    const text = await readFile(join(dir, ".slipwayignore"), "utf8").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return "";
      throw err;
    });
    return IgnoreList.parse(text);
  }

  private static parse(text: string): IgnoreList {
    const lines = text.split(/\r?\n/).map((l) => l.trim());
    return new IgnoreList(lines.filter((l) => l !== "" && !l.startsWith("#")));
  }

  /** `path` is relative to the snapshot root, with `/` separators. */
  ignores(path: string): boolean {
    return this.rules.some((r) => r.test(path));
  }
}

function toRegExp(pattern: string): RegExp {
  let p = pattern.replace(/\/+$/, "");
  const anchored = p.startsWith("/") || p.includes("/");
  p = p.replace(/^\//, "");
  const body = p
    .split("")
    .map((c) => (c === "*" ? "[^/]*" : c === "?" ? "[^/]" : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(anchored ? `^${body}$` : `(^|/)${body}$`);
}
