#!/usr/bin/env node
/**
 * Fails (exit 1) when the modules of src/ import each other in a cycle, and
 * prints each cycle found as `a.ts -> b.ts -> a.ts`. Run by `npm run lint`.
 *
 * What counts as an import: every static `import ... from "./x.js"`,
 * `import "./x.js"` and `export ... from "./x.js"` between files of src/,
 * type-only ones included (`import type`, `import { type X }`): they vanish at
 * run time, but a cycle through types still ties two layers together, which
 * is what this check is for. Dynamic `import("./x.js")` is left out: it is the
 * way to load a part on first use (the docker platform), and it runs after
 * both modules are loaded.
 *
 * @example
 * node scripts/check-cycles.mjs          # "no import cycle in src/ (245 files)"
 * node scripts/check-cycles.mjs some/dir # the same check over another tree of .ts files
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "..", "src");

/** Every .ts file under `dir` (tests excluded), as absolute paths. */
function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") && !e.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** The relative module specifiers a file imports or re-exports statically. */
function importsOf(file) {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, false);
  const specifiers = [];
  for (const statement of source.statements) {
    const isImport = ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement);
    const spec = isImport ? statement.moduleSpecifier : undefined;
    if (spec && ts.isStringLiteral(spec) && spec.text.startsWith(".")) specifiers.push(spec.text);
  }
  return specifiers;
}

/** "./fleet.js" from src/daemon/rollouts.ts → the absolute path of src/daemon/fleet.ts. */
function resolveSpecifier(from, specifier, known) {
  const base = resolve(dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")];
  return candidates.find((c) => known.has(c)) ?? null;
}

/** The import graph of src/: file → the files it imports. */
export function importGraph(dir = SRC) {
  const files = sourceFiles(dir);
  const known = new Set(files);
  const graph = new Map();
  for (const file of files) {
    const targets = importsOf(file)
      .map((s) => resolveSpecifier(file, s, known))
      .filter((t) => t !== null);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/**
 * The strongly connected components with more than one file (or a file that
 * imports itself), each listed from its first file in path order: every
 * import cycle lies inside one of them. Tarjan's algorithm, iterative.
 */
export function cycles(graph) {
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const found = [];
  let next = 0;
  for (const start of [...graph.keys()].sort()) {
    if (index.has(start)) continue;
    const work = [[start, 0]];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const frame = work[work.length - 1];
      const [node, i] = frame;
      const edges = graph.get(node) ?? [];
      if (i < edges.length) {
        frame[1]++;
        const to = edges[i];
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push([to, 0]);
        } else if (onStack.has(to)) low.set(node, Math.min(low.get(node), index.get(to)));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent), low.get(node)));
      }
      if (low.get(node) !== index.get(node)) continue;
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || edges.includes(node)) found.push(component.sort());
    }
  }
  return found;
}

/** One concrete cycle through a component, as a path that starts and ends at its first file. */
export function cyclePath(graph, component) {
  const members = new Set(component);
  const start = component[0];
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const node = queue.shift();
    for (const to of graph.get(node) ?? []) {
      if (!members.has(to)) continue;
      if (to === start) {
        const back = [];
        for (let at = node; at !== null; at = previous.get(at)) back.push(at);
        return [...back.reverse(), start];
      }
      if (!previous.has(to)) {
        previous.set(to, node);
        queue.push(to);
      }
    }
  }
  return component;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ? resolve(process.argv[2]) : SRC;
  const graph = importGraph(root);
  const found = cycles(graph);
  const name = (f) => relative(root, f);
  const where = `${relative(process.cwd(), root) || "."}/`;
  if (found.length === 0) {
    console.log(`no import cycle in ${where} (${graph.size} files)`);
  } else {
    for (const component of found) {
      console.error(`import cycle in ${where}: ${cyclePath(graph, component).map(name).join(" -> ")}`);
      if (component.length > 2) console.error(`  (${component.length} files tied together: ${component.map(name).join(", ")})`);
    }
    console.error('hint: make one side depend on an interface it owns (see docs/architecture.md, "Layers")');
  }
  process.exitCode = found.length ? 1 : 0;
}
