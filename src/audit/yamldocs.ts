import { LineCounter, parseAllDocuments } from "yaml";
import { lineOf } from "../config/problem.js";

/** Aliases a document may expand before it counts as a resource-exhaustion attack (SW0001). */
export const MAX_ALIAS_COUNT = 1000;

/** One parsed YAML document: its plain value and the line of any path in it. */
export interface YamlDoc {
  value: unknown;
  /** 1-based line of `path` (or of its deepest present ancestor). */
  line(path: readonly (string | number)[]): number;
}

/**
 * Parses every document of a YAML file. A file with syntax errors yields no documents:
 * the yaml checker already reports it as SW0001.
 */
export function yamlDocs(text: string): YamlDoc[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) return [];
  try {
    return docs.map((doc) => ({
      value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown,
      line: (path) => lineOf(doc, lines, path),
    }));
  } catch {
    return []; // an alias bomb: the yaml checker reports it
  }
}

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The object at `v`, or an empty one. */
export function obj(v: unknown): Obj {
  return isObj(v) ? v : {};
}

/** The array at `v`, or an empty one. */
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** `v` as a string when it is a scalar, else "". */
export function str(v: unknown): string {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : "";
}

/** True for an image reference with no tag, or the `latest` tag (digests and `${VAR}` images pass). */
export function floatingImage(image: string): boolean {
  if (image === "" || image.includes("$") || image.includes("@")) return false;
  const last = image.slice(image.lastIndexOf("/") + 1);
  const colon = last.indexOf(":");
  return colon < 0 || last.slice(colon + 1) === "latest";
}
