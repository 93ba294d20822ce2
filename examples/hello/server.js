// A small app deployed by Slipway: reports its version, has /health, and
// shuts down gracefully (finishes in-flight requests on SIGTERM).
import { createServer } from "node:http";

const port = Number(process.env.PORT ?? 3000);
const version = process.env.APP_VERSION ?? process.env.SLIPWAY_VERSION ?? "dev";
const instance = process.env.SLIPWAY_INSTANCE ?? "local";
// For trying failure paths: BROKEN=health makes /health answer 503 forever,
// BROKEN=crash exits 1 second after start, FAIL_RATE=0.3 answers 500 to 30%
// of the other requests (a faulty canary).
const broken = process.env.BROKEN ?? "";
const failRate = Number(process.env.FAIL_RATE ?? 0);
let served = 0;

const server = createServer((req, res) => {
  if (req.url === "/health") {
    const ok = broken !== "health";
    res.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: ok ? "ok" : "fail", version }));
    return;
  }
  // Deterministic share: every request whose running count crosses a multiple of 1/failRate fails.
  served++;
  if (failRate > 0 && Math.floor(served * failRate) !== Math.floor((served - 1) * failRate)) {
    res.writeHead(500, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "injected failure", version, instance }));
    return;
  }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ message: "hello", version, instance }));
});

server.listen(port, "127.0.0.1", () => {
  console.log(`hello ${version} (${instance}) listening on 127.0.0.1:${port}`);
});

if (broken === "crash") setTimeout(() => process.exit(1), 1000);

process.on("SIGTERM", () => {
  console.log(`hello ${version} (${instance}) shutting down`);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 10_000).unref();
});
