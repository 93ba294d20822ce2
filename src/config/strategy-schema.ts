/**
 * The `strategy` section: how a new release replaces the old one. Rolling is
 * the default; canary and blue-green have their own sub-sections.
 */
import { z } from "zod";
import { analysisSchema, checkListSchema } from "./analysis-schema.js";
import * as d from "./defaults.js";
import { address, duration, exactlyOne, intOrPercent, says, typed } from "./fields.js";
import { STRATEGY_TYPES } from "./types.js";

const rollingSchema = z
  .strictObject({
    maxSurge: intOrPercent()
      .prefault(d.DEFAULT_MAX_SURGE)
      .describe("Extra instances allowed above app.replicas during a rollout: a count, or a percentage rounded up."),
    maxUnavailable: intOrPercent()
      .prefault(d.DEFAULT_MAX_UNAVAILABLE)
      .describe("Instances allowed to be not ready during a rollout: a count, or a percentage rounded down."),
    minReady: duration().prefault(d.DEFAULT_MIN_READY).describe("A new instance must stay ready this long before it counts as available."),
  })
  .prefault({})
  .describe("Rolling update: replace instances a few at a time. maxSurge and maxUnavailable cannot both be 0.");

const weight = says("must be between 0 and 100");
const pauseSchema = typed(
  z.union(
    [duration(), z.null(), z.strictObject({ duration: duration().optional().describe("How long to pause; unset waits for promote.") })],
    says("must be a duration like 30s, or {} to wait for `slipway promote`"),
  ),
  "duration or {duration}",
);

const stepSchema = z
  .strictObject({
    setWeight: z.int(weight).min(0, weight).max(100, weight).optional().describe("Send this percentage of traffic to the canary."),
    pause: pauseSchema.optional().describe("Wait: a duration, or {} (or nothing) to wait for `slipway promote`."),
    analysis: analysisSchema.optional().describe("Run a metric analysis now; the rollout aborts if it fails."),
  })
  .superRefine(...exactlyOne(["setWeight", "pause", "analysis"]))
  .describe("A canary step: exactly one of setWeight, pause or analysis.");

const headerName = says("must be a header name like X-Slipway-Route, or false");
const canarySchema = z
  .strictObject({
    replicas: intOrPercent()
      .prefault(d.DEFAULT_CANARY_REPLICAS)
      .describe("Canary instances: a count, or a percentage of app.replicas (rounded up)."),
    stickiness: z
      .enum(["none", "cookie"])
      .default(d.DEFAULT_CANARY_STICKINESS)
      .describe("`cookie` keeps a client on the side (canary or stable) it first landed on; `none` routes every request by weight."),
    header: z
      .union([z.string().regex(/^[A-Za-z0-9-]+$/, headerName), z.literal(false)], headerName)
      .default(d.DEFAULT_CANARY_HEADER)
      .describe("Request header forcing a route (value `canary` or `stable`), for testing; false switches it off."),
    steps: z
      .array(stepSchema, says("must be a list of steps"))
      .min(1, says("must have at least one step"))
      .describe("Steps run in order; after the last one the canary is promoted."),
    analysis: analysisSchema.optional().describe("Background analysis run for the whole canary."),
  })
  .optional()
  .describe("Canary: shift traffic to the new release step by step. Required when type is canary.");

const blueGreenSchema = z
  .strictObject({
    previewListen: address().describe("Address serving the new (green) release before promotion."),
    autoPromote: z
      .boolean()
      .default(d.DEFAULT_AUTO_PROMOTE)
      .describe("Switch traffic once prePromotion checks pass; false waits for `slipway promote`."),
    scaleDownDelay: duration()
      .prefault(d.DEFAULT_SCALE_DOWN_DELAY)
      .describe("Keep the old (blue) release running this long after the switch, for a fast switch back."),
    prePromotion: checkListSchema.default([]).describe("Checks against the preview before traffic switches."),
    postPromotion: analysisSchema.optional().describe("Analysis after the switch; failing it switches back."),
  })
  .optional()
  .describe("Blue-green: start a full new release beside the old one, then switch all traffic at once. Required when type is blue-green.");

/** Schema of the `strategy` section. */
export const strategySchema = z
  .strictObject({
    type: z.enum(STRATEGY_TYPES).default(d.DEFAULT_STRATEGY).describe("Rollout strategy."),
    rolling: rollingSchema,
    canary: canarySchema,
    blueGreen: blueGreenSchema,
  })
  .prefault({})
  .describe("How a new release replaces the old one.");
