import { demultiplex, lastLines } from "../docker/container-logs.js";

/** Characters of a task id shown before each log line. */
const TASK_ID_CHARS = 12;

/**
 * Lines of `GET /services/{id}/logs?timestamps=1&details=1` (multiplexed
 * frames of "<time> com.docker.swarm.node.id=...,com.docker.swarm.task.id=<id> <text>")
 * as "<task id> | <text>", ordered by time across tasks, the last `count` kept (pure).
 *
 * @example
 * serviceLogLines(buffer, 2); // ["w08n1iyt14tb | listening on 42001", "x1adae9fc98d | listening on 42002"]
 */
export function serviceLogLines(output: Buffer | string, count: number): string[] {
  const text = Buffer.isBuffer(output) ? demultiplex(output) : output;
  const lines = lastLines(text, Number.MAX_SAFE_INTEGER).map((line, index) => {
    const match = /^(\S+) (?:(\S*com\.docker\.swarm\.\S*) )?(.*)$/.exec(line);
    if (!match) return { time: "", index, text: line };
    const task = /com\.docker\.swarm\.task\.id=(\w+)/.exec(match[2] ?? "")?.[1];
    return { time: match[1] ?? "", index, text: task ? `${task.slice(0, TASK_ID_CHARS)} | ${match[3] ?? ""}` : (match[3] ?? "") };
  });
  lines.sort((a, b) => (a.time === b.time ? a.index - b.index : a.time < b.time ? -1 : 1));
  return lines.slice(-count).map((line) => line.text);
}
