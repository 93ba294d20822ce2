/**
 * Pinned base images of the generated Dockerfiles. Tags name a specific
 * version (never `latest`), so two builds of one commit use the same base;
 * update them here (or let renovate/dependabot update the Dockerfile).
 */

/** Newest minor of each Node.js major with a `-bookworm-slim` image. */
export const NODE_MINORS: Readonly<Record<number, string>> = { 18: "18.20", 20: "20.18", 22: "22.12", 24: "24.11" };
/** Node.js major used when the project names none (an LTS line). */
export const DEFAULT_NODE_MAJOR = 24;
export const DEFAULT_BUN_VERSION = "1.3.4";
export const DEFAULT_GO_VERSION = "1.23";
export const DEFAULT_PYTHON_VERSION = "3.12";
/** Final stage of Go images: small, with busybox wget for the HEALTHCHECK. */
export const GO_RUNTIME_IMAGE = "alpine:3.20";
/** Python versions with a `-slim-bookworm` image, oldest first. */
const PYTHON_MINORS = ["3.9", "3.10", "3.11", "3.12", "3.13"];
/** Node.js LTS code names used in .nvmrc (`lts/iron`). */
const NODE_LTS_NAMES: Readonly<Record<string, number>> = { hydrogen: 18, iron: 20, jod: 22, krypton: 24 };

/** `node:24.11-bookworm-slim` for "24.11". */
export const nodeImage = (version: string): string => `node:${version}-bookworm-slim`;
/** `oven/bun:1.3.4-slim` for "1.3.4". */
export const bunImage = (version: string): string => `oven/bun:${version}-slim`;
/** `golang:1.23-bookworm` for "1.23". */
export const goImage = (version: string): string => `golang:${version}-bookworm`;
/** `python:3.12-slim-bookworm` for "3.12". */
export const pythonImage = (version: string): string => `python:${version}-slim-bookworm`;

/**
 * The node image version for a version spec from `engines.node`, `.nvmrc` or
 * `.node-version`: an exact version is kept ("20.11.1", "20.11"); a major or a
 * range (`^20`, `20.x`, `~20.1`) becomes that major's pinned minor; a lower
 * bound (`>=18`) takes the default LTS when it satisfies it; `lts/*` and LTS
 * names map to their line. Undefined when the spec means nothing to us.
 *
 * @example
 * nodeVersionFor(">=18"); // "24.11"
 * nodeVersionFor("v20.11.1"); // "20.11.1"
 * nodeVersionFor("lts/iron"); // "20.18"
 */
export function nodeVersionFor(spec: string): string | undefined {
  const s = spec.trim().toLowerCase();
  if (s === "lts/*" || s === "lts" || s === "node" || s === "stable") return NODE_MINORS[DEFAULT_NODE_MAJOR];
  const lts = /^lts\/(\w+)$/.exec(s)?.[1];
  if (lts) return NODE_MINORS[NODE_LTS_NAMES[lts] ?? -1];
  const exact = /^v?(\d+)\.(\d+)(\.\d+)?$/.exec(s);
  if (exact) return s.replace(/^v/, "");
  const lower = /^>=?\s*v?(\d+)/.exec(s)?.[1];
  if (lower) return Number(lower) <= DEFAULT_NODE_MAJOR ? NODE_MINORS[DEFAULT_NODE_MAJOR] : minorOf(Number(lower));
  const major = /^[\^~]?\s*v?(\d+)/.exec(s)?.[1];
  return major ? minorOf(Number(major)) : undefined;
}

function minorOf(major: number): string {
  return NODE_MINORS[major] ?? `${major}`;
}

/**
 * The python image version for `.python-version`, `runtime.txt` or `requires-python`:
 * "3.11.4" → "3.11"; ">=3.10" → the default when it satisfies it, else the lowest listed minor above.
 *
 * @example
 * pythonVersionFor(">=3.10,<4"); // "3.12"
 * pythonVersionFor("python-3.11.9"); // "3.11"
 */
export function pythonVersionFor(spec: string): string | undefined {
  const s = spec.trim().replace(/^python-/, "");
  const lower = /^>=?\s*(\d+\.\d+)/.exec(s)?.[1];
  if (lower)
    return versionAtLeast(DEFAULT_PYTHON_VERSION, lower)
      ? DEFAULT_PYTHON_VERSION
      : (PYTHON_MINORS.find((v) => versionAtLeast(v, lower)) ?? lower);
  return /^[=~^]*\s*(\d+\.\d+)/.exec(s)?.[1];
}

/**
 * The golang image version from go.mod: the `toolchain` directive wins over `go`; major.minor.
 *
 * @example
 * goVersionFor("module x\n\ngo 1.22.1\n"); // "1.22"
 */
export function goVersionFor(goMod: string): string | undefined {
  const toolchain = /^toolchain\s+go(\d+\.\d+)/m.exec(goMod)?.[1];
  return toolchain ?? /^go\s+(\d+\.\d+)/m.exec(goMod)?.[1];
}

function versionAtLeast(version: string, min: string): boolean {
  const [a = 0, b = 0] = version.split(".").map(Number);
  const [c = 0, d = 0] = min.split(".").map(Number);
  return a !== c ? a > c : b >= d;
}
