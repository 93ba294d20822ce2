import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestPath } from "../src/release/manifest.js";
import { pruneReleaseDirs, snapshotRelease, type SnapshotSummary } from "../src/release/snapshot.js";
import { createBigApp, newDiskBytes, type BigApp } from "./support/big-app.js";

/**
 * Ticks of a 1 ms timer while `work` runs: a blocked event loop gets none.
 * (A setImmediate chain would count too, but it spins the loop and slows the work it measures.)
 */
async function timerTicks<T>(work: () => Promise<T>): Promise<{ result: T; ticks: number }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    return { result: await work(), ticks };
  } finally {
    clearInterval(timer);
  }
}

/** npm unpacks every package file with this mtime. */
const NPM_MTIME = new Date("1985-10-26T08:15:00Z");

/** The 100 MB tree takes seconds on an idle machine, much longer on a busy shared one: no test here measures time. */
const BIG_TREE_TIMEOUT = 180_000;

describe("snapshots of a generated app with node_modules", { timeout: BIG_TREE_TIMEOUT }, () => {
  let root: string;
  let app: string;
  let big: BigApp;
  const release = (id: number) => join(app, ".slipway/releases", String(id));
  const ino = (dir: string, path: string) => statSync(join(dir, path)).ino;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "slipway-links-"));
    app = join(root, "app");
    // The linking logic at a tenth of the size (60 packages, big files / 8: about 10 MB): the whole
    // 100 MB app is deployed by test/big-app-deploy.test.ts and measured by `npm run bench`.
    big = createBigApp(app, { packages: 60, scale: 1 / 8 });
    utimesSync(join(app, big.samples.source), NPM_MTIME, NPM_MTIME);
  }, BIG_TREE_TIMEOUT);
  afterAll(() => rmSync(root, { recursive: true, force: true }), BIG_TREE_TIMEOUT);

  it("copies the whole tree the first time without blocking the event loop", async () => {
    const { result, ticks } = await timerTicks(() => snapshotRelease(app, release(1)));
    expect(result).toMatchObject({ files: big.files, linked: 0, copied: big.files, bytesCopied: big.bytes, symlinks: big.symlinks });
    // A synchronous copy (cpSync) gives one tick at most; this one yields between file operations.
    expect(ticks).toBeGreaterThan(20);
    expect(newDiskBytes(release(1))).toBeGreaterThanOrEqual(big.bytes);
    expect(readFileSync(join(release(1), big.samples.big))).toEqual(readFileSync(join(app, big.samples.big)));
    expect(existsSync(manifestPath(release(1)))).toBe(true);
  });

  it("hard-links every file of an unchanged tree and writes almost no new data", async () => {
    const summary = await snapshotRelease(app, release(2), { previous: release(1) });
    expect(summary).toMatchObject({ files: big.files, linked: big.files, copied: 0, bytesCopied: 0 });
    for (const path of [big.samples.source, big.samples.packageFile, big.samples.big, big.samples.executable]) {
      expect(ino(release(2), path)).toBe(ino(release(1), path));
      expect(statSync(join(release(2), path)).nlink).toBe(2);
    }
    expect(newDiskBytes(release(2), release(1))).toBeLessThan(big.bytes / 1000);
  });

  it("copies a changed file afresh (even with the same size and mtime), drops a removed one, links the rest", async () => {
    const source = join(app, big.samples.source);
    const before = readFileSync(source);
    // The npm case: a new version of a file, same size, same fixed mtime.
    writeFileSync(source, Buffer.from(before.toString("latin1").replace(/.$/s, "!"), "latin1"));
    utimesSync(source, NPM_MTIME, NPM_MTIME);
    expect(statSync(source)).toMatchObject({ size: before.length, mtimeMs: NPM_MTIME.getTime() });
    expect(readFileSync(source)).not.toEqual(before);
    rmSync(join(app, big.samples.packageFile));
    writeFileSync(join(app, "src/new.js"), "export {};\n");

    const summary = await snapshotRelease(app, release(3), { previous: release(2) });
    expect(summary).toMatchObject({ files: big.files, copied: 2, linked: big.files - 2 });
    expect(ino(release(3), big.samples.source)).not.toBe(ino(release(2), big.samples.source));
    expect(readFileSync(join(release(3), big.samples.source))).toEqual(readFileSync(source));
    expect(readFileSync(join(release(2), big.samples.source))).toEqual(before);
    expect(existsSync(join(release(3), big.samples.packageFile))).toBe(false);
    expect(existsSync(join(release(2), big.samples.packageFile))).toBe(true);
    expect(readFileSync(join(release(3), "src/new.js"), "utf8")).toBe("export {};\n");
    expect(statSync(join(release(3), big.samples.big)).nlink).toBe(3);
  });

  it("keeps modes and symlinks, linked or copied", async () => {
    for (const id of [1, 3]) {
      expect(statSync(join(release(id), big.samples.executable)).mode & 0o777).toBe(0o755);
      expect(readlinkSync(join(release(id), big.samples.symlink))).toBe(readlinkSync(join(app, big.samples.symlink)));
      expect(lstatSync(join(release(id), big.samples.symlink)).isSymbolicLink()).toBe(true);
    }
  });

  it("does not carry forward a file a release wrote in place", async () => {
    const path = big.samples.big;
    writeFileSync(join(release(3), path), "written by the app in its release dir");
    const summary = await snapshotRelease(app, release(4), { previous: release(3) });
    expect(summary.copied).toBe(1);
    expect(ino(release(4), path)).not.toBe(ino(release(3), path));
    expect(readFileSync(join(release(4), path))).toEqual(readFileSync(join(app, path)));
    // The hazard of hard links, which docs/releases.md describes: the older releases sharing the file see the write too.
    expect(readFileSync(join(release(1), path), "utf8")).toBe("written by the app in its release dir");
  });

  it("pruning the release a snapshot linked from leaves the linked files intact", async () => {
    const kept = (id: number) => id !== 1 && id !== 2;
    const nlink = statSync(join(release(3), big.samples.executable)).nlink;
    expect((await pruneReleaseDirs(join(app, ".slipway/releases"), kept)).sort()).toEqual([1, 2]);
    expect(existsSync(release(1))).toBe(false);
    expect(existsSync(manifestPath(release(1)))).toBe(false);
    expect(statSync(join(release(3), big.samples.executable)).nlink).toBe(nlink - 2);
    expect(readFileSync(join(release(3), big.samples.executable))).toEqual(readFileSync(join(app, big.samples.executable)));
    // The next snapshot still links from the survivor.
    const summary: SnapshotSummary = await snapshotRelease(app, release(5), { previous: release(4) });
    expect(summary.copied).toBe(0);
  });
});

describe("snapshot rules on a small tree", () => {
  let app: string;
  const release = (id: number) => join(app, ".slipway/releases", String(id));

  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), "slipway-links-small-"));
    writeFileSync(join(app, "server.js"), "x");
    writeFileSync(join(app, "secret.txt"), "s", { mode: 0o600 });
    writeFileSync(join(app, "run.sh"), "#!/bin/sh\n", { mode: 0o755 });
    mkdirSync(join(app, "frozen"));
    writeFileSync(join(app, "frozen/a.txt"), "a");
    chmodSync(join(app, "frozen"), 0o555);
    symlinkSync("server.js", join(app, "main.js"));
  });
  afterAll(() => {
    for (const dir of [app, release(1), release(2), release(3), release(4)]) if (existsSync(dir)) chmodSync(join(dir, "frozen"), 0o755);
    rmSync(app, { recursive: true, force: true });
  });

  it("keeps file and directory modes in a copy and in a linked snapshot", async () => {
    await snapshotRelease(app, release(1));
    await snapshotRelease(app, release(2), { previous: release(1) });
    for (const id of [1, 2]) {
      expect(statSync(join(release(id), "secret.txt")).mode & 0o777).toBe(0o600);
      expect(statSync(join(release(id), "run.sh")).mode & 0o777).toBe(0o755);
      expect(statSync(join(release(id), "frozen")).mode & 0o777).toBe(0o555);
      expect(readFileSync(join(release(id), "frozen/a.txt"), "utf8")).toBe("a");
      expect(readlinkSync(join(release(id), "main.js"))).toBe("server.js");
    }
    expect(statSync(join(release(2), "run.sh")).ino).toBe(statSync(join(release(1), "run.sh")).ino);
  });

  it("copies a file whose mode changed, so the previous release keeps its mode", async () => {
    chmodSync(join(app, "run.sh"), 0o700);
    const summary = await snapshotRelease(app, release(3), { previous: release(2) });
    expect(summary.copied).toBe(1);
    expect(statSync(join(release(3), "run.sh")).mode & 0o777).toBe(0o700);
    expect(statSync(join(release(2), "run.sh")).mode & 0o777).toBe(0o755);
  });

  it("copies everything when the previous snapshot has no manifest (made by an older Slipway)", async () => {
    rmSync(manifestPath(release(3)));
    const summary = await snapshotRelease(app, release(4), { previous: release(3) });
    expect(summary).toMatchObject({ linked: 0, copied: summary.files });
  });
});
