/**
 * The `notify` section: webhooks receiving a JSON POST for rollout events,
 * with a Slack-compatible `text`. Sent by src/notify/notifier.ts.
 */
import { z } from "zod";
import * as d from "./defaults.js";
import { duration, httpUrl, says, typed } from "./fields.js";
import { NOTIFY_EVENTS } from "./types.js";

const webhookSchema = typed(
  z.union(
    [
      httpUrl(),
      z
        .strictObject({
          url: httpUrl().describe("URL receiving a JSON POST per event."),
          events: z
            .array(z.enum(NOTIFY_EVENTS), says("must be a list of events"))
            .min(1, says("must list at least one event (leave events out for all)"))
            .optional()
            .describe(`Events to send (all when unset): ${NOTIFY_EVENTS.join(", ")}.`),
        })
        .describe("A webhook with an event filter."),
    ],
    says("must be an http(s) URL, or a mapping with url and events"),
  ),
  "URL or {url, events}",
);

/** Schema of the `notify` section. */
export const notifySchema = z
  .strictObject({
    webhooks: z
      .array(webhookSchema, says("must be a list of webhooks"))
      .default([])
      .describe("Webhooks called on rollout events: a URL (every event), or {url, events}."),
    timeout: duration()
      .prefault(d.DEFAULT_NOTIFY_TIMEOUT)
      .describe("A webhook POST is abandoned after this long; a slow or failing endpoint never holds up a rollout."),
  })
  .prefault({})
  .describe("Notifications. Off while webhooks is empty.");
