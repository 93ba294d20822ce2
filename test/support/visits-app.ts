import { expect } from "vitest";
import type { TestProject } from "./project.js";

/**
 * slipway.yaml of the visit counter (test/fixtures/visits-app), `data` shared
 * unless `shared` says otherwise; with `docker`, built from its Dockerfile.
 *
 * @example
 * TestProject.create((port) => visitsConfig(port, { docker: true, name: "swshared-1" }));
 */
export function visitsConfig(port: number, options: { name?: string; docker?: boolean; shared?: string } = {}): string {
  const app = options.docker
    ? "platform: docker\n" + `listen: 127.0.0.1:${port}\napp:\n  build: { context: ., dockerfile: Dockerfile }\n`
    : `listen: 127.0.0.1:${port}\napp:\n  command: ["node", "server.mjs"]\n`;
  return `name: ${options.name ?? "visits"}
${app}  replicas: 2
  shared: ${options.shared ?? "[data]"}
  shutdown: { signal: SIGTERM, timeout: 5s }
health:
  startup: { http: /health, interval: 100ms, failureThreshold: 100 }
  readiness: { http: /health, interval: 200ms, failureThreshold: 2 }
strategy:
  type: rolling
  rolling: { maxSurge: 1, maxUnavailable: 0, minReady: 100ms }
drain: { timeout: 5s }
progressDeadline: 30s
retain: 2
`;
}

/** One visit: the count the app keeps in data/visits.txt and the version that answered. */
export async function visit(p: TestProject): Promise<{ visits: number; version: string }> {
  const res = await p.get("/");
  expect(res.status).toBe(200);
  return JSON.parse(res.body) as { visits: number; version: string };
}
