/**
 * Gates shared by canary and blue-green: metric analysis (error rate,
 * latency, comparison with the stable release) and checks (an HTTP request or
 * a command, run by src/checks/). Percentages normalize to fractions: `1%`
 * becomes 0.01.
 */
import { z } from "zod";
import * as d from "./defaults.js";
import { duration, exactlyOne, httpUrl, percent, says, shellCommand, typed, urlPath, wholeNumber } from "./fields.js";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

const status = says("must be an HTTP status code");

const httpRequest = z
  .strictObject({
    url: httpUrl().optional().describe("Absolute http(s) URL to request. Give either url or path."),
    path: urlPath()
      .optional()
      .describe("Path requested from the new release (the preview listener in blue-green), e.g. /health. Give either url or path."),
    method: z.enum(METHODS).default(d.DEFAULT_CHECK_METHOD).describe("HTTP method."),
    expectStatus: z
      .int(status)
      .min(100, status)
      .max(599, status)
      .optional()
      .describe("Status code that counts as a pass; any 2xx when unset."),
    expectBody: z
      .string(says("must be a string"))
      .min(1, says("must not be empty"))
      .optional()
      .describe("Text the response body must contain."),
    timeout: duration().prefault(d.DEFAULT_HTTP_CHECK_TIMEOUT).describe("The whole request, body included, must finish within this."),
  })
  .superRefine(...exactlyOne(["url", "path"]));

/** A check-level `timeout` belongs to run checks; an http check has its own inside `http`. */
function timeoutOnlyForRun(value: { http?: unknown; timeout?: unknown }, ctx: z.RefinementCtx<unknown>): void {
  if (value.http === undefined || value.timeout === undefined) return;
  ctx.addIssue({
    code: "custom",
    path: ["timeout"],
    message: "applies to run checks only; put an http check's timeout inside http",
    input: value.timeout,
  });
}

/** One check: `{ http: {...} }` or `{ run: "command", timeout? }`. */
export const checkSchema = typed(
  z
    .strictObject({
      http: httpRequest
        .optional()
        .describe(
          "Passes when the answer has expectStatus (any 2xx when unset) and a body containing expectBody. Redirects are not followed.",
        ),
      run: shellCommand()
        .optional()
        .describe(
          "Passes when the command exits 0. A string runs with `sh -c` (pipes, && and $VARS work); a list of words runs without a shell. Runs in the release's directory with $SLIPWAY_PREVIEW_URL set.",
        ),
      timeout: duration()
        .optional()
        .describe(`Run checks only: the command's whole process group is killed after this long. Default ${d.DEFAULT_RUN_CHECK_TIMEOUT}.`),
    })
    .superRefine(...exactlyOne(["http", "run"]))
    .superRefine(timeoutOnlyForRun),
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
