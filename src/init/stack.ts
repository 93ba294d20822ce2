/**
 * What `slipway init` learned about a project: the typed result of detection
 * (detect.ts) that every template reads. Plain data, no I/O.
 */

/** Languages `slipway init` can write a Dockerfile and a CI pipeline for, in detection order. */
export const LANGUAGES = ["node", "go", "python"] as const;
export type Language = (typeof LANGUAGES)[number];

export type NodePackageManager = "npm" | "yarn" | "pnpm" | "bun";
export type NodeFramework = "next" | "nest" | "express" | "fastify" | "hono" | "koa";
export type PythonManager = "uv" | "poetry" | "pipenv" | "pip" | "pyproject";
export type PythonFramework = "django" | "fastapi" | "flask";

export interface NodeFacts {
  language: "node";
  packageManager: NodePackageManager;
  /** Yarn 2+ ("berry"): `yarn install --immutable`, `yarn workspaces focus --production`. */
  yarnBerry: boolean;
  /** Lockfile name, e.g. "package-lock.json" (undefined when there is none). */
  lockfile?: string;
  /** Version part of the base image tag, e.g. "24.11" (node) or "1.3.4" (bun). */
  runtimeVersion: string;
  framework?: NodeFramework;
  typescript: boolean;
  /** `<pm> run build` runs in a build stage and `outDir` is copied into the final stage. */
  build?: { outDir: string };
  /** The final stage's CMD (JSON form). */
  start: string[];
  /** The start command runs a binary from node_modules/.bin (the final stage puts it on PATH). */
  binOnPath: boolean;
  /** Which package.json scripts exist (typecheck: its name, "typecheck" or "type-check"). */
  scripts: { lint: boolean; typecheck?: string; test: boolean };
  /** Extra manifests to copy with package.json before installing (pnpm-workspace.yaml, .yarnrc.yml). */
  extraManifests: string[];
}

export interface GoFacts {
  language: "go";
  /** Major.minor of the golang image, e.g. "1.23". */
  goVersion: string;
  hasGoSum: boolean;
  /** Package built into the binary, e.g. "." or "./cmd/api". */
  mainPackage: string;
}

export interface PythonFacts {
  language: "python";
  manager: PythonManager;
  /** Files copied before installing dependencies, e.g. ["requirements.txt"]. */
  manifests: string[];
  /** Major.minor of the python image, e.g. "3.12". */
  pythonVersion: string;
  framework?: PythonFramework;
  /** The final stage's CMD (JSON form). */
  start: string[];
  /** Server packages the command needs but the manifests lack (installed pinned), e.g. ["gunicorn==23.0.0"]. */
  serverPackages: string[];
  /** Tools the CI job installs because the project does not list them, e.g. ["ruff==0.8.4"]. */
  ciTools: string[];
  /** Extra requirements file for CI, e.g. "requirements-dev.txt". */
  devRequirements?: string;
}

export type LanguageFacts = NodeFacts | GoFacts | PythonFacts;

/** Facts read from an existing Dockerfile, which init never rewrites. */
export interface DockerfileFacts {
  port?: number;
  /** Path of the HEALTHCHECK's URL, e.g. "/healthz". */
  healthPath?: string;
  /** The final stage's last USER, e.g. "node" or "10001:10001". */
  user?: string;
}

/** Liveness and readiness paths (may be the same path: the probes still differ in timing). */
export interface HealthPaths {
  liveness: string;
  readiness: string;
}

/** Everything the templates need. Built by detectStack; frozen. */
export interface Stack {
  /** Service name: lowercase letters, digits and dashes (Slipway and Kubernetes names). */
  name: string;
  port: number;
  health: HealthPaths;
  /** Undefined only when an existing Dockerfile is all there is to go on. */
  language?: LanguageFacts;
  /** Set when the project has a Dockerfile: it is kept and configures the rest. */
  dockerfile?: DockerfileFacts;
  /** Numeric user the container runs as (Kubernetes runAsUser). */
  uid: number;
  /** Image repository without a tag, e.g. "ghcr.io/acme/web". */
  image: string;
  /** One line per signal used, in detection order, e.g. "package manager: pnpm (pnpm-lock.yaml)". */
  signals: string[];
  /** Data the app writes, relative to its working directory: app.shared in slipway.yaml, writable by the image's user. */
  shared: string[];
  /** What handles SIGTERM, e.g. "gunicorn" or "process.on('SIGTERM') in server.js"; undefined when nothing was found. */
  sigterm?: string;
  /** Where the tests are, e.g. 'package.json "test" script' or "tests/"; undefined when the project has none. */
  tests?: string;
  /** Things the user should look at, e.g. "no health route found in the source: serve GET /healthz". */
  notes: string[];
}
