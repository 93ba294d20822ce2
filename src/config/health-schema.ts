/**
 * The `health` section: startup, readiness and liveness probes, modelled on
 * Kubernetes probes. Each probe has exactly one check: http, tcp or exec.
 */
import { z } from "zod";
import * as d from "./defaults.js";
import { command, duration, exactlyOne, port, positiveInt, says, typed, urlPath } from "./fields.js";

const httpCheck = typed(
  z.union(
    [
      urlPath(),
      z
        .strictObject({
          path: urlPath().describe("Request path, e.g. /health."),
          port: port().optional().describe("Port to probe instead of the instance's own port."),
        })
        .describe("Long form of an http check."),
    ],
    says('must be a path like /health, or a mapping with "path" and "port"'),
  ),
  "path or {path, port}",
);

const tcpCheck = typed(
  z.union(
    [
      z.literal(true),
      z
        .strictObject({ port: port().optional().describe("Port to connect to instead of the instance's own port.") })
        .describe("Long form of a tcp check."),
    ],
    says("must be true or a mapping with a port"),
  ),
  "true or {port}",
);

/** One probe: exactly one check (http, tcp or exec) plus timing and thresholds. */
export const probeSchema = typed(
  z
    .strictObject({
      http: httpCheck.optional().describe("HTTP GET against the instance; healthy on a 2xx or 3xx answer. A path, or {path, port}."),
      tcp: tcpCheck.optional().describe("Healthy when a TCP connection opens. `true`, or {port}."),
      exec: command().optional().describe("Command run in the app's directory; healthy when it exits 0."),
      initialDelay: duration()
        .prefault(d.DEFAULT_PROBE_INITIAL_DELAY)
        .describe("Wait this long after the instance starts before the first check."),
      interval: duration().prefault(d.DEFAULT_PROBE_INTERVAL).describe("Time between checks."),
      timeout: duration().prefault(d.DEFAULT_PROBE_TIMEOUT).describe("A check slower than this counts as a failure."),
      successThreshold: positiveInt()
        .default(d.DEFAULT_PROBE_SUCCESS_THRESHOLD)
        .describe("Consecutive successes needed to count as healthy. Must be 1 for startup and liveness probes."),
      failureThreshold: positiveInt()
        .default(d.DEFAULT_PROBE_FAILURE_THRESHOLD)
        .describe("Consecutive failures needed to count as unhealthy."),
    })
    .superRefine(...exactlyOne(["http", "tcp", "exec"])),
  "probe",
);

function probe(what: string) {
  return probeSchema.optional().describe(what);
}

/** Schema of the `health` section. */
export const healthSchema = z
  .strictObject({
    startup: probe(
      "Gates the other probes until the app has started; an instance that never passes it is replaced. Use a high failureThreshold for slow starters.",
    ),
    readiness: probe("Decides whether an instance receives traffic; a deploy waits for new instances to be ready."),
    liveness: probe("Restarts an instance that stops answering."),
  })
  .prefault({})
  .describe("Health probes. Without probes an instance counts as ready as soon as its process is running.");
