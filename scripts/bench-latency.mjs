// Added latency with microsecond resolution: an open-loop client sends a
// fixed rate (requests are sent when due, whether or not earlier ones have
// answered, so slow answers are not hidden) over keep-alive connections and
// times every request with process.hrtime. autocannon reports whole
// milliseconds, too coarse for "p99 added latency under 1 ms".
import http from "node:http";
import { performance } from "node:perf_hooks";
import { startRole, startRouterProcess } from "./bench.mjs";

const HOST = "127.0.0.1";
export const PRECISE_RATE = 1_000;

async function measure(port, seconds, rate = PRECISE_RATE, connections = 10) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const micros = [];
  let errors = 0;
  const total = rate * seconds;
  const started = performance.now();
  let sent = 0;
  let done = 0;
  await new Promise((resolve) => {
    const fire = () => {
      const t0 = process.hrtime.bigint();
      const req = http.get({ host: HOST, port, path: "/", agent }, (res) => {
        res.resume();
        res.on("end", () => {
          if (res.statusCode === 200) micros.push(Number(process.hrtime.bigint() - t0) / 1000);
          else errors++;
          if (++done === total) resolve();
        });
      });
      req.on("error", () => {
        errors++;
        if (++done === total) resolve();
      });
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
      while (sent < due) {
        sent++;
        fire();
      }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  agent.destroy();
  micros.sort((a, b) => a - b);
  const q = (p) => micros[Math.min(micros.length - 1, Math.floor(p * micros.length))] ?? NaN;
  return { p50: q(0.5), p99: q(0.99), p999: q(0.999), errors, count: micros.length };
}

/** Bench section: p50/p99/p99.9 in µs at 1,000 req/s, direct vs through the router; the router's added latency. */
export async function preciseLatencySection(options, results) {
  const backend = await startRole("backend");
  const router = await startRouterProcess(backend.port);
  const seconds = options.quick ? 3 : 10;
  try {
    await measure(backend.port, 1);
    await measure(router.port, 1); // warm both paths
    const direct = await measure(backend.port, seconds);
    const routed = await measure(router.port, seconds);
    console.log(`\nAdded latency, µs resolution: open-loop ${PRECISE_RATE} req/s for ${seconds} s, 10 keep-alive connections`);
    const fmt = (v) => String(Math.round(v)).padStart(7);
    console.log(`                 p50 µs  p99 µs  p99.9 µs  errors`);
    console.log(`direct          ${fmt(direct.p50)} ${fmt(direct.p99)} ${fmt(direct.p999)}   ${direct.errors}`);
    console.log(`slipway router  ${fmt(routed.p50)} ${fmt(routed.p99)} ${fmt(routed.p999)}   ${routed.errors}`);
    const added = { p50: routed.p50 - direct.p50, p99: routed.p99 - direct.p99 };
    console.log(`router adds p50 ${Math.round(added.p50)} µs, p99 ${Math.round(added.p99)} µs (target: p99 under 1000 µs)`);
    results.preciseLatency = { direct, routed, added };
  } finally {
    await router.stop();
    await backend.stop();
  }
}
