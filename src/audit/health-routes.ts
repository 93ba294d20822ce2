import { DEFAULT_HEALTH_PATHS } from "../health/health.js";
import { findHealthPaths } from "../init/health-paths.js";
import type { ProjectDir } from "../init/project-dir.js";
import { parseSlipwayConfig } from "./slipway-config.js";
import { sourceFiles } from "./stack.js";
import type { Finding, ProjectChecker, ProjectView } from "./types.js";

const PROBES = ["startup", "readiness", "liveness"] as const;
/** Folders `slipway init` never reads sources from (its project-dir.ts); the rest comes from the audit's own walk. */
const NOT_SOURCES = /(^|\/)(dist|build|out|vendor|venv|coverage)\//;

/**
 * SW6004: a probe path in the root slipway.yaml (`health.<probe>.http`) that the app does
 * not serve. Runs only when the app's health routes can be read, with the detection
 * `slipway init` uses (findHealthPaths: quoted health routes, or slipway/health); a path
 * counts as served when the source quotes it, or quotes its last segments (a router mounted
 * under a prefix), or when it is one of slipway/health's routes and the app uses it.
 *
 * @example
 * healthRoutesChecker.check(project); // [{ rule: "SW6004", file: "slipway.yaml", line: 6, message: "health.readiness.http is /healthz ..." }]
 */
export const healthRoutesChecker: ProjectChecker = {
  kind: "health-routes",
  rules: ["SW6004"],
  applies: (project) => probePaths(project).length > 0,
  check(project: ProjectView): Finding[] {
    const sources = sourceFiles(project).filter((rel) => !NOT_SOURCES.test(rel));
    const detected = findHealthPaths(asProjectDir(project, sources));
    if (!detected.liveness && !detected.readiness) return [];
    const texts = sources.map((rel) => project.read(rel) ?? "");
    const quoted = new Set(texts.flatMap((t) => [...t.matchAll(/["'`](\/?[\w\-./]*\w\/?)["'`]/g)].map((m) => normalize(m[1] ?? ""))));
    if (texts.some((t) => /["']slipway\/health["']/.test(t))) Object.values(DEFAULT_HEALTH_PATHS).forEach((p) => quoted.add(p));
    const found = [detected.liveness, detected.readiness].filter((p): p is string => !!p).join(", ");
    return probePaths(project)
      .filter(({ path }) => !served(normalize(path), quoted))
      .map(({ file, line, probe, path }) => ({
        rule: "SW6004",
        file,
        line,
        message: `health.${probe}.http is ${path}, but the app's source serves no such route (its health routes: ${found})`,
      }));
  },
};

interface ProbePath {
  file: string;
  line: number;
  probe: string;
  path: string;
}

function probePaths(project: ProjectView): ProbePath[] {
  const file = ["slipway.yaml", "slipway.yml"].find((f) => project.read(f) !== undefined);
  if (file === undefined) return [];
  const { config, doc } = parseSlipwayConfig(project.read(file) ?? "", file);
  if (!config || !doc) return [];
  return PROBES.flatMap((probe) => {
    const check = config.health[probe]?.check;
    return check?.kind === "http" ? [{ file, line: doc.line(["health", probe, "http"]), probe, path: check.path }] : [];
  });
}

/** "/healthz?full=1" → "/healthz"; "healthz/" → "/healthz". */
function normalize(path: string): string {
  const bare = path.split(/[?#]/)[0] ?? "";
  return `/${bare.replace(/^\/+|\/+$/g, "")}`;
}

function served(path: string, quoted: ReadonlySet<string>): boolean {
  const segments = path.split("/").filter(Boolean);
  for (let k = 0; k < segments.length; k++) if (quoted.has(`/${segments.slice(k).join("/")}`)) return true;
  return path === "/" && quoted.has("/");
}

/** The audit's view as the read-only project `slipway init`'s detection takes, its sources being `sources`. */
function asProjectDir(project: ProjectView, sources: readonly string[]): ProjectDir {
  const has = (rel: string): boolean => project.read(rel) !== undefined;
  return {
    root: ".",
    has,
    read: (rel) => project.read(rel),
    json(rel) {
      try {
        return JSON.parse(project.read(rel) ?? "") as unknown;
      } catch {
        return undefined;
      }
    },
    list: (rel) =>
      [
        ...new Set(
          project.files
            .filter((f) => f.startsWith(rel === "" ? "" : `${rel}/`))
            .map((f) => f.slice(rel === "" ? 0 : rel.length + 1).split("/")[0] ?? ""),
        ),
      ].sort(),
    sources: (extensions, limit = 500) => sources.filter((rel) => extensions.some((x) => rel.endsWith(x))).slice(0, limit),
  };
}
