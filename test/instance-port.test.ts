import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ephemeralRange, freePort, INSTANCE_PORTS, InstancePorts, PortClaims } from "../src/platform/process/port.js";

/** Instance ports come from below the kernel's ephemeral range, so no outgoing connection can take one between check and bind. */

const held: net.Server[] = [];
const claimDirs: string[] = [];
afterAll(() => {
  for (const dir of claimDirs) rmSync(dir, { recursive: true, force: true });
});

/** A claims directory of the test's own (the daemons' shared one is left alone). */
function claims(): PortClaims {
  const dir = mkdtempSync(join(tmpdir(), "slipway-port-claims-"));
  claimDirs.push(dir);
  return new PortClaims(dir);
}

afterEach(async () => {
  for (const server of held.splice(0)) await new Promise((r) => server.close(r));
});

function hold(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => {
      held.push(server);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

describe("instance ports", () => {
  it("are drawn from 20000-32000, below the ephemeral range, and free", async () => {
    const { min } = ephemeralRange();
    for (let i = 0; i < 20; i++) {
      const port = await freePort("127.0.0.1");
      expect(port).toBeGreaterThanOrEqual(INSTANCE_PORTS.min);
      expect(port).toBeLessThan(Math.min(INSTANCE_PORTS.max, min));
      await hold(port); // bindable: it was free
    }
  });

  it("skip a port in use, and fall back to one the kernel picks when the range is all taken", async () => {
    const taken = await hold(INSTANCE_PORTS.min + 7);
    // the first draw lands on the taken port, the second on the next one
    const draws = [7, 8].map((offset) => (offset + 0.5) / (Math.min(INSTANCE_PORTS.max, ephemeralRange().min) - INSTANCE_PORTS.min));
    let n = 0;
    expect(await freePort("127.0.0.1", () => draws[Math.min(n++, 1)]!)).toBe(taken + 1);
    // every draw taken: the kernel chooses (in its ephemeral range)
    const kernel = await freePort("127.0.0.1", () => 7.5 / (Math.min(INSTANCE_PORTS.max, ephemeralRange().min) - INSTANCE_PORTS.min));
    expect(kernel).not.toBe(taken);
    expect(kernel).toBeGreaterThanOrEqual(ephemeralRange().min);
  });

  it("read the kernel's range, with Linux's default when it cannot be read", () => {
    expect(ephemeralRange(() => "32768\t60999\n")).toEqual({ min: 32768, max: 60999 });
    expect(ephemeralRange(() => "1024 65535")).toEqual({ min: 1024, max: 65535 });
    expect(ephemeralRange(() => "garbage")).toEqual({ min: 32768, max: 60999 });
    expect(
      ephemeralRange(() => {
        throw new Error("ENOENT");
      }),
    ).toEqual({ min: 32768, max: 60999 });
  });

  it("a daemon hands them out in turn from a random start, skips one in use, and gives none twice within a minute", async () => {
    let now = 0;
    const span = Math.min(INSTANCE_PORTS.max, ephemeralRange().min) - INSTANCE_PORTS.min;
    const start = 100;
    const ports = new InstancePorts(
      () => now,
      () => start / 0x7fffffff + 1e-12,
      claims(),
    );
    const first = await ports.next("127.0.0.1");
    expect(first).toBe(INSTANCE_PORTS.min + (start % span));
    await hold(first + 1); // taken by someone else
    expect(await ports.next("127.0.0.1")).toBe(first + 2);
    // the first was handed out and is still free (its instance has not bound it yet): not given again
    const again = new Set<number>();
    for (let i = 0; i < 5; i++) again.add(await ports.next("127.0.0.1"));
    expect(again.has(first)).toBe(false);
    expect(again.size).toBe(5);
    // a minute later the walk goes on from where it was; the early ports are free to hand out again on the next lap
    now = 61_000;
    expect(await ports.next("127.0.0.1")).toBe(first + 8);
  });

  it("two daemons walking from the same start never hand out the same port within a minute; a stale claim is taken over", async () => {
    let now = 1_000_000;
    const start = 2_000;
    const shared = claims();
    const walk = () =>
      new InstancePorts(
        () => now,
        () => start / 0x7fffffff + 1e-12,
        shared,
      );
    const [a, b] = [walk(), walk()];
    const fromA: number[] = [];
    const fromB: number[] = [];
    for (let i = 0; i < 4; i++) {
      fromA.push(await a.next("127.0.0.1"));
      fromB.push(await b.next("127.0.0.1"));
    }
    expect(new Set([...fromA, ...fromB]).size).toBe(8);
    expect(readdirSync(shared.dir).map(Number).sort()).toEqual([...fromA, ...fromB].sort());
    expect(readFileSync(join(shared.dir, String(fromA[0])), "utf8")).toBe(String(now));
    // still claimed 59 s later; stale after a minute, and then one daemon (only one) takes it over
    now += 59_000;
    expect(shared.claim(fromA[0]!, now)).toBe(false);
    now += 2_000;
    expect(shared.claim(fromA[0]!, now)).toBe(true);
    expect(shared.claim(fromA[0]!, now)).toBe(false);
    expect(readdirSync(shared.dir)).toHaveLength(8);
  });
});
