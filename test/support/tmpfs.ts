import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Small tmpfs mounts for disk-full tests (needs root, or CAP_SYS_ADMIN).
 *
 * @example
 * if (tmpfsUnavailable() === null) mountTmpfs(join(dir, ".slipway"), "2m");
 */

/** Why a tmpfs cannot be mounted here (one line), or null when it can. */
export function tmpfsUnavailable(): string | null {
  const probe = mkdtempSync(join(tmpdir(), "slipway-tmpfs-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], { stdio: "pipe" });
    execFileSync("umount", [probe], { stdio: "pipe" });
    return null;
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return `mount -t tmpfs is not permitted here (${stderr || (err as Error).message}); run as root to test a full disk`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** Mounts a tmpfs of `size` (e.g. "2m") on `dir`, creating it. */
export function mountTmpfs(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir], { stdio: "pipe" });
}

/** Unmounts `dir` whatever holds it open (lazy unmount as the fallback); never throws. */
export function unmountTmpfs(dir: string): void {
  for (const args of [[dir], ["-l", dir]]) {
    try {
      execFileSync("umount", args, { stdio: "pipe" });
      return;
    } catch {
      // busy or not mounted: try the next way
    }
  }
}

/** Writes `file` until the disk is full (ENOSPC); returns the bytes written. */
export function fillDisk(file: string): number {
  const fd = openSync(file, "w");
  const block = Buffer.alloc(64 * 1024, 0x78);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
  // The last partial block: fill to the last byte.
  const tail = openSync(file, "a");
  try {
    for (;;) written += writeSync(tail, Buffer.alloc(512, 0x78));
  } catch {
    // full
  } finally {
    closeSync(tail);
  }
  return written;
}
