// A realistic app with a ~100 MB node_modules, for the snapshot tests and the
// snapshot benchmark (scripts/bench-snapshot.mjs transpiles this file, so it
// imports node builtins only).
import { lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync, type Stats } from "node:fs";
import { dirname, join } from "node:path";

/** Large files every generated app has: bundled compilers, native binaries, engines. */
export const BIG_FILES: readonly { path: string; size: number; mode?: number }[] = [
  { path: "node_modules/typescript/lib/typescript.js", size: 9 << 20 },
  { path: "node_modules/typescript/lib/lib.dom.d.ts", size: 2 << 20 },
  { path: "node_modules/@esbuild/linux-x64/bin/esbuild", size: 10 << 20, mode: 0o755 },
  { path: "node_modules/@prisma/engines/libquery_engine-debian-openssl-3.0.x.so.node", size: 16 << 20 },
  { path: "node_modules/sharp/vendor/lib/libvips-cpp.so.42", size: 8 << 20 },
  { path: "node_modules/next/dist/compiled/webpack/bundle5.js", size: 4 << 20 },
];

export interface BigAppOptions {
  /** Packages in node_modules (default 360: about 100 MB with the big files). */
  packages?: number;
  /** Factor on the sizes of the {@link BIG_FILES} (default 1). */
  scale?: number;
  /** Seed of the generator: the same seed gives the same tree, byte for byte. */
  seed?: number;
}

/** What `createBigApp` wrote. */
export interface BigApp {
  files: number;
  bytes: number;
  symlinks: number;
  /** Relative paths of some files, for tests to change: an app source file, a package file, a big file. */
  samples: { source: string; packageFile: string; big: string; executable: string; symlink: string };
}

/**
 * Writes a deterministic Node app into `dir`: a few source files and a
 * node_modules of many packages (scoped ones, nested node_modules, many
 * small files from 200 B to 16 KB, source maps, `bin/` scripts with mode 755
 * linked from `node_modules/.bin`) plus the {@link BIG_FILES}. About 100 MB
 * and 20,000 files with the defaults; about a second to write.
 *
 * @example
 * const app = createBigApp(dir); // { files: 25012, bytes: 104857600, ... }
 */
export function createBigApp(dir: string, options: BigAppOptions = {}): BigApp {
  const random = mulberry32(options.seed ?? 1);
  const text = baseText(random);
  const app: BigApp = {
    files: 0,
    bytes: 0,
    symlinks: 0,
    samples: {
      source: "src/routes/route-3.js",
      packageFile: "",
      big: BIG_FILES[0]!.path,
      executable: BIG_FILES[2]!.path,
      symlink: "",
    },
  };
  const made = new Set<string>();
  const write = (path: string, size: number, mode = 0o644): void => {
    const parent = dirname(join(dir, path));
    if (!made.has(parent)) {
      mkdirSync(parent, { recursive: true });
      made.add(parent);
    }
    writeFileSync(join(dir, path), content(text, path, size, random), { mode });
    app.files++;
    app.bytes += size;
  };
  const link = (target: string, path: string): void => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    symlinkSync(target, join(dir, path));
    app.symlinks++;
  };

  write("package.json", 900);
  write("server.js", 3_000);
  for (let i = 0; i < 40; i++) write(`src/routes/route-${i}.js`, 800 + Math.floor(random() * 4_000));
  for (let i = 0; i < 20; i++) write(`public/assets/img-${i}.png`, 5_000 + Math.floor(random() * 60_000));
  for (let p = 0; p < (options.packages ?? 360); p++) {
    const name = p % 4 === 3 ? `@scope-${p % 7}/pkg-${p}` : `pkg-${p}`;
    const root = `node_modules/${name}`;
    writePackage(root, random, write);
    if (p % 10 === 0) {
      write(`${root}/bin/cli.js`, 1_500, 0o755);
      link(`../${name}/bin/cli.js`, `node_modules/.bin/cli-${p}`);
      if (!app.samples.symlink) app.samples.symlink = `node_modules/.bin/cli-${p}`;
    }
    // npm nests a dependency when two versions of it are needed.
    if (p % 9 === 0) writePackage(`${root}/node_modules/dep-${p}`, random, write);
    if (!app.samples.packageFile) app.samples.packageFile = `${root}/lib/index.js`;
  }
  for (const big of BIG_FILES) write(big.path, Math.round(big.size * (options.scale ?? 1)), big.mode);
  return app;
}

/** One package: metadata, docs, an entry point and a nested lib/ of small modules with a few source maps. */
function writePackage(root: string, random: () => number, write: (path: string, size: number, mode?: number) => void): void {
  write(`${root}/package.json`, 400 + Math.floor(random() * 1_200));
  write(`${root}/README.md`, 1_000 + Math.floor(random() * 9_000));
  write(`${root}/LICENSE`, 1_070);
  write(`${root}/lib/index.js`, 300 + Math.floor(random() * 3_000));
  const modules = 8 + Math.floor(random() * 50);
  for (let m = 0; m < modules; m++) {
    const depth = Math.floor(random() * 3);
    const folder = ["lib", "lib/internal", "lib/internal/utils"][depth]!;
    const size = Math.floor(200 * Math.pow(50, random())); // 200 B to 10 KB, most of them small
    write(`${root}/${folder}/module-${m}.js`, size);
    if (m % 3 === 0) write(`${root}/${folder}/module-${m}.d.ts`, Math.floor(size / 3) + 100);
    if (m % 12 === 0) write(`${root}/${folder}/module-${m}.js.map`, size * 4);
  }
}

/** 1 MiB of JavaScript-looking text every file is cut from (cheap: no per-byte randomness per file). */
function baseText(random: () => number): Buffer {
  const words = [
    "const",
    "function",
    "return",
    "module.exports",
    "require(",
    "async",
    "await",
    "=>",
    "{",
    "}",
    ";\n",
    "if",
    "value",
    "options",
    "this.",
  ];
  const parts: string[] = [];
  let length = 0;
  while (length < 1 << 20) {
    const word = words[Math.floor(random() * words.length)]!;
    const token = `${word}${Math.floor(random() * 1000)} `;
    parts.push(token);
    length += token.length;
  }
  return Buffer.from(parts.join("")).subarray(0, 1 << 20);
}

/** `size` bytes: the file's path (so no two files are equal) then slices of the base text at seeded offsets. */
function content(text: Buffer, path: string, size: number, random: () => number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let at = out.write(`// ${path}\n`.slice(0, size));
  while (at < size) {
    const start = Math.floor(random() * (text.length - 4096));
    at += text.copy(out, at, start, Math.min(text.length, start + (size - at)));
  }
  return out;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Disk space (allocated blocks, as `du` counts them) of the regular files
 * under `dir` whose inodes do not also appear under `shared`: the data a
 * snapshot really wrote when `shared` is the snapshot it linked from.
 *
 * @example
 * newDiskBytes(release2, release1); // 45056: only the changed files
 */
export function newDiskBytes(dir: string, shared?: string): number {
  const sharedInodes = new Set<number>();
  if (shared) walkFiles(shared, (st) => sharedInodes.add(st.ino));
  const counted = new Set<number>();
  let bytes = 0;
  walkFiles(dir, (st) => {
    if (sharedInodes.has(st.ino) || counted.has(st.ino)) return;
    counted.add(st.ino);
    bytes += st.blocks * 512;
  });
  return bytes;
}

function walkFiles(dir: string, visit: (st: Stats) => void): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) walkFiles(path, visit);
    else if (e.isFile()) visit(lstatSync(path));
  }
}
