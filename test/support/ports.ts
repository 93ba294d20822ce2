import { createServer } from "node:net";

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
