import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * The version label of a release: `--version`, else the git short sha of the
 * app directory (with `-dirty` when it has uncommitted changes), else a
 * UTC timestamp like `20261126-041500`. Git runs as a child process the
 * daemon awaits (`git status` on a large tree takes a while).
 *
 * @example
 * await resolveVersion(undefined, "/srv/app", Date.now()); // "3f2a9c1-dirty"
 */
export async function resolveVersion(explicit: string | undefined, appDir: string, now: number): Promise<string> {
  if (explicit) return explicit;
  const sha = await git(appDir, ["rev-parse", "--short", "HEAD"]);
  if (sha) {
    const dirty = await git(appDir, ["status", "--porcelain"]);
    return dirty ? `${sha}-dirty` : sha;
  }
  return new Date(now).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

/** The full git commit of a directory, when it is in a git work tree. */
export async function gitCommit(dir: string): Promise<string | undefined> {
  return git(dir, ["rev-parse", "HEAD"]);
}

async function git(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run("git", args, { cwd, timeout: 5000, maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}
