// HTTPS at the edge: Slipway's router against nginx and Caddy terminating TLS
// in front of the same backend (one core each: nginx one worker, Caddy
// GOMAXPROCS=1, the router is one Node thread), HTTP/1.1 and HTTP/2 with
// h2load, and new TLS connections per second with wrk (Connection: close).
// Every figure comes from one run of this section, so ratios compare like
// with like on this machine at that moment.
import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  findNginx,
  freePort,
  printTable,
  processTree,
  cpuSeconds,
  startNginx,
  startRole,
  startRouterProcess,
  stopChild,
  waitForPort,
} from "./bench.mjs";

const HOST = "127.0.0.1";
const CONNECTIONS = 50;
/** Concurrent streams per HTTP/2 connection in the h2 runs. */
const STREAMS = 10;

function have(cmd) {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function certificates(dir) {
  const cert = path.join(dir, "bench.pem");
  const key = path.join(dir, "bench.key");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "2"].concat([
      "-subj",
      "/CN=bench.test",
      "-addext",
      "subjectAltName=DNS:bench.test",
    ]),
    { stdio: "ignore" },
  );
  return { cert, key };
}

async function startCaddy(dir, backendPort, tls) {
  const port = await freePort();
  const file = path.join(dir, "Caddyfile");
  await writeFile(
    file,
    `{\n  admin off\n  auto_https off\n  default_sni bench.test\n  storage file_system ${dir}/caddy\n}\nhttps://bench.test:${port}, https://${HOST}:${port} {\n  bind ${HOST}\n  tls ${tls.cert} ${tls.key}\n  log {\n    output discard\n  }\n  reverse_proxy ${HOST}:${backendPort}\n}\n`,
  );
  const child = spawn("caddy", ["run", "--config", file, "--adapter", "caddyfile"], {
    stdio: ["ignore", "ignore", "ignore"],
    env: { ...process.env, GOMAXPROCS: "1", HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
  });
  await waitForPort(port, 10_000);
  return { port, child, stop: () => stopChild(child) };
}

/** One h2load run (HTTP/2, or HTTP/1.1 over TLS with `h1`): req/s and p99 ms from its per-request log. */
async function h2load(dir, port, { h1, duration }) {
  const log = path.join(dir, `h2load-${port}-${h1 ? "h1" : "h2"}.log`);
  const args = ["-c", String(CONNECTIONS), "-D", String(duration), "--warm-up-time=1", `--log-file=${log}`];
  args.push(...(h1 ? ["--h1", "-m", "1"] : ["-m", String(STREAMS)]), `https://${HOST}:${port}/`);
  const out = execFileSync("h2load", args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const rps = Number(/finished in [\d.]+\w*, ([\d.]+) req\/s/.exec(out)?.[1] ?? 0);
  const failed = Number(/(\d+) failed/.exec(out)?.[1] ?? 0);
  const errored = Number(/(\d+) errored/.exec(out)?.[1] ?? 0);
  // Answers that are not 2xx count as errors too (a proxy answering 502 fast is not fast).
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  const bad = codes ? Number(codes[2]) + Number(codes[3]) + Number(codes[4]) : 0;
  const durations = (await readFile(log, "utf8"))
    .trim()
    .split("\n")
    .map((line) => Number(line.split("\t")[2]))
    .filter((d) => Number.isFinite(d))
    .sort((a, b) => a - b);
  const p99 = durations.length ? durations[Math.floor(durations.length * 0.99)] / 1000 : null;
  return { rps, p99, errors: failed + errored + bad };
}

/** New TLS connections per second: wrk with `Connection: close`, so every request is a full handshake. */
function handshakes(port, duration) {
  const out = execFileSync("wrk", ["-t1", "-c", "20", "-d", `${duration}s`, "-H", "Connection: close", `https://${HOST}:${port}/`], {
    encoding: "utf8",
  });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  // connect, read, write and timeout errors: a failed handshake is not a handshake.
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((n, x) => n + Number(x), 0) : 0;
  return { rps, errors: non2xx + socketErrors };
}

async function measure(pid, run) {
  const pids = await processTree(pid);
  const before = await cpuSeconds(pids);
  const t0 = Date.now();
  const result = await run();
  const after = await cpuSeconds(pids);
  const seconds = (Date.now() - t0) / 1000;
  return { ...result, cpu: before === null || after === null ? null : ((after - before) / seconds) * 100 };
}

export async function tlsSection(options, results) {
  const missing = ["openssl", "h2load", "wrk"].filter((cmd) => !have(cmd));
  if (missing.length) {
    console.log(`\nHTTPS: skipped (missing ${missing.join(", ")}: apt-get install openssl nghttp2-client wrk)`);
    return;
  }
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-bench-tls-"));
  const tls = await certificates(dir);
  const backend = await startRole("backend");
  const subjects = [];
  try {
    const router = await startRouterProcess(backend.port, {
      tls: { listen: { host: HOST, port: 0 }, certificates: [tls], redirect: false },
    });
    subjects.push({ name: "slipway router", port: router.tlsPort, child: router.child, stop: router.stop });
    const nginx = await findNginx();
    if (nginx) subjects.push({ name: "nginx", ...(await startNginx(nginx, backend.port, tls)) });
    else console.log("note: nginx is not on PATH; skipping it (apt-get install nginx-light)");
    if (have("caddy")) subjects.push({ name: "caddy", ...(await startCaddy(dir, backend.port, tls)) });
    else console.log("note: caddy is not on PATH; skipping it (apt-get install caddy)");

    const rows = [];
    for (const s of subjects) {
      await h2load(dir, s.port, { h1: true, duration: 1 }); // warm: JIT, pools
      const h1 = await measure(s.child.pid, () => h2load(dir, s.port, { h1: true, duration: options.duration }));
      const h2 = await measure(s.child.pid, () => h2load(dir, s.port, { h1: false, duration: options.duration }));
      const hs = await measure(s.child.pid, () => handshakes(s.port, options.duration));
      rows.push({ name: s.name, h1, h2, hs });
      console.log(`  ${s.name}: https/1.1 ${Math.round(h1.rps)} req/s, h2 ${Math.round(h2.rps)} req/s, ${Math.round(hs.rps)} handshakes/s`);
    }
    const routed = rows.find((r) => r.name === "slipway router");
    console.log(
      `\nHTTPS through each proxy to one backend: ${CONNECTIONS} connections, ${options.duration} s per run; h2 with ${STREAMS} streams per connection; handshakes: wrk, 20 connections, Connection: close`,
    );
    const f = (n) => (n === null ? "n/a" : String(Math.round(n)));
    printTable(
      ["", "https/1.1 req/s", "p99 ms", "h2 req/s", "h2 p99 ms", "handshakes/s", "proxy CPU % (h2)", "errors", "router https/1.1 vs this"],
      rows.map((r) => [
        r.name,
        f(r.h1.rps),
        r.h1.p99?.toFixed(1) ?? "n/a",
        f(r.h2.rps),
        r.h2.p99?.toFixed(1) ?? "n/a",
        f(r.hs.rps),
        f(r.h2.cpu),
        r.h1.errors + r.h2.errors + r.hs.errors,
        r === routed ? "" : `${(routed.h1.rps / r.h1.rps).toFixed(2)}x`,
      ]),
    );
    console.log(`router: HTTP/2 ${(routed.h2.rps / routed.h1.rps).toFixed(2)}x the requests per second of HTTP/1.1 over TLS`);
    results.tls = { rows, h2VsH1: routed.h2.rps / routed.h1.rps };
  } finally {
    for (const s of subjects) await s.stop();
    await backend.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
