import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { SlipwayError } from "../errors.js";
import type { ReleaseGit } from "../ledger/types.js";

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

/** The most commit times a release records (`git log -n`): enough for any deploy cadence, bounded for the ledger. */
export const MAX_GIT_CHANGES = 1000;

/** A commit id as the ledger records it (never an option or a revision expression). */
const SHA = /^[0-9a-f]{7,64}$/;

/**
 * The git commit of `dir` for the ledger: HEAD's id and committer time,
 * and the committer times (ms, newest first, at most MAX_GIT_CHANGES) of the
 * commits HEAD has that `live` (the serving release's commit) lacks, HEAD
 * included. Only HEAD when there is no live commit or the repository does
 * not know it (a rewritten history, another clone). Null when `dir` is not in
 * a git work tree or git fails or takes over 5 s: a deploy never fails for it.
 * A dirty work tree is recorded under HEAD.
 *
 * @example
 * await gitRevision("/srv/app", "3f2a9c1e..."); // { commit: "9b1d...", committedAt: 1795000000000, changes: [1795000000000, 1794990000000] }
 */
export async function gitRevision(dir: string, live: string | null): Promise<ReleaseGit | null> {
  const head = (await git(dir, ["log", "-1", "--format=%H %ct"]))?.match(/^([0-9a-f]{40,64}) (\d+)$/);
  if (!head) return null;
  const commit = head[1]!;
  const committedAt = Number(head[2]) * 1000;
  const known = live !== null && SHA.test(live) && (await gitOutput(dir, ["cat-file", "-e", `${live}^{commit}`])) !== undefined;
  if (!known) return { commit, committedAt, changes: [committedAt] };
  const listed = await gitOutput(dir, ["log", "--format=%ct", "-n", String(MAX_GIT_CHANGES), "HEAD", `^${live}`, "--"]);
  if (listed === undefined) return null;
  const changes = listed
    .split("\n")
    .filter((line) => /^\d+$/.test(line))
    .map((line) => Number(line) * 1000);
  return { commit, committedAt, changes };
}

/** Git's trimmed output in `cwd`, or undefined when it is empty, fails or takes over 5 s. */
async function git(cwd: string, args: string[]): Promise<string | undefined> {
  return (await gitOutput(cwd, args))?.trim() || undefined;
}

/** Git's output in `cwd` ("" when it prints nothing), or undefined when it fails or takes over 5 s. */
async function gitOutput(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run("git", args, { cwd, timeout: 5000, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch {
    return undefined;
  }
}
