/**
 * A config problem: a dotted path into slipway.yaml and a human message,
 * rendered with the line it comes from, e.g.
 * `strategy.canary.steps[2].setWeight: must be between 0 and 100 (slipway.yaml:14)`.
 */
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";

/** One thing wrong with the config, before it is located in the file. */
export interface Problem {
  /** Keys and list indexes from the top of the file; empty for the file itself. */
  path: (string | number)[];
  message: string;
}

/**
 * `["strategy", "canary", "steps", 2, "setWeight"]` -> `strategy.canary.steps[2].setWeight`.
 *
 * @example
 * formatPath(["app", "env", "LOG_LEVEL"]); // "app.env.LOG_LEVEL"
 */
export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${key}` : key), "");
}

/**
 * The line of `path` in the document: the line of its key (or list item), or
 * of the deepest ancestor present when the path is missing.
 */
export function lineOf(doc: Document, lines: LineCounter, path: readonly (string | number)[]): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === "number" && node.items[key]) {
      node = node.items[key];
      offset = (node as Node).range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return lines.linePos(offset).line;
}

/** `app.replicas: must be a positive integer (slipway.yaml:6)`. */
export function renderProblem(problem: Problem, file: string, line: number): string {
  const where = problem.path.length > 0 ? `${formatPath(problem.path)}: ` : "";
  return `${where}${problem.message} (${file}:${line})`;
}
