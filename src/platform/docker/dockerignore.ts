/**
 * The `.dockerignore` subset Slipway honours when it sends a build context:
 *
 * - one pattern per line; blank lines and lines starting with `#` are skipped;
 * - patterns are relative to the context root (a leading `/` or `./` is dropped, as is a trailing `/`);
 * - `*` matches within one path segment, `?` one character, `**` any number of segments;
 * - a pattern excludes what it matches and everything below it (`node_modules` excludes `node_modules/x/y.js`);
 * - `!pattern` re-includes, the last matching line wins.
 *
 * Not supported: character classes (`[a-z]`) and `\` escapes, which are matched literally.
 */
export interface IgnoreRule {
  negate: boolean;
  regex: RegExp;
}

/**
 * Parse `.dockerignore` text into rules, in file order.
 *
 * @example
 * parseDockerignore("node_modules\n*.md\n!README.md\n").length; // 3
 */
export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const negate = line.startsWith("!");
    if (negate) line = line.slice(1).trim();
    line = line.replace(/^(\.\/|\/)+/, "").replace(/\/+$/, "");
    if (line === "" || line === ".") continue;
    rules.push({ negate, regex: patternRegex(line) });
  }
  return rules;
}

/**
 * Is `path` (relative to the context, "/"-separated) excluded by the rules?
 * A rule matches the path itself or any of its parent directories.
 *
 * @example
 * isIgnored(parseDockerignore("logs\n!logs/keep.txt"), "logs/keep.txt"); // false
 */
export function isIgnored(rules: IgnoreRule[], path: string): boolean {
  const prefixes = path.split("/").map((_, i, parts) => parts.slice(0, i + 1).join("/"));
  let ignored = false;
  for (const rule of rules) {
    if (prefixes.some((prefix) => rule.regex.test(prefix))) ignored = !rule.negate;
  }
  return ignored;
}

/** Does any rule re-include something (so an excluded directory must still be walked)? */
export function hasExceptions(rules: IgnoreRule[]): boolean {
  return rules.some((rule) => rule.negate);
}

function patternRegex(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === "*" && pattern[i + 1] === "*") {
      const slash = pattern[i + 2] === "/";
      source += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}
