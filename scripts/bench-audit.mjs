#!/usr/bin/env node
// Times `slipway audit` over a generated repository of 10,000 files. Run after `npm run build`:
//
//   node scripts/bench-audit.mjs            # 10,000 files, 3 runs
//   node scripts/bench-audit.mjs 50000 5    # FILES RUNS
//
// The tree mixes TypeScript sources (~2 KB each), JSON, YAML, Dockerfiles and
// .dockerignore files and a root package.json, plus an ignored dist/ and a node_modules/ that must be skipped.
// Reports wall time of the whole CLI process (Node start-up included) and the
// audit's own time (durationMs in --format json).

import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const FILES = Number(process.argv[2] ?? 10_000);
const RUNS = Number(process.argv[3] ?? 3);
const CLI = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));

const root = mkdtempSync(path.join(tmpdir(), "slipway-bench-audit-"));
const source = Array.from({ length: 60 }, (_, i) => `export const value${i} = compute(${i}, "some string literal ${i}");`).join("\n");
const dockerfile = `FROM node:20.11-slim AS build\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\n\nFROM node:20.11-slim\nWORKDIR /app\nCOPY --from=build /app/dist ./dist\nUSER node\nHEALTHCHECK CMD ["node", "h.js"]\nCMD ["node", "dist/s.js"]\n`;
writeFileSync(path.join(root, ".gitignore"), "dist/\n");
// A root package.json so the repository rules (SW7xxx: health route, env vars, logger...) scan every source file.
writeFileSync(
  path.join(root, "package.json"),
  JSON.stringify({ name: "bench", scripts: { test: "vitest run" }, dependencies: { pino: "9" } }),
);
writeFileSync(path.join(root, "package-lock.json"), "{}\n");
for (const ignored of ["dist", "node_modules/pkg"]) {
  mkdirSync(path.join(root, ignored), { recursive: true });
  for (let i = 0; i < 500; i++) writeFileSync(path.join(root, ignored, `f${i}.js`), source);
}
let written = 1;
for (let d = 0; written < FILES; d++) {
  const dir = path.join(root, "packages", `pkg${d}`, "src");
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < 100 && written < FILES; i++, written++) {
    const kind = i < 2 ? i : (i % 25) + 2;
    if (kind === 0) writeFileSync(path.join(dir, "Dockerfile"), dockerfile);
    else if (kind === 1) writeFileSync(path.join(dir, ".dockerignore"), ".git\nnode_modules\n.env\n");
    else if (kind === 4) writeFileSync(path.join(dir, `config${i}.yaml`), "name: app\nreplicas: 3\nlisten: :8080\n");
    else if (kind === 5) writeFileSync(path.join(dir, `data${i}.json`), JSON.stringify({ i, items: [1, 2, 3] }));
    else writeFileSync(path.join(dir, `module${i}.ts`), source);
  }
}

const wall = [];
const own = [];
let findings = 0;
let scanned = 0;
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now();
  const res = spawnSync(process.execPath, [CLI, "audit", root, "--format", "json", "--fail-on", "none"], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  wall.push(performance.now() - t0);
  if (res.status !== 0) throw new Error(`slipway audit exited ${res.status}: ${res.stderr}`);
  const report = JSON.parse(res.stdout);
  own.push(report.durationMs);
  findings = report.findings.length;
  scanned = report.filesScanned;
}
rmSync(root, { recursive: true, force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`slipway audit: ${scanned} files scanned (${FILES} generated + 1000 ignored), ${findings} findings`);
console.log(
  `  wall time (whole CLI process): median ${median(wall).toFixed(0)} ms, best ${Math.min(...wall).toFixed(0)} ms over ${RUNS} runs`,
);
console.log(`  audit time (durationMs):       median ${median(own)} ms, best ${Math.min(...own)} ms`);
