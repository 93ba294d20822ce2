import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The page's own files: plain ES modules and CSS shipped in the package (`web/dashboard/`), no build step. */
const WEB_DIR = fileURLToPath(new URL("../../web/dashboard/", import.meta.url));
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** The files a page may load, by URL path: nothing else on disk is reachable. */
function fileTable(): Map<string, string> {
  const require = createRequire(import.meta.url);
  const uplot = (file: string) => require.resolve(`uplot/dist/${file}`);
  const own = ["index.html", "style.css", "app.js", "api.js", "dom.js", "now.js", "releases.js", "metrics.js", "charts.js", "format.js"];
  return new Map<string, string>([
    ...own.map((f): [string, string] => [`/assets/${f}`, WEB_DIR + f]),
    ["/assets/uplot.js", uplot("uPlot.iife.min.js")],
    ["/assets/uplot.css", uplot("uPlot.min.css")],
  ]);
}

/**
 * The dashboard's static files, read once and kept in memory (about 120 KB):
 * a page works from the installed package, with no network.
 */
export class StaticFiles {
  readonly #cache = new Map<string, Promise<{ body: Buffer; type: string }>>();
  readonly #table = fileTable();

  has(path: string): boolean {
    return this.#table.has(path);
  }

  get(path: string): Promise<{ body: Buffer; type: string }> {
    let file = this.#cache.get(path);
    if (!file) {
      const onDisk = this.#table.get(path)!;
      file = readFile(onDisk).then((body) => ({ body, type: TYPES[onDisk.slice(onDisk.lastIndexOf("."))] ?? "application/octet-stream" }));
      this.#cache.set(path, file);
    }
    return file;
  }
}
