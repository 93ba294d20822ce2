/**
 * Gates shared by canary and blue-green: metric analysis (error rate,
 * latency, comparison with the stable release) and checks (an HTTP request or
 * a command). Percentages normalize to fractions: `1%` becomes 0.01.
 */
import { z } from "zod";
import * as d from "./defaults.js";
import { command, duration, exactlyOne, httpUrl, percent, says, typed, urlPath, wholeNumber } from "./fields.js";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

const httpRequest = z
  .strictObject({
    url: httpUrl().optional().describe("Absolute http(s) URL to request. Give either url or path."),
    path: urlPath().optional().describe("Path requested from the new release, e.g. /health. Give either url or path."),
    method: z.enum(METHODS).default(d.DEFAULT_CHECK_METHOD).describe("HTTP method."),
    expectStatus: z
      .int(says("must be an HTTP status code"))
      .min(100, says("must be an HTTP status code"))
      .max(599, says("must be an HTTP status code"))
      .default(d.DEFAULT_CHECK_EXPECT_STATUS)
      .describe("Status code that counts as a pass."),
  })
  .superRefine(...exactlyOne(["url", "path"]));

/** One check: `{ http: {...} }` or `{ run: "command" }`. */
export const checkSchema = typed(
  z
    .strictObject({
      http: httpRequest.optional().describe("Passes when the request answers with expectStatus."),
      run: command().optional().describe("Passes when the command exits 0. Split into words; no shell is run."),
    })
    .superRefine(...exactlyOne(["http", "run"])),
  "check",
);

/** A list of checks, run in order; all must pass. */
export const checkListSchema = z.array(checkSchema, says("must be a list of checks"));

const latency = z
  .strictObject({
    p50: duration().optional().describe("Highest allowed median latency."),
    p95: duration().optional().describe("Highest allowed 95th percentile latency."),
    p99: duration().optional().describe("Highest allowed 99th percentile latency."),
  })
  .describe("Latency ceilings per percentile.");

/** Metric analysis: measured every `interval` over the last `window`. */
export const analysisSchema = typed(
  z.strictObject({
    interval: duration().prefault(d.DEFAULT_ANALYSIS_INTERVAL).describe("Time between measurements."),
    window: duration().prefault(d.DEFAULT_ANALYSIS_WINDOW).describe("Each measurement looks at the requests of this trailing window."),
    minRequests: wholeNumber()
      .default(d.DEFAULT_ANALYSIS_MIN_REQUESTS)
      .describe("Fewer requests than this in the window makes a measurement inconclusive."),
    maxErrorRate: percent()
      .optional()
      .describe("Highest allowed share of 5xx answers and failed requests, e.g. 1% (a bare number is a percent too)."),
    maxLatency: latency.optional(),
    compareToStable: percent()
      .optional()
      .describe("Fail when the new error rate exceeds the stable release's by more than this many percentage points."),
    failureLimit: wholeNumber()
      .default(d.DEFAULT_ANALYSIS_FAILURE_LIMIT)
      .describe("Failed measurements tolerated; one more fails the analysis."),
    inconclusiveLimit: wholeNumber()
      .default(d.DEFAULT_ANALYSIS_INCONCLUSIVE_LIMIT)
      .describe("Inconclusive measurements tolerated; one more fails the analysis."),
    checks: checkListSchema.default([]).describe("Checks run with every measurement; a failing check fails it."),
  }),
  "analysis",
);
