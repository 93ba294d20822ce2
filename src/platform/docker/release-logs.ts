import type { ReleaseLogs } from "../platform.js";

/** How often following looks at the tail of each container again. */
const POLL_MS = 1000;

/** Lines of the tail of a container looked at when following. */
const FOLLOW_WINDOW = 200;

/**
 * A docker release's logs come from the engine (container logs), not from
 * files: `instances` names the release's containers now, `tail` reads one.
 * Following polls the tail of each container once a second and gives what is
 * new after the last line already shown.
 *
 * @example
 * const logs = containerReleaseLogs(() => fleet.ofRelease(3).map((i) => i.id), (id, n) => platform.tail(id, n));
 */
export function containerReleaseLogs(instances: () => string[], tail: (id: string, lines: number) => Promise<string[]>): ReleaseLogs {
  const shown = new Map<string, string[]>();
  async function* fresh(count: number): AsyncGenerator<string> {
    for (const id of instances()) {
      const lines = await tail(id, count).catch(() => []);
      const before = shown.get(id) ?? [];
      const added = lines.slice(overlap(before, lines));
      for (const line of added) yield `${id} | ${line}`;
      shown.set(id, [...before, ...added].slice(-FOLLOW_WINDOW));
    }
  }
  return {
    tail: (lines) => fresh(lines),
    async follow(onLine, signal) {
      while (!signal.aborted) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        if (!signal.aborted) for await (const line of fresh(FOLLOW_WINDOW)) onLine(line);
      }
    },
  };
}

/** How many leading lines of `next` were already shown (the longest suffix of `shown` that starts `next`). */
function overlap(shown: string[], next: string[]): number {
  for (let n = Math.min(shown.length, next.length); n > 0; n--) {
    let same = true;
    for (let i = 0; i < n && same; i++) same = shown[shown.length - n + i] === next[i];
    if (same) return n;
  }
  return 0;
}
