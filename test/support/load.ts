import type { LoadReport, startLoad } from "../../src/load/load-generator.js";
import { waitFor } from "./project.js";

type Load = ReturnType<typeof startLoad>;

/**
 * Waits until `count` requests sent after `since` (say, when the CLI returned)
 * have been answered, and resolves with those answers: an assertion on them
 * cannot pass on an empty window, and a request in flight at `since` is never
 * among them, however slow the machine.
 *
 * @example
 * const promoted = Date.now(); // after `slipway promote` returned
 * const after = await answersSentAfter(load, promoted);
 * expect(after.every((t) => t.version === "v2")).toBe(true);
 */
export function answersSentAfter(load: Load, since: number, count = 20): Promise<LoadReport["timeline"]> {
  return waitFor(`${count} answers to requests sent after the mark`, () => {
    const after = load.report().timeline.filter((t) => t.sentAt >= since);
    return after.length >= count ? after : undefined;
  });
}
