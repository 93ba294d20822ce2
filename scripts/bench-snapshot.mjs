// Release intake: snapshot time, data written and the longest event-loop
// stall for the first and a second release of a generated ~100 MB app
// (test/support/big-app.ts), the old way (cpSync of the whole tree on the
// daemon's thread) against the new one (async, unchanged files hard-linked
// from the previous snapshot). Part of `npm run bench`; alone, after a build:
//
//   node scripts/bench-snapshot.mjs
//
// Data written is counted twice: the disk blocks of the snapshot's files whose
// inodes the previous snapshot does not share (what `du` would add), and the
// process's write_bytes from /proc/self/io.

import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MB = 1024 * 1024;

/** Imports test/support/big-app.ts, transpiled with the project's TypeScript (it imports node builtins only). */
export async function loadBigApp(dir) {
  const ts = createRequire(import.meta.url)("typescript");
  const source = readFileSync(path.join(ROOT, "test", "support", "big-app.ts"), "utf8");
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } });
  const file = path.join(dir, "big-app.mjs");
  writeFileSync(file, outputText);
  return import(pathToFileURL(file).href);
}

/** What the daemon did before: cpSync entry by entry, on its own thread. */
function oldSnapshot(IgnoreList, sourceDir, targetDir) {
  const ignore = IgnoreList.load(sourceDir);
  mkdirSync(targetDir, { recursive: true });
  for (const name of readdirSync(sourceDir)) {
    if (ignore.ignores(name)) continue;
    cpSync(path.join(sourceDir, name), path.join(targetDir, name), {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => !ignore.ignores(path.relative(sourceDir, src).split(path.sep).join("/")),
    });
  }
}

function writeBytes() {
  if (!existsSync("/proc/self/io")) return 0;
  return Number(/write_bytes: (\d+)/.exec(readFileSync("/proc/self/io", "utf8"))?.[1] ?? 0);
}

/** Runs `work`, measuring wall time, write_bytes and the longest gap between 1 ms timer ticks (a blocked loop). */
async function measure(work) {
  execFileSync("sync"); // earlier steps' dirty pages are not this step's cost
  let last = performance.now();
  let stall = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 1);
  const written = writeBytes();
  const t0 = performance.now();
  await work();
  const ms = performance.now() - t0;
  await new Promise((resolve) => setTimeout(resolve, 2));
  clearInterval(timer);
  stall = Math.max(stall, performance.now() - last);
  return { ms, writeBytes: writeBytes() - written, stallMs: stall };
}

/** Bench section: old vs new snapshot of the generated app, first release and an unchanged second one. */
export async function snapshotSection(_options, results) {
  const dir = mkdtempSync(path.join(tmpdir(), "slipway-bench-snapshot-"));
  try {
    const { createBigApp, newDiskBytes } = await loadBigApp(dir);
    const { snapshotRelease } = await import(pathToFileURL(path.join(ROOT, "dist", "release", "snapshot.js")).href);
    const { IgnoreList } = await import(pathToFileURL(path.join(ROOT, "dist", "release", "ignore.js")).href);
    const app = path.join(dir, "app");
    const big = createBigApp(app);
    console.log(
      `\n## Release intake: snapshot of a generated app (${big.files.toLocaleString("en")} files, ${(big.bytes / MB).toFixed(0)} MB, ${big.symlinks} symlinks)`,
    );
    const release = (name) => path.join(app, ".slipway", "releases", name);
    const runs = {
      old1: await measure(() => oldSnapshot(IgnoreList, app, release("old-1"))),
      old2: await measure(() => oldSnapshot(IgnoreList, app, release("old-2"))),
      new1: await measure(() => snapshotRelease(app, release("1"))),
      new2: await measure(() => snapshotRelease(app, release("2"), { previous: release("1") })),
    };
    runs.old1.diskBytes = newDiskBytes(release("old-1"));
    runs.old2.diskBytes = newDiskBytes(release("old-2"), release("old-1"));
    runs.new1.diskBytes = newDiskBytes(release("1"));
    runs.new2.diskBytes = newDiskBytes(release("2"), release("1"));
    const rows = [
      ["old: cpSync, 1st release", runs.old1],
      ["old: cpSync, 2nd release (unchanged)", runs.old2],
      ["new: async, 1st release (copies)", runs.new1],
      ["new: async, 2nd release (links)", runs.new2],
    ];
    const width = Math.max(...rows.map((r) => r[0].length));
    console.log(
      `${"".padEnd(width)}  ${"time ms".padStart(8)}  ${"new disk MB".padStart(11)}  ${"write_bytes MB".padStart(14)}  ${"longest stall ms".padStart(16)}`,
    );
    for (const [label, r] of rows) {
      console.log(
        `${label.padEnd(width)}  ${r.ms.toFixed(0).padStart(8)}  ${(r.diskBytes / MB).toFixed(1).padStart(11)}  ${(r.writeBytes / MB).toFixed(1).padStart(14)}  ${r.stallMs.toFixed(0).padStart(16)}`,
      );
    }
    const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(1)}x` : "all");
    console.log(
      `2nd release: ${ratio(runs.old2.ms, runs.new2.ms)} faster, ${(runs.old2.diskBytes / MB).toFixed(1)} MB of new disk data against ${(runs.new2.diskBytes / MB).toFixed(2)} MB; ` +
        `longest event-loop stall ${runs.old2.stallMs.toFixed(0)} ms old, ${runs.new2.stallMs.toFixed(0)} ms new (1st release: ${runs.old1.stallMs.toFixed(0)} vs ${runs.new1.stallMs.toFixed(0)} ms)`,
    );
    results.snapshot = { files: big.files, bytes: big.bytes, ...runs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await snapshotSection({}, {});
