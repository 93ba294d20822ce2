import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Where instance ports come from: below the kernel's ephemeral range
 * (32768-60999 on Linux), as Nomad's dynamic ports (20000-32000) do. A port
 * the kernel hands out for port 0 or for an outgoing connection's local end
 * can be taken by any process between the check and the instance's own bind
 * (seen as EADDRINUSE with a second test suite on the machine); one below
 * that range is taken only by a process that asks for it by number.
 */
export const INSTANCE_PORTS = { min: 20000, max: 32000 } as const;

/** How many random ports of the range are tried before the kernel picks one. */
const TRIES = 64;

/**
 * The kernel's ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`),
 * or Linux's default where it cannot be read.
 */
export function ephemeralRange(read: () => string = () => readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")): {
  min: number;
  max: number;
} {
  try {
    const [min, max] = read().trim().split(/\s+/).map(Number);
    if (Number.isInteger(min) && Number.isInteger(max) && min! > 0 && max! >= min!) return { min: min!, max: max! };
  } catch {
    // not Linux, or no /proc: Linux's default
  }
  return { min: 32768, max: 60999 };
}

/** Binds `port` on `host` (0: the kernel chooses) and closes; the port bound, or null when it is taken. */
function tryPort(host: string, port: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", (err: NodeJS.ErrnoException) =>
      err.code === "EADDRINUSE" || err.code === "EACCES" ? resolve(null) : reject(err),
    );
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(bound || null));
    });
  });
}

/** How long a port handed out stays reserved for its instance's own bind (a slow start on a loaded machine). */
const RESERVED_FOR = 60_000;

/**
 * Ports handed out by any Slipway daemon of this user on this machine: one
 * file per port in a shared directory, created exclusively, holding when it
 * was claimed. A claim older than RESERVED_FOR is stale and taken over (by
 * renaming it away first, which only one taker can do). Where the directory
 * cannot be written, every claim succeeds: the check by binding still runs.
 *
 * @example
 * const claims = new PortClaims();
 * claims.claim(27413, Date.now()); // true, then false for a minute (in any daemon)
 */
export class PortClaims {
  private ready = false;

  constructor(readonly dir: string = join(tmpdir(), `slipway-ports-${process.getuid?.() ?? "user"}`)) {}

  claim(port: number, now: number): boolean {
    const file = join(this.dir, String(port));
    try {
      if (!this.ready) mkdirSync(this.dir, { recursive: true });
      this.ready = true;
      writeFileSync(file, String(now), { flag: "wx" });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") return true;
    }
    let at: number;
    try {
      at = Number(readFileSync(file, "utf8"));
    } catch {
      return false; // just taken over by another daemon
    }
    if (!(now - at > RESERVED_FOR)) return false; // NaN: being written by its claimant
    try {
      renameSync(file, `${file}.${process.pid}.stale`);
      unlinkSync(`${file}.${process.pid}.stale`);
      writeFileSync(file, String(now), { flag: "wx" });
      return true;
    } catch {
      return false; // another daemon took it over first
    }
  }
}

/**
 * The daemon's instance ports: free ports of `INSTANCE_PORTS` below the
 * ephemeral range, handed out in turn from a random start. A port handed out
 * is not handed out again for a minute, free or not, by this daemon or any
 * other Slipway daemon on the machine (`PortClaims`): several instances start
 * at once, and each binds its port only when its process is up. Without the
 * shared claims, two daemons met where their walks crossed (two-copy round
 * 22: EADDRINUSE on 20521; round 54: an instance's readiness probe was
 * answered by the other daemon's instance on that port before its own bind
 * failed).
 *
 * @example
 * const ports = new InstancePorts();
 * await ports.next("127.0.0.1"); // 27413, then 27414...
 */
export class InstancePorts {
  private cursor: number;
  private readonly handedOut = new Map<number, number>();

  constructor(
    private readonly now: () => number = Date.now,
    random: () => number = Math.random,
    private readonly claims: PortClaims = new PortClaims(),
  ) {
    this.cursor = Math.floor(random() * 0x7fffffff);
  }

  async next(host: string): Promise<number> {
    const now = this.now();
    for (const [port, at] of this.handedOut) if (now - at > RESERVED_FOR) this.handedOut.delete(port);
    const min = INSTANCE_PORTS.min;
    const span = Math.min(INSTANCE_PORTS.max, ephemeralRange().min) - min;
    for (let i = 0; i < TRIES && span > 0; i++) {
      const candidate = min + (this.cursor++ % span);
      if (this.handedOut.has(candidate) || !this.claims.claim(candidate, now)) continue;
      const port = await tryPort(host, candidate);
      if (port !== null) {
        this.handedOut.set(port, now);
        return port;
      }
    }
    const port = await tryPort(host, 0);
    if (port === null) throw new Error(`no port assigned on ${host}`);
    return port;
  }
}

/**
 * A TCP port that was free on `host` a moment ago, for one instance: a
 * random one of `INSTANCE_PORTS` outside the ephemeral range (see there),
 * else one the kernel chooses.
 *
 * @example
 * const port = await freePort("127.0.0.1"); // 27413
 */
export async function freePort(host: string, random: () => number = Math.random): Promise<number> {
  const ephemeral = ephemeralRange();
  const min = INSTANCE_PORTS.min;
  const max = Math.min(INSTANCE_PORTS.max, ephemeral.min);
  for (let i = 0; i < TRIES && max > min; i++) {
    const port = await tryPort(host, min + Math.floor(random() * (max - min)));
    if (port !== null) return port;
  }
  const port = await tryPort(host, 0);
  if (port === null) throw new Error(`no port assigned on ${host}`);
  return port;
}
