import { createInterface } from "node:readline";

/**
 * The JSON messages of an engine progress stream (build, pull, import): one
 * object per line. Lines that are not JSON are yielded as `{ stream: line }`.
 *
 * @example
 * for await (const message of jsonMessages(await docker.pull("node:20"))) console.log(message.status);
 */
export async function* jsonMessages(stream: NodeJS.ReadableStream): AsyncGenerator<EngineMessage> {
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    if (line.trim() === "") continue;
    try {
      yield JSON.parse(line) as EngineMessage;
    } catch {
      yield { stream: line };
    }
  }
}

/** One message of an engine progress stream (the fields Slipway reads). */
export interface EngineMessage {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}
