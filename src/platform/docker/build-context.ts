import { existsSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { pack, type Headers, type PackOptions } from "tar-fs";
import { SlipwayError } from "../../errors.js";
import { hasExceptions, isIgnored, parseDockerignore } from "./dockerignore.js";

/** The Dockerfile name inside the context when none is given. */
export const DEFAULT_DOCKERFILE = "Dockerfile";

/**
 * A tar stream of the build context directory, without what its
 * `.dockerignore` excludes (see dockerignore.ts for the supported subset).
 * The Dockerfile and `.dockerignore` are always sent, as Docker does. Files
 * are stored with uid/gid 0. Throws a PLATFORM error when the context or the
 * Dockerfile is missing.
 *
 * @example
 * const tar = packContext("/srv/hello", "docker/Dockerfile");
 * await docker.buildImage(tar, { t: "hello:v2", dockerfile: "docker/Dockerfile" });
 */
export function packContext(context: string, dockerfile: string = DEFAULT_DOCKERFILE): NodeJS.ReadableStream {
  if (!isDirectory(context)) {
    throw new SlipwayError("PLATFORM", `build context ${context} is not a directory`, { hint: "check app.build.context in slipway.yaml" });
  }
  if (!existsSync(join(context, dockerfile))) {
    throw new SlipwayError("PLATFORM", `Dockerfile ${dockerfile} not found in the build context ${context}`, {
      hint: "app.build.dockerfile is relative to app.build.context",
    });
  }
  const ignoreFile = join(context, ".dockerignore");
  const rules = existsSync(ignoreFile) ? parseDockerignore(readFileSync(ignoreFile, "utf8")) : [];
  const alwaysSent = new Set([toPosix(dockerfile).replace(/^\.\//, ""), ".dockerignore"]);
  const walkExcludedDirs = hasExceptions(rules);
  const tar = pack(context, {
    umask: 0, // modes as they are on disk, as the docker CLI sends them
    ignore: (name: string) => {
      const path = toPosix(relative(context, name));
      if (alwaysSent.has(path) || !isIgnored(rules, path)) return false;
      return !(walkExcludedDirs && isDirectory(name)); // an exception may re-include something below it
    },
    map: (header: Headers) => ({ ...header, uid: 0, gid: 0 }),
  } as PackOptions);
  return tar as unknown as NodeJS.ReadableStream; // a streamx Readable: pipe() is all the engine client uses
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function toPosix(path: string): string {
  return sep === "/" ? path : path.split(sep).join("/");
}
