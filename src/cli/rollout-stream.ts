import type { ProgressMessage } from "../daemon/progress.js";
import type { RolloutResult } from "../daemon/rollouts.js";
import { readyCount } from "../rollout/release-health.js";
import { SlipwayError } from "../errors.js";
import type { ApiClient } from "../control/api-client.js";
import type { GlobalOptions } from "./options.js";
import { outputMode, ProgressView } from "./render.js";

/**
 * A streamed rollout as the CLI shows it: `deploy`, `rollback`, `retry`, and
 * `promote`/`resume`/`abort` that follow the rollout they act on. Same
 * progress view, same exit codes (a failed rollout's error is thrown).
 */

/** A rollout streamed to its end, or to a pause (`byHand`: by `slipway pause`, which `resume` ends). */
export type Outcome = RolloutResult | { paused: true; rolloutId: number; reason: string; byHand?: boolean };

export function report(result: Outcome, g: GlobalOptions): void {
  if (g.json) return;
  if ("paused" in result) {
    console.log(`rollout ${result.rolloutId} is paused: ${result.reason}`);
    const go = result.byHand ? "slipway resume" : "slipway promote";
    console.log(`continue with ${go}, roll back with slipway abort; slipway status --watch follows it`);
    return;
  }
  const prev = result.previous ? `, replacing release ${result.previous.id} (${result.previous.version})` : "";
  console.log(
    `release ${result.release.id} (${result.release.version}) is live in ${(result.durationMs / 1000).toFixed(1)}s (${result.strategy})${prev}${ready(result)}`,
  );
}

/** ", all 2 instances ready". */
export function ready(result: RolloutResult): string {
  return `, ${readyCount(result.instances)}`;
}

export async function followRollout(client: ApiClient, path: string, body: object, title: string, g: GlobalOptions): Promise<Outcome> {
  const view = await ProgressView.open(outputMode(Boolean(g.json)), title);
  let outcome: ProgressMessage | undefined;
  try {
    await client.stream(path, body, (m) => {
      if (m.type === "result" || m.type === "error") outcome = m;
      view.update(m);
    });
  } finally {
    view.done();
  }
  if (outcome?.type === "error") {
    const err = SlipwayError.fromJSON(outcome.error as Parameters<typeof SlipwayError.fromJSON>[0]);
    if (g.json) (err as SlipwayError & { printed?: boolean }).printed = true;
    throw err;
  }
  if (outcome?.type !== "result")
    throw new SlipwayError("DAEMON_UNAVAILABLE", "the daemon closed the connection before the rollout ended", {
      hint: "see slipway status and .slipway/daemon.log",
    });
  return outcome.result as unknown as Outcome;
}
