// Added latency through the router during a deploy and a rollback of an app
// with a ~100 MB node_modules (test/support/big-app.ts): an open-loop client
// sends 200 req/s over keep-alive connections and times every request with
// process.hrtime, first for a quiet stretch, then while `slipway deploy` and
// `slipway rollback` run. Every figure comes from the same run.
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { loadBigApp } from "./bench-snapshot.mjs";
import { freePort, ROOT, slipway } from "./bench-support.mjs";

export const DEPLOY_LOAD_RATE = 200;
/** Target from issue 10: the router adds at most this much during a deploy. */
export const DEPLOY_MAX_ADDED_MS = 50;

/** An open-loop load: requests leave when due, answered or not; `stop()` gives every latency in µs. */
function openLoop(port, rate, connections = 8) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const micros = [];
  let errors = 0;
  let sent = 0;
  let inFlight = 0;
  const started = performance.now();
  let stopped = false;
  let drained = () => {};
  const fire = () => {
    inFlight++;
    const t0 = process.hrtime.bigint();
    const done = (ok) => {
      if (ok) micros.push(Number(process.hrtime.bigint() - t0) / 1000);
      else errors++;
      if (--inFlight === 0 && stopped) drained();
    };
    http
      .get({ host: "127.0.0.1", port, path: "/", agent }, (res) => {
        res.resume();
        res.on("end", () => done(res.statusCode === 200));
      })
      .on("error", () => done(false));
  };
  const tick = () => {
    if (stopped) return;
    const due = Math.floor(((performance.now() - started) * rate) / 1000) + 1;
    while (sent < due) {
      sent++;
      fire();
    }
    setTimeout(tick, 1);
  };
  tick();
  return {
    stop: async () => {
      stopped = true;
      if (inFlight > 0) await new Promise((r) => (drained = r));
      agent.destroy();
      micros.sort((a, b) => a - b);
      const q = (p) => micros[Math.min(micros.length - 1, Math.floor(p * micros.length))] ?? NaN;
      return { count: micros.length, errors, p50: q(0.5), p99: q(0.99), p999: q(0.999), max: micros.at(-1) ?? NaN };
    },
  };
}

/** Bench section: p50/p99/p99.9/max at 200 req/s, quiet vs during a deploy and a rollback of the 100 MB app. */
export async function deployLatencySection(_options, results) {
  console.log(`\n## Latency through the router during a deploy of a 100 MB-node_modules app (${DEPLOY_LOAD_RATE} req/s, open loop)`);
  const dir = mkdtempSync(path.join(tmpdir(), "slipway-bench-deploy-"));
  const scratch = mkdtempSync(path.join(tmpdir(), "slipway-bench-bigapp-"));
  try {
    cpSync(path.join(ROOT, "examples", "hello"), dir, { recursive: true, filter: (src) => !/[/\\](node_modules|\.slipway)$/.test(src) });
    const { createBigApp } = await loadBigApp(scratch);
    // Only its node_modules: the app itself stays examples/hello.
    const big = createBigApp(path.join(scratch, "app"));
    renameSync(path.join(scratch, "app", "node_modules"), path.join(dir, "node_modules"));
    symlinkSync(ROOT, path.join(dir, "node_modules", "slipway"), "dir");
    const port = await freePort();
    const config = readFileSync(path.join(dir, "slipway.yaml"), "utf8").replace("127.0.0.1:8080", `127.0.0.1:${port}`);
    writeFileSync(path.join(dir, "slipway.yaml"), config);
    console.log(
      `examples/hello with a generated node_modules (${big.files} files, ${(big.bytes / 1024 / 1024).toFixed(0)} MB in all); 3 replicas, rolling`,
    );
    await slipway(dir, "deploy", "--version", "v1");

    const quiet = openLoop(port, DEPLOY_LOAD_RATE);
    await sleep(10_000);
    const idle = await quiet.stop();
    const busy = openLoop(port, DEPLOY_LOAD_RATE);
    const t0 = performance.now();
    await slipway(dir, "deploy", "--version", "v2");
    const deployMs = performance.now() - t0;
    await slipway(dir, "rollback");
    const during = await busy.stop();
    const rows = [
      ["quiet (10 s)", idle],
      [`deploy v2 + rollback (${((performance.now() - t0) / 1000).toFixed(0)} s)`, during],
    ];
    const ms = (us) => (us / 1000).toFixed(1).padStart(7);
    const width = Math.max(...rows.map((r) => r[0].length));
    console.log(`${"".padEnd(width)}  requests  failed   p50 ms   p99 ms p99.9 ms   max ms`);
    for (const [label, r] of rows)
      console.log(
        `${label.padEnd(width)}  ${String(r.count + r.errors).padStart(8)}  ${String(r.errors).padStart(6)}  ${ms(r.p50)}  ${ms(r.p99)}  ${ms(r.p999)}  ${ms(r.max)}`,
      );
    const addedMax = (during.max - idle.max) / 1000;
    const addedP999 = (during.p999 - idle.p999) / 1000;
    console.log(
      `a deploy adds p99.9 ${addedP999.toFixed(1)} ms and max ${addedMax.toFixed(1)} ms (target: max under ${DEPLOY_MAX_ADDED_MS} ms); deploy took ${(deployMs / 1000).toFixed(1)} s`,
    );
    results.deployLatency = { idle, during, deployMs, addedMaxMs: addedMax, addedP999Ms: addedP999 };
  } finally {
    await slipway(dir, "down").catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}
