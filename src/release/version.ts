import { execFileSync } from "node:child_process";

/**
 * The version label of a release: `--version`, else the git short sha of the
 * app directory (with `-dirty` when it has uncommitted changes), else a
 * UTC timestamp like `20261126-041500`.
 */
export function resolveVersion(explicit: string | undefined, appDir: string, now: number): string {
  if (explicit) return explicit;
  const sha = git(appDir, ["rev-parse", "--short", "HEAD"]);
  if (sha) {
    const dirty = git(appDir, ["status", "--porcelain"]);
    return dirty ? `${sha}-dirty` : sha;
  }
  return new Date(now).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

/** The full git commit of a directory, when it is in a git work tree. */
export function gitCommit(dir: string): string | undefined {
  return git(dir, ["rev-parse", "HEAD"]);
}

function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { cwd, stdio: ["ignore", "pipe", "ignore"], timeout: 5000 })
      .toString()
      .trim();
  } catch {
    return undefined;
  }
}
