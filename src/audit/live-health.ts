import type { Finding } from "./types.js";
import { isFailure, type LiveClient, type LiveResponse } from "./live-client.js";
import type { RuleId } from "./rules.js";

/**
 * Tried in this order when no --health-path is given; the first that does not answer 404 is
 * graded. `/health` is Slipway's own default (createHealth), `/healthz` and `/readyz` the
 * Kubernetes habit.
 */
export const HEALTH_PATHS = ["/health", "/healthz", "/readyz"] as const;

/**
 * Finds and grades the health endpoint: SW8002 (missing, failing or unreachable), SW8003 (not
 * JSON), SW8004 (slower than `slowMs`). Paths are resolved against `base` (a leading `/` starts
 * at the host root). Sends at most `paths.length` requests.
 *
 * @example
 * await checkHealth(client, new URL("https://staging.example.com/"), HEALTH_PATHS, 1000);
 * // [{ rule: "SW8004", file: "https://staging.example.com/health", line: 0, message: "answered in 1503 ms (threshold 1000 ms)" }]
 */
export async function checkHealth(client: LiveClient, base: URL, paths: readonly string[], slowMs: number): Promise<Finding[]> {
  for (const [i, path] of paths.entries()) {
    const url = new URL(path, base).href;
    const reply = await client.get(url, { body: true });
    const at = (rule: RuleId, message: string): Finding[] => [{ rule, file: url, line: 0, message }];
    if (isFailure(reply)) return at("SW8002", `GET ${url}: ${reply.error}`);
    if (reply.status === 404 && i < paths.length - 1) continue;
    if (reply.status === 404 && paths.length > 1)
      return [{ rule: "SW8002", file: base.href, line: 0, message: `no health endpoint: ${paths.join(", ")} all answered 404` }];
    if (reply.status < 200 || reply.status > 299) {
      const location = reply.headers.get("location");
      return at("SW8002", `GET ${url} answered ${reply.status}${location === null ? "" : ` (redirect to ${location})`}`);
    }
    return [
      ...jsonProblem(reply).flatMap((m) => at("SW8003", m)),
      ...(reply.ms > slowMs ? at("SW8004", `answered in ${Math.round(reply.ms)} ms (threshold ${slowMs} ms)`) : []),
    ];
  }
  return [];
}

/** Why a health answer is not JSON (content type and body both count), or nothing. */
function jsonProblem(reply: LiveResponse): string[] {
  const type = reply.headers.get("content-type") ?? "";
  const jsonType = /^\s*application\/([\w.-]+\+)?json\s*(;|$)/i.test(type);
  let parsed = false;
  let error = "";
  try {
    JSON.parse(reply.body ?? "");
    parsed = true;
  } catch (err) {
    error = reply.truncated ? "body longer than 64 KiB" : (err as Error).message;
  }
  if (jsonType && parsed) return [];
  if (jsonType) return [`Content-Type is ${type.trim()} but the body is not valid JSON (${error})`];
  if (parsed) return [`the body is JSON but Content-Type is ${type.trim() || "missing"}, not application/json`];
  return [`answers ${type.trim() || "without a Content-Type"}, not JSON`];
}
