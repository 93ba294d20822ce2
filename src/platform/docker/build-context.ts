import fs from "node:fs";
import { readFile, stat } from "node:fs/promises";
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
 * Dockerfile is missing. Nothing here blocks the event loop: the checks are
 * asynchronous and tar-fs walks and reads the tree with callbacks.
 *
 * @example
 * const tar = await packContext("/srv/hello", "docker/Dockerfile");
 * await docker.buildImage(tar, { t: "hello:v2", dockerfile: "docker/Dockerfile" });
 */
export async function packContext(context: string, dockerfile: string = DEFAULT_DOCKERFILE): Promise<NodeJS.ReadableStream> {
  if (!(await isDirectory(context))) {
    throw new SlipwayError("PLATFORM", `build context ${context} is not a directory`, { hint: "check app.build.context in slipway.yaml" });
  }
  if (!(await exists(join(context, dockerfile)))) {
    throw new SlipwayError("PLATFORM", `Dockerfile ${dockerfile} not found in the build context ${context}`, {
      hint: "app.build.dockerfile is relative to app.build.context",
    });
  }
  const ignoreFile = join(context, ".dockerignore");
  const rules = parseDockerignore(await readFile(ignoreFile, "utf8").catch(() => ""));
  const alwaysSent = new Set([toPosix(dockerfile).replace(/^\.\//, ""), ".dockerignore"]);
  const walkExcludedDirs = hasExceptions(rules);
  const dirs = new Set<string>();
  const tar = pack(context, {
    umask: 0, // modes as they are on disk, as the docker CLI sends them
    fs: walkExcludedDirs ? direntFs(dirs) : fs,
    ignore: (name: string) => {
      const isDir = dirs.delete(name); // each name comes here once, right after its directory was read
      const path = toPosix(relative(context, name));
      if (alwaysSent.has(path) || !isIgnored(rules, path)) return false;
      return !(walkExcludedDirs && isDir); // an exception may re-include something below it
    },
    map: (header: Headers) => ({ ...header, uid: 0, gid: 0 }),
  } as PackOptions);
  return tar as unknown as NodeJS.ReadableStream; // a streamx Readable: pipe() is all the engine client uses
}

/**
 * node:fs whose `readdir` also notes which entries are directories, so the
 * `ignore` callback (synchronous in tar-fs) needs no `statSync` per entry.
 */
function direntFs(dirs: Set<string>): typeof fs {
  const readdir = (dir: string, callback: (err: NodeJS.ErrnoException | null, names?: string[]) => void): void => {
    fs.readdir(dir, { withFileTypes: true }, (err, entries) => {
      if (err) return callback(err);
      for (const e of entries) if (e.isDirectory()) dirs.add(join(dir, e.name));
      callback(
        null,
        entries.map((e) => e.name),
      );
    });
  };
  return { ...fs, readdir } as typeof fs;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function toPosix(path: string): string {
  return sep === "/" ? path : path.split(sep).join("/");
}
