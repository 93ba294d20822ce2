import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { SlipwayError } from "../errors.js";

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
  if (explicit) {
    // The CLI checks first; this is for other clients of the API.
    const problem = versionLabelProblem(explicit);
    if (problem) throw new SlipwayError("USAGE", `version ${JSON.stringify(explicit.slice(0, 40))}: ${problem}`);
    return explicit;
  }
  const sha = await git(appDir, ["rev-parse", "--short", "HEAD"]);
  if (sha) {
    const dirty = await git(appDir, ["status", "--porcelain"]);
    return dirty ? `${sha}-dirty` : sha;
  }
  return new Date(now).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

/** The longest version label: a Docker tag's limit (the docker platform tags images `<name>:<version>`). */
export const MAX_VERSION_LENGTH = 128;
const LABEL = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * What is wrong with a `--version` label, or null: it must be usable as a
 * Docker tag (letters, digits, _ . and -, not starting with . or -, at most
 * 128 characters) on every platform, so a release can move between them.
 *
 * @example
 * versionLabelProblem("v1.2.3"); // null
 * versionLabelProblem("v 2");   // 'must be letters, digits, "_", "." and "-" (not starting with "." or "-")'
 */
export function versionLabelProblem(label: string): string | null {
  if (label === "") return "is empty";
  if (label.length > MAX_VERSION_LENGTH) return `is ${label.length} characters long, at most ${MAX_VERSION_LENGTH}`;
  if (!LABEL.test(label)) return 'must be letters, digits, "_", "." and "-" (not starting with "." or "-")';
  return null;
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
