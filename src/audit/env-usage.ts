import type { ProjectView } from "./types.js";

/** Environment variables every process has, or the platform sets: not the app's to document. */
const AMBIENT = new Set(["NODE_ENV", "HOME", "PATH", "PWD", "CI", "HOSTNAME", "TZ", "LANG", "USER", "SHELL", "TMPDIR", "DEBUG"]);
const READS = [
  /process\.env\.([A-Za-z_][A-Za-z0-9_]*)/g,
  /process\.env\[\s*["'`]([A-Za-z_][A-Za-z0-9_]*)["'`]\s*\]/g,
  /os\.(?:Getenv|LookupEnv)\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\)/g,
  /os\.(?:environ(?:\.get)?\s*[[(]|getenv\s*\()\s*["']([A-Za-z_][A-Za-z0-9_]*)["']/g,
];
const SCHEMA =
  /["']slipway\/env["']|\benvalid\b|@t3-oss\/env|\bpydantic_settings\b|\bBaseSettings\b|github\.com\/(kelseyhightower\/envconfig|caarlos0\/env)/;
const EXAMPLES = /(^|\/)\.env\.(example|sample|template|dist|defaults)$/;

/** One read of an environment variable in source code; `schema` when the file declares an env schema instead. */
export interface EnvUse {
  name: string;
  file: string;
  line: number;
  schema: boolean;
}

/**
 * The first read of each environment variable in the app's source files (`sources`, from
 * stack.ts `sourceFiles`: JS/TS `process.env`,
 * Go `os.Getenv`, Python `os.environ`/`os.getenv`), ambient ones excluded. A file using an env
 * schema library (slipway/env, envalid, pydantic BaseSettings...) yields one `schema` use.
 *
 * @example
 * envUses(project, sourceFiles(project)); // [{ name: "DATABASE_URL", file: "src/db.ts", line: 3, schema: false }]
 */
export function envUses(project: ProjectView, sources: readonly string[]): EnvUse[] {
  const seen = new Map<string, EnvUse>();
  for (const rel of sources) {
    const text = project.read(rel);
    if (text === undefined) continue;
    if (SCHEMA.test(text)) return [{ name: "", file: rel, line: 1, schema: true }];
    if (!/env/i.test(text)) continue; // every read below (environ, getenv, Getenv, process.env) says "env"
    text.split("\n").forEach((content, i) => {
      for (const pattern of READS) {
        for (const m of content.matchAll(pattern)) {
          const name = m[1] ?? "";
          if (!AMBIENT.has(name) && !seen.has(name)) seen.set(name, { name, file: rel, line: i + 1, schema: false });
        }
      }
    });
  }
  return [...seen.values()];
}

/** Names listed in `.env.example` (and friends) or mentioned in Markdown docs. */
export function documentedEnv(project: ProjectView): Set<string> {
  const names = new Set<string>();
  for (const rel of project.files) {
    if (EXAMPLES.test(rel)) {
      for (const m of (project.read(rel) ?? "").matchAll(/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/gm)) names.add(m[1] ?? "");
    } else if (/\.(md|markdown)$/i.test(rel)) {
      for (const m of (project.read(rel) ?? "").matchAll(/\b[A-Z][A-Z0-9_]{2,}\b/g)) names.add(m[0]);
    }
  }
  return names;
}
