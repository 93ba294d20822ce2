// npm run demo: deploys examples/hello at v1 on the embedded default, then v2
// under continuous load, and prints requests sent, failed and the rollout time.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startLoad } from "../dist/load/load-generator.js";

const repo = fileURLToPath(new URL("..", import.meta.url));
const cli = join(repo, "dist/cli/main.js");
const dir = mkdtempSync(join(tmpdir(), "slipway-demo-"));
const port = await freePort();

// The app imports slipway/health: link node_modules/slipway to this checkout
// (absolute, so the release snapshots, which copy symlinks verbatim, resolve it).
cpSync(join(repo, "examples/hello"), dir, { recursive: true, filter: (src) => !/[/\\](node_modules|\.slipway)$/.test(src) });
mkdirSync(join(dir, "node_modules"));
symlinkSync(repo, join(dir, "node_modules/slipway"), "dir");
const config = readFileSync(join(dir, "slipway.yaml"), "utf8").replace("127.0.0.1:8080", `127.0.0.1:${port}`);
writeFileSync(join(dir, "slipway.yaml"), config);

// Async on purpose: the load generator shares this event loop.
const slipway = async (...args) => {
  console.log(`\n$ slipway ${args.join(" ")}`);
  const child = spawn(process.execPath, [cli, ...args], { cwd: dir, stdio: "inherit" });
  const code = await new Promise((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`slipway ${args.join(" ")} exited with ${code}`);
};

try {
  console.log(`demo project in ${dir}; the router listens on http://127.0.0.1:${port}`);
  await slipway("deploy", "--version", "v1");
  console.log(`\nstarting load: 200 req/s over 8 keep-alive connections`);
  const load = startLoad({ url: `http://127.0.0.1:${port}/`, rate: 200, concurrency: 8 });
  await sleep(1000);
  const t0 = Date.now();
  await slipway("deploy", "--version", "v2");
  const rollout = Date.now() - t0;
  await sleep(1000);
  const r = await load.stop();
  await slipway("status");
  console.log(`\n=== demo result ===`);
  console.log(`rollout v1 -> v2 (3 replicas, rolling): ${(rollout / 1000).toFixed(1)}s`);
  console.log(`requests sent: ${r.sent}, failed: ${r.failed}, over ${(r.durationMs / 1000).toFixed(1)}s`);
  console.log(`responses by version: ${JSON.stringify(r.versions)}`);
  const last = r.timeline.slice(-50).map((t) => t.version);
  console.log(`last 50 responses all from v2: ${last.every((v) => v === "v2")}`);
  if (r.failed) console.log(`failures: ${r.failures.slice(0, 5).join("; ")}`);
  process.exitCode = r.failed === 0 ? 0 : 1;
} finally {
  try {
    execFileSync(process.execPath, [cli, "down"], { cwd: dir, stdio: "inherit" });
  } catch {
    // already down
  }
  rmSync(dir, { recursive: true, force: true });
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
