/**
 * The contract every `Workload` (src/rollout/workload.ts) keeps, as one
 * script run against each implementation (Hono's `runTest({ newRouter })`
 * pattern): the fleet on the real process platform and Swarm on the real
 * engine. Each subject is real end to end except the router process: the
 * table the workload offers is read from the daemon's own `RouteTable` (the
 * one writer of the router's table), and requests go straight to the
 * targets it lists; draining an instance is immediate (no router holds its
 * connections).
 */
import { expect, it } from "vitest";
import type { Config } from "../../src/config/types.js";
import type { Release } from "../../src/ledger/types.js";
import type { RouteTarget, Step, Workload } from "../../src/rollout/workload.js";
import type { RouteGroup } from "../../src/router/types.js";
import { waitFor } from "./project.js";

export interface WorkloadSubject {
  workload: Workload;
  config: Config;
  /** The table the router would serve now (the followed workload's offer). */
  routes(): RouteGroup[];
  /** A new release of the app in the ledger, ready to run (snapshot, image). */
  release(version: string): Release;
  /** How long a step may take on this implementation (ms). */
  patience: number;
}

const step = (): Step => ({ signal: new AbortController().signal, checkpoint: () => Promise.resolve(), note: () => {} });

/** The version a target answers with on GET /. */
async function versionOf(t: RouteTarget): Promise<string> {
  const res = await fetch(`http://${t.host}:${t.port}/`, { signal: AbortSignal.timeout(3000) });
  return ((await res.json()) as { version: string }).version;
}

/** Group name → [weight, versions its targets answer with, sorted]. */
async function served(groups: RouteGroup[]): Promise<Record<string, [number, string[]]>> {
  const out: Record<string, [number, string[]]> = {};
  for (const g of groups)
    out[g.name === "canary" || g.name === "stable" ? g.name : "app"] = [g.weight, (await Promise.all(g.targets.map(versionOf))).sort()];
  return out;
}

/**
 * Registers the contract's tests for one implementation. `subject()` gives
 * the one made in the caller's beforeAll.
 */
export function workloadContract(subject: () => WorkloadSubject, timeout: number): void {
  it(
    "rolls out, runs a canary at a weight and promotes it, previews green, switches, undoes, and knows its instances, releases and logs",
    async () => {
      const s = subject();
      const { workload: w, config } = s;
      const until = <T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false) =>
        waitFor(what, fn, s.patience, 200);
      const table = (want: Record<string, [number, string[]]>) =>
        until(`the table ${JSON.stringify(want)}`, async () => JSON.stringify(await served(s.routes())) === JSON.stringify(want));

      // rolling: the release at full size, all traffic, each target attributed to it
      const r1 = s.release("v1");
      await w.rollOut(r1, config, step());
      expect(await w.awaitHealthy(r1, config, step())).toEqual({ ready: 2, replicas: 2 });
      w.commit(r1);
      await table({ app: [1, ["v1", "v1"]] });
      const first = s.routes()[0]!.targets;
      expect(first.map((t) => w.releaseOf(t.id))).toEqual([r1.id, r1.id]);
      expect(w.instances().filter((i) => i.release === r1.id && i.state === "ready" && i.inRotation)).toHaveLength(2);
      expect(w.runningReleases()).toEqual([r1.id]);

      // canary: one instance of r2 at weight 0, then 50%; promotion leaves r2 alone at full size
      const r2 = s.release("v2");
      await w.startCanary(r2, config, 1, step());
      await table({ canary: [0, ["v2"]], stable: [100, ["v1", "v1"]] });
      w.setCanaryWeight(r2, 50);
      await table({ canary: [50, ["v2"]], stable: [50, ["v1", "v1"]] });
      await w.promote(r2, config, step());
      expect(await w.awaitHealthy(r2, config, step())).toEqual({ ready: 2, replicas: 2 });
      w.commit(r2);
      await table({ app: [1, ["v2", "v2"]] });
      await until("release 1's instances to be gone", () => !w.instances().some((i) => i.release === r1.id));
      expect(first.map((t) => w.releaseOf(t.id))).toEqual([r1.id, r1.id]); // its samples still count for release 1

      // blue-green: green out of the table, in the preview; one switch; undone back to blue
      const r3 = s.release("v3");
      await w.startGreen(r3, config, 2, step());
      expect(await Promise.all(w.previewTargets(r3.id).map(versionOf))).toEqual(["v3", "v3"]);
      expect(await served(s.routes())).toEqual({ app: [1, ["v2", "v2"]] });
      w.switchTo(r3);
      await until(
        "all traffic on green",
        async () => (await served(s.routes())).canary?.[1].join() === "v3,v3" || (await served(s.routes())).app?.[1].join() === "v3,v3",
      );
      expect(
        Object.values(await served(s.routes()))
          .filter(([weight]) => weight > 0)
          .flatMap(([, versions]) => versions),
      ).toEqual(["v3", "v3"]);
      const undone = await w.abandon(r3, r2, { reason: "rollout failed", restore: true });
      expect(undone).toEqual({ restored: true, error: null });
      await table({ app: [1, ["v2", "v2"]] });
      await until("green to be gone", () => !w.instances().some((i) => i.release === r3.id));
      expect(w.standbyReady(r3.id)).toBe(0);

      // undone after the target took all traffic (an abort or a failure while committing): the previous release is
      // started again and takes over, the target serving until then
      expect(await w.abandon(r2, r1, { reason: "rollout aborted", restore: true })).toEqual({ restored: true, error: null });
      expect(await w.awaitHealthy(r1, config, step())).toEqual({ ready: 2, replicas: 2 });
      w.commit(r1);
      await table({ app: [1, ["v1", "v1"]] });
      await until("release 2 to be gone", () => !w.instances().some((i) => i.release === r2.id));

      // logs: the release's lines, each prefixed with the instance or task it came from
      const lines: string[] = [];
      await until("release 1's logs", async () => {
        lines.length = 0;
        for await (const line of w.logs(r1).tail(20)) lines.push(line);
        return lines.some((l) => / \| .*listening/.test(l));
      });

      await w.down();
      await until("nothing to run", () => w.instances().length === 0);
    },
    timeout,
  );
}
