// Fault benchmarks: requests failed while the daemon is SIGKILLed and comes
// back by itself (target 0), and while the router process is SIGKILLed and
// restarted by the daemon; under a steady 200 req/s keep-alive load against
// examples/hello (3 replicas) on the embedded default.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { freePort, ROOT, slipway } from "./bench-support.mjs";

export const FAULT_LOAD_RATE = 200;

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function daemonPid(dir) {
  try {
    return Number(readFileSync(path.join(dir, ".slipway", "daemon.pid"), "utf8"));
  } catch {
    return 0;
  }
}

function routerPid(dir) {
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " ").includes(`routerd/main.js --root ${dir}`))
        return Number(name);
    } catch {
      /* gone */
    }
  }
  return 0;
}

async function until(what, fn, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn().catch(() => false)) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Bench section: SIGKILL of the daemon, then of the router, under a steady
 * keep-alive load. Reports failed requests and how long until the killed
 * process was serving again (daemon: its API answers and every adopted
 * instance is ready; router: a request through a new connection succeeds).
 */
export async function faultSection(_options, results) {
  console.log(`\n## Faults under ${FAULT_LOAD_RATE} req/s (examples/hello, 3 replicas, embedded default)`);
  const { startLoad } = await import(pathToFileURL(path.join(ROOT, "dist", "load", "load-generator.js")).href);
  const dir = mkdtempSync(path.join(tmpdir(), "slipway-bench-faults-"));
  cpSync(path.join(ROOT, "examples", "hello"), dir, { recursive: true, filter: (src) => !/[/\\](node_modules|\.slipway)$/.test(src) });
  mkdirSync(path.join(dir, "node_modules"));
  symlinkSync(ROOT, path.join(dir, "node_modules", "slipway"), "dir");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const config = readFileSync(path.join(dir, "slipway.yaml"), "utf8").replace("127.0.0.1:8080", `127.0.0.1:${port}`);
  writeFileSync(path.join(dir, "slipway.yaml"), config);
  const rows = [];
  try {
    await slipway(dir, "deploy", "--version", "v1");
    for (const victim of ["daemon", "router"]) {
      const load = startLoad({ url, rate: FAULT_LOAD_RATE, concurrency: 8 });
      await sleep(2_000);
      const pid = victim === "daemon" ? daemonPid(dir) : routerPid(dir);
      const t0 = performance.now();
      process.kill(pid, "SIGKILL");
      if (victim === "daemon") {
        await until("a new daemon", async () => daemonPid(dir) !== pid && isAlive(daemonPid(dir)));
        await until("the adopted instances to be ready", async () => {
          const s = JSON.parse(await slipway(dir, "status", "--json"));
          return s.instances.length === 3 && s.instances.every((i) => i.state === "ready");
        });
      } else {
        await until("a new router", async () => routerPid(dir) !== 0 && routerPid(dir) !== pid);
        await until("the new router to serve", async () => (await globalThis.fetch(url, { headers: { connection: "close" } })).ok);
      }
      const backMs = performance.now() - t0;
      await sleep(2_000);
      const report = await load.stop();
      rows.push({ victim, backMs, sent: report.sent, failed: report.failed, failures: report.failures.slice(0, 3) });
    }
  } finally {
    await slipway(dir, "down").catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log("SIGKILL of    requests  failed  serving again after");
  for (const r of rows)
    console.log(
      `${r.victim.padEnd(12)}  ${String(r.sent).padStart(8)}  ${String(r.failed).padStart(6)}  ${r.backMs.toFixed(0).padStart(6)} ms`,
    );
  const daemon = rows.find((r) => r.victim === "daemon");
  console.log(`daemon crash outage: ${daemon.failed} failed requests (target 0)`);
  results.faults = rows;
}
