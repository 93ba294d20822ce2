// A small app deployed by Slipway: reports its version, serves liveness
// (/health), readiness (/health/ready) and a detailed report
// (/health/detailed) with slipway/health, and shuts down gracefully: on
// SIGTERM readiness fails at once, it keeps serving for SHUTDOWN_DELAY_MS so
// the router stops sending, then finishes in-flight requests and exits.
import { createServer } from "node:http";
import { createHealth, gracefulShutdown, nodeHandler } from "slipway/health";
import { env } from "./env.js"; // validated at startup: every problem listed, then exit 1

const version = process.env.APP_VERSION ?? process.env.SLIPWAY_VERSION ?? "dev";
const instance = process.env.SLIPWAY_INSTANCE ?? "local";
// For trying failure paths: BROKEN=health fails liveness and readiness forever,
// BROKEN=crash exits 1 second after start, BROKEN=hang never answers the other
// requests (a stuck dependency), FAIL_RATE=0.3 answers 500 to 30% of them (a faulty canary).
const broken = process.env.BROKEN ?? "";
const failRate = Number(process.env.FAIL_RATE ?? 0);
let served = 0;

const health = createHealth({
  version,
  checks: [
    {
      name: "self",
      check: () => {
        if (broken === "health") throw new Error("BROKEN=health");
      },
    },
  ],
  alive: () => broken !== "health",
});

const app = (req, res) => {
  if (broken === "hang") return; // the router's response timeout answers 504
  // Deterministic share: every request whose running count crosses a multiple of 1/failRate fails.
  served++;
  if (failRate > 0 && Math.floor(served * failRate) !== Math.floor((served - 1) * failRate)) {
    res.writeHead(500, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "injected failure", version, instance }));
    return;
  }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ message: env.GREETING, version, instance }));
};

const server = createServer(nodeHandler(health, app));
server.listen(env.PORT, "127.0.0.1", () => {
  console.log(`hello ${version} (${instance}) listening on 127.0.0.1:${env.PORT} (log level ${env.LOG_LEVEL})`);
});

if (broken === "crash") setTimeout(() => process.exit(1), 1000);

// shutdownDelay > readiness interval × failureThreshold in slipway.yaml; timeout < app.shutdown.timeout.
gracefulShutdown({
  server,
  health,
  shutdownDelay: Number(process.env.SHUTDOWN_DELAY_MS ?? 2000),
  timeout: Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 9000),
  log: (line) => console.log(`hello ${version} (${instance}) ${line}`),
});
