import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A free port on a second loopback address (127.0.0.2). Side listeners in
 * tests (preview, metrics) use it, so they can never collide with the ports
 * Slipway hands out on 127.0.0.1 for the router and instances.
 */
export const SIDE_HOST = "127.0.0.2";

export function sidePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, SIDE_HOST, () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

/**
 * Swarm port bases for the test files, below Slipway's instance ports
 * (20000-32000) and the ephemeral range. A base claimed by a test process
 * through Slipway's daemon (test/swarm-deploy, swarm-multinode,
 * workload-contract) spans its two lanes, base to base+1999, and a canary's
 * or green's, base+4000 to base+5999 (CANARY_LANES_OFFSET); the four `daemon`
 * bases are those that never meet: 2000-5999 with 6000-9999, 10000-13999 with
 * 14000-17999. One per test worker at a time (a worker keeps its base from
 * file to file), and two copies of the suite run at most four workers, so
 * four is enough. test/swarm.test.ts uses only base to base+1999, and tries
 * 18000 first. (The bases used before, one list per file, overlapped: one
 * file's canary lanes were another's first lane, so two copies could meet on
 * a port.)
 */
export const SWARM_PORT_BASES = {
  daemon: [2000, 4000, 10000, 12000],
  services: [18000, 2000, 4000, 10000, 12000],
} as const;

/** Where the lane claims live: one file per claimed port base, holding the claiming process's pid. */
const LANE_CLAIMS = join(tmpdir(), "slipway-test-lanes");

/**
 * A Swarm port base (`swarm.portBase`) no other test process uses now: the
 * first of `candidates`, starting at one picked by pid, not claimed by a live
 * process. Two copies of the suite can run side by side on one engine (their
 * swarm tasks listen on the host's ports). The claim is a file
 * `<tmp>/slipway-test-lanes/<base>` with the claimant's pid; a dead
 * claimant's claim is taken over, and the claim goes when this process exits.
 * A base this process holds already (a test worker runs one file at a time)
 * is taken first, so a worker never holds two.
 *
 * @example
 * const PORT_BASE = claimPortBase([30000, 32000, 34000]);
 */
export function claimPortBase(candidates: readonly number[]): number {
  mkdirSync(LANE_CLAIMS, { recursive: true });
  const me = processIdentity(process.pid);
  const mine = candidates.find((base) => {
    try {
      return readFileSync(join(LANE_CLAIMS, String(base)), "utf8") === me;
    } catch {
      return false;
    }
  });
  if (mine !== undefined) return mine;
  const start = process.pid % candidates.length;
  for (let i = 0; i < candidates.length; i++) {
    const base = candidates[(start + i) % candidates.length]!;
    const file = join(LANE_CLAIMS, String(base));
    try {
      writeFileSync(file, me, { flag: "wx" });
    } catch {
      const owner = readFileSync(file, "utf8");
      if (owner !== me && claimantLives(owner)) continue;
      writeFileSync(file, me);
    }
    process.once("exit", () => rmSync(file, { force: true }));
    return base;
  }
  throw new Error(`every swarm port base of ${candidates.join(", ")} is claimed by a live test process (see ${LANE_CLAIMS})`);
}

/** A process as "<pid> <start time>": a pid alone is reused once its process is gone. */
export function processIdentity(pid: number): string {
  try {
    // Field 22 of /proc/<pid>/stat, counted after the command name (which may hold spaces).
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return `${pid} ${stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]}`;
  } catch {
    return `${pid} gone`;
  }
}

function claimantLives(owner: string): boolean {
  const pid = Number(owner.split(" ")[0]);
  return Number.isInteger(pid) && pid > 0 && processIdentity(pid) === owner;
}
