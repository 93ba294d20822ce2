import net from "node:net";

/**
 * A TCP port that was free on `host` a moment ago: binds port 0, reads the
 * port the kernel chose and closes. The caller allocates one per instance.
 *
 * @example
 * const port = await freePort("127.0.0.1"); // 41877
 */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error(`no port assigned on ${host}`))));
    });
  });
}
