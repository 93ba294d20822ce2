import { statfsSync } from "node:fs";
import { dirname } from "node:path";
import { SlipwayError } from "./errors.js";

/**
 * Faults of the machine rather than of Slipway: a full disk, a denied
 * permission, no file descriptors left. They reach users as one line with
 * what to do (free space, fix the mode, raise the limit), never as "a bug in
 * Slipway", and the daemon survives them (src/daemon/last-resort.ts).
 *
 * @example
 * try { ledger.record(event) } catch (err) { throw resourceError(err, ".slipway") ?? err }
 */

/** The kinds of resource fault, each with its own error code and hint. */
export type ResourceFault = "disk-full" | "quota" | "access" | "read-only" | "fd-limit";

/** Below this many free bytes an SQLite I/O error is taken for a full disk. */
const LOW_SPACE_BYTES = 1024 * 1024;

const ERRNO_FAULTS: Record<string, ResourceFault> = {
  ENOSPC: "disk-full",
  EDQUOT: "quota",
  EACCES: "access",
  EPERM: "access",
  EROFS: "read-only",
  EMFILE: "fd-limit",
  ENFILE: "fd-limit",
};

interface CodedError {
  code?: unknown;
  path?: unknown;
  message?: unknown;
  cause?: unknown;
}

/**
 * The resource fault behind `err` (its `cause` chain included), or null.
 * SQLITE_FULL is a full disk; SQLITE_IOERR_* and SQLITE_CANTOPEN count as one
 * when the filesystem of `stateDir` is nearly full, and SQLITE_READONLY as a
 * permission fault. EPERM from a signal (kill) is not a resource fault.
 */
export function resourceFault(err: unknown, stateDir?: string): ResourceFault | null {
  const found = faultyError(err, stateDir);
  return found ? found.fault : null;
}

/**
 * `err` as the SlipwayError a user sees when it is a resource fault, else
 * null: DISK_FULL (exit 1) with "free space on the filesystem of .slipway
 * (df -h ...)", ACCESS_DENIED with the path to check, FD_LIMIT with how to
 * raise the limit. `stateDir` is the project's `.slipway` (named in hints).
 */
export function resourceError(err: unknown, stateDir?: string, details: string[] = []): SlipwayError | null {
  if (err instanceof SlipwayError && RESOURCE_CODES.has(err.code)) return err;
  const found = faultyError(err, stateDir);
  if (!found) return null;
  const { fault, error } = found;
  const path = typeof error.path === "string" ? error.path : undefined;
  const where = stateDir ?? (path ? dirname(path) : ".slipway");
  const what = `${String(error.code)}${path ? ` on ${path}` : ""}`;
  const options = { cause: err, details };
  switch (fault) {
    case "disk-full":
      return new SlipwayError("DISK_FULL", `no space left on the disk holding ${where} (${what})`, {
        ...options,
        hint: `free space on the filesystem of ${where} (df -h ${where}) and retry`,
      });
    case "quota":
      return new SlipwayError("DISK_FULL", `disk quota exceeded on the filesystem of ${where} (${what})`, {
        ...options,
        hint: `free space or raise the quota (quota -s) and retry`,
      });
    case "access":
      return new SlipwayError("ACCESS_DENIED", `permission denied (${what})`, {
        ...options,
        hint: `check the owner and mode of ${path ?? where} (ls -ld ${path ?? where}); run slipway as the user that owns ${where}`,
      });
    case "read-only":
      return new SlipwayError("ACCESS_DENIED", `the filesystem of ${where} is read-only (${what})`, {
        ...options,
        hint: `remount it read-write (mount -o remount,rw) or move the project to a writable disk, and retry`,
      });
    case "fd-limit":
      return new SlipwayError("FD_LIMIT", `too many open files (${what})`, {
        ...options,
        hint: "raise the open-file limit (ulimit -n 65536, or LimitNOFILE= in a systemd unit), then slipway down && slipway up",
      });
  }
}

const RESOURCE_CODES = new Set(["DISK_FULL", "ACCESS_DENIED", "FD_LIMIT"]);

function faultyError(err: unknown, stateDir: string | undefined): { fault: ResourceFault; error: CodedError } | null {
  const seen = new Set<unknown>();
  for (let e = err; e && typeof e === "object" && !seen.has(e); e = (e as CodedError).cause) {
    seen.add(e);
    const error = e as CodedError;
    const fault = classify(error, stateDir);
    if (fault) return { fault, error };
  }
  return null;
}

function classify(error: CodedError, stateDir: string | undefined): ResourceFault | null {
  const code = typeof error.code === "string" ? error.code : "";
  if (code === "EPERM" && (error as { syscall?: unknown }).syscall === "kill") return null;
  if (code in ERRNO_FAULTS) return ERRNO_FAULTS[code]!;
  if (code === "SQLITE_FULL") return "disk-full";
  if (code.startsWith("SQLITE_READONLY")) return "access";
  if (code.startsWith("SQLITE_IOERR") || code.startsWith("SQLITE_CANTOPEN")) return lowOnSpace(stateDir) ? "disk-full" : null;
  return null;
}

/** Whether the filesystem of `dir` has (nearly) no space left for this user; false when unknown. */
function lowOnSpace(dir: string | undefined): boolean {
  try {
    const s = statfsSync(dir ?? ".");
    return s.bavail * s.bsize < LOW_SPACE_BYTES;
  } catch {
    return false;
  }
}
