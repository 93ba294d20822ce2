import type Dockerode from "dockerode";

/** Size of the header Docker puts before every stdout/stderr frame of a non-TTY container's log. */
const FRAME_HEADER = 8;

/**
 * Decode a multiplexed log buffer (frames of `[stream, 0, 0, 0, size32BE]` +
 * payload, stream 1 = stdout, 2 = stderr) into its text, both streams
 * interleaved in the order written. A buffer that is not framed (a TTY
 * container) is returned as text unchanged.
 *
 * @example
 * demultiplex(Buffer.from([1, 0, 0, 0, 0, 0, 0, 3, 104, 105, 10])); // "hi\n"
 */
export function demultiplex(buffer: Buffer): string {
  const payloads: Buffer[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const stream = buffer[offset];
    if (buffer.length - offset < FRAME_HEADER || (stream !== 0 && stream !== 1 && stream !== 2)) {
      if (offset === 0) return buffer.toString("utf8");
      break; // a truncated last frame
    }
    const size = buffer.readUInt32BE(offset + 4);
    payloads.push(buffer.subarray(offset + FRAME_HEADER, offset + FRAME_HEADER + size));
    offset += FRAME_HEADER + size;
  }
  return Buffer.concat(payloads).toString("utf8");
}

/**
 * Split log text into lines, dropping the empty line after the final newline, keeping the last `count`.
 *
 * @example
 * lastLines("a\nb\nc\n", 2); // ["b", "c"]
 */
export function lastLines(text: string, count: number): string[] {
  if (count <= 0 || text === "") return [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.slice(-count);
}

/**
 * The last `count` lines a container wrote (stdout and stderr), running or exited.
 *
 * @example
 * await containerTail(docker.getContainer(id), 20); // ["listening on 127.0.0.1:41877", ...]
 */
export async function containerTail(container: Dockerode.Container, count: number): Promise<string[]> {
  if (count <= 0) return [];
  const buffer = await container.logs({ stdout: true, stderr: true, follow: false, tail: count });
  return lastLines(demultiplex(Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer)), count);
}
