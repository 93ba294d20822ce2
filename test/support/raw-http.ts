import http from "node:http";
import net, { type AddressInfo } from "node:net";

/**
 * Writes `text` on a raw TCP connection to `port`; resolves with everything
 * read until the peer closes it (or `untilText` was seen, then closes).
 *
 * @example
 * const answer = await rawExchange(port, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
 */
export function rawExchange(port: number, text: string, untilText?: RegExp): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(text));
    let data = "";
    socket.on("data", (c: Buffer) => {
      data += c.toString();
      if (untilText?.test(data)) socket.destroy();
    });
    socket.on("close", () => resolve(data));
    socket.on("error", reject);
  });
}

/** A plain HTTP answer: status, headers and body text. */
export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/**
 * One request to 127.0.0.1:`port` on a new connection.
 *
 * @example
 * const { status, text } = await send(port, { method: "POST", body: "x" });
 */
export function send(
  port: number,
  o: { method?: string; path?: string; headers?: http.OutgoingHttpHeaders; body?: string; agent?: http.Agent } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, method: o.method ?? "GET", path: o.path ?? "/", headers: o.headers, agent: o.agent ?? false },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(o.body);
  });
}

/**
 * A raw keep-alive HTTP server that answers the first request of every
 * connection with 200 and the connection's number, and destroys the
 * connection, without answering, as soon as the first bytes of a second
 * request arrive: what an instance closing an idle keep-alive socket at the
 * moment the router reuses it looks like, made deterministic.
 *
 * @example
 * const flaky = await closeOnReuseServer(cleanups);
 * flaky.connections; // connections accepted so far
 */
export async function closeOnReuseServer(cleanups: (() => Promise<void> | void)[]) {
  const state = { connections: 0, killed: 0, port: 0 };
  const server = net.createServer((socket) => {
    const n = ++state.connections;
    let head = "";
    let answered = false;
    socket.on("error", () => undefined);
    socket.on("data", (c: Buffer) => {
      if (answered) {
        state.killed++;
        socket.destroy();
        return;
      }
      head += c.toString("latin1");
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (head.length - end - 4 < length) return;
      answered = true;
      const body = `connection ${n}`;
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nconnection: keep-alive\r\n\r\n${body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.port = (server.address() as AddressInfo).port;
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return state;
}
