import type { Writable } from "node:stream";

/** Bytes gathered before one write to the socket. */
const BATCH_BYTES = 64 * 1024;

/**
 * Writes many small pieces (log lines) to a stream in batches, waiting for
 * 'drain' when the stream's buffer is full, so a slow or large reader never
 * makes the daemon hold more than about one batch plus the stream's buffer.
 *
 * @example
 * const out = new BatchedWriter(res);
 * for await (const line of tailLines(path, n)) if (!(await out.write(`${line}\n`))) return; // the client left
 * await out.flush();
 */
export class BatchedWriter {
  #pending: string[] = [];
  #bytes = 0;

  constructor(private readonly stream: Writable) {}

  /** Adds `text`; resolves false once the stream is gone (stop producing). */
  async write(text: string): Promise<boolean> {
    this.#pending.push(text);
    this.#bytes += text.length;
    return this.#bytes >= BATCH_BYTES ? this.flush() : !this.stream.destroyed;
  }

  /** Writes what is gathered; resolves when the stream can take more (true) or is gone (false). */
  async flush(): Promise<boolean> {
    const stream = this.stream;
    if (stream.destroyed || stream.writableEnded) return false;
    const text = this.#pending.join("");
    this.#pending = [];
    this.#bytes = 0;
    if (!text || stream.write(text)) return true;
    await new Promise<void>((resolve) => {
      const done = () => {
        stream.off("drain", done);
        stream.off("close", done);
        resolve();
      };
      stream.on("drain", done);
      stream.on("close", done);
    });
    return !stream.destroyed;
  }
}
