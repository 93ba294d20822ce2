import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ephemeralRange, freePort, INSTANCE_PORTS, InstancePorts } from "../src/platform/process/port.js";

/** Instance ports come from below the kernel's ephemeral range, so no outgoing connection can take one between check and bind. */

const held: net.Server[] = [];
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
});
