import { request as httpRequest } from "node:http";
import { SlipwayError } from "../errors.js";
import type { ProgressMessage } from "../daemon/progress.js";

/**
 * The client side of a control API: HTTP over a unix socket. The CLI talks to
 * the daemon with it (`.slipway/daemon.sock`), the daemon to the router
 * process (`.slipway/router.sock`).
 *
 * @example
 * const client = new ApiClient("/srv/app/.slipway/daemon.sock");
 * const status = await client.get("/v1/status");
 */
export class ApiClient {
  constructor(
    readonly socketPath: string,
    /** Who answers on the socket, for error messages. */
    private readonly peer: { name: string; hint: string } = { name: "Slipway daemon", hint: "start it with slipway up" },
  ) {}

  async get<T>(path: string): Promise<T> {
    return this.json<T>("GET", path);
  }

  async post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.json<T>("POST", path, body);
  }

  async put<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>("PUT", path, body);
  }

  async delete<T>(path: string): Promise<T> {
    return this.json<T>("DELETE", path);
  }

  /** Sends a request whose answer is NDJSON, calling `onMessage` per line. */
  async stream(path: string, body: unknown, onMessage: (m: ProgressMessage) => void): Promise<void> {
    const res = await this.open("POST", path, body);
    res.setEncoding("utf8");
    await readLines(res, (line) => onMessage(JSON.parse(line) as ProgressMessage));
  }

  /** A plain-text streamed answer (logs), line by line; a promise from `onLine` is awaited (backpressure). */
  async lines(path: string, onLine: (line: string) => unknown, signal?: AbortSignal): Promise<void> {
    const res = await this.open("GET", path, undefined, signal);
    res.setEncoding("utf8"); // a character split between two chunks stays whole
    await readLines(res, onLine);
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.open(method, path, body);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as T;
  }

  private open(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<import("node:http").IncomingMessage> {
    return new Promise((resolve, reject) => {
      const options = {
        socketPath: this.socketPath,
        method,
        path,
        headers: { "content-type": "application/json" },
        ...(signal && { signal }),
      };
      const req = httpRequest(options, (res) => {
        if ((res.statusCode ?? 500) < 400) return resolve(res);
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          try {
            const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { error: Parameters<typeof SlipwayError.fromJSON>[0] };
            reject(SlipwayError.fromJSON(parsed.error));
          } catch {
            reject(new SlipwayError("INTERNAL", `the ${this.peer.name} answered ${res.statusCode}`));
          }
        });
      });
      req.on("error", (err: NodeJS.ErrnoException) =>
        reject(
          new SlipwayError("DAEMON_UNAVAILABLE", `cannot reach the ${this.peer.name} at ${this.socketPath} (${err.code ?? err.message})`, {
            hint: this.peer.hint,
            cause: err,
          }),
        ),
      );
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }
}

async function readLines(res: AsyncIterable<unknown>, onLine: (line: string) => unknown): Promise<void> {
  let buffered = "";
  for await (const chunk of res) {
    buffered += String(chunk);
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      const waiting = line ? onLine(line) : undefined;
      if (waiting instanceof Promise) await waiting;
    }
  }
  if (buffered) await onLine(buffered);
}
