import { posix } from "node:path";
import type { Instruction } from "dockerfile-ast";
import ignore from "ignore";
import { jsonArgs } from "./dockerfile-run.js";
import { inherited, lineage, lineOf, type Stage } from "./dockerfile-stages.js";
import { parseShell } from "./shell.js";
import { parseSlipwayConfig } from "./slipway-config.js";
import type { Finding, ProjectView } from "./types.js";

/** Interpreters whose first operand is the script they run. */
const INTERPRETER = /^(node|nodejs|bun|python[\d.]*|ruby|php|perl|bash|sh|ash|zsh|tsx|ts-node)$/;
/** Options after which the interpreter runs code or a module, not a file: nothing to check. */
const NO_FILE = new Set(["-e", "-p", "--eval", "--print", "-c", "-m", "-"]);
/** Options that take the next word as their value. */
const WITH_VALUE = new Set(["-r", "--require", "--import", "--loader", "--experimental-loader", "-W", "-X", "--env-file", "-I"]);
/** A RUN that may write the file: a build, a download, a copy or move, a generator. */
const MAY_WRITE =
  /\b(build|tsc|compile|make|webpack|esbuild|rollup|vite|babel|swc|parcel|ncc|nest|next|prisma|npx|bunx|mv|cp|ln|rsync|curl|wget|git|tar|unzip|touch|tee|install -)\b|>/;
const LIFECYCLE_SCRIPTS = ["preinstall", "install", "postinstall", "prepare"];

/**
 * SW1017: the final image's ENTRYPOINT/CMD (its own or inherited from the stage it is built
 * FROM) runs a script (`node server.js`, `python app.py`, `./start.sh`) that no
 * instruction puts in the image: no COPY/ADD brings it from the build context (slipway.yaml's app.build.context for it, else the
 * Dockerfile's folder, minus .dockerignore), no `COPY --from` covers its folder, and no RUN
 * could write it (a build, a download, a cp/mv, or an install with lifecycle scripts).
 * Files in gitignored folders (`dist/`) count as present: a step before `docker build` makes them.
 *
 * @example
 * checkCommandFile("Dockerfile", stages, project, out); // [{ rule: "SW1017", line: 9, message: "CMD runs index.js ..." }]
 */
export function checkCommandFile(rel: string, stages: readonly Stage[], project: ProjectView, out: Finding[]): void {
  const chain = lineage(stages, stages.length - 1);
  const context = buildContext(rel, project);
  for (const keyword of ["ENTRYPOINT", "CMD"]) {
    const i = inherited(chain, keyword);
    const script = i ? scriptOf(i) : undefined;
    if (!i || script === undefined) continue;
    const image = new ImageView(chain.slice().reverse(), context, project);
    const path = image.resolve(script);
    if (path === undefined || image.mayHave(path)) continue;
    const message = `${keyword} runs ${script}, but nothing puts ${path} in the image: ${image.why(script)}`;
    out.push({ rule: "SW1017", file: rel, line: lineOf(i), message });
  }
}

/**
 * The build context of the Dockerfile at `rel`, relative to the root: the
 * `app.build.context` of a slipway.yaml (at the root or in a folder above
 * the Dockerfile) whose `app.build.dockerfile` is this file, else the
 * Dockerfile's own folder (what `docker build <folder>` would use).
 */
function buildContext(rel: string, project: ProjectView): string {
  const own = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : "";
  const folders = own.split("/").map((_, k, parts) => parts.slice(0, parts.length - k).join("/"));
  for (const folder of own === "" ? [""] : [...folders, ""]) {
    for (const name of ["slipway.yaml", "slipway.yml"]) {
      const file = posix.join(folder, name);
      const text = project.read(file);
      const build = text === undefined ? undefined : parseSlipwayConfig(text, file).config?.app.build;
      if (!build) continue;
      const context = posix.relative("/", build.context);
      if (posix.join(context, build.dockerfile) === rel) return context;
    }
  }
  return own;
}

/** The script an ENTRYPOINT/CMD runs, relative or absolute as written; undefined when it runs no file or one we cannot tell. */
function scriptOf(i: Instruction): string | undefined {
  let argv = jsonArgs(i) ?? firstCommand(i.getArgumentsContent() ?? "");
  if (/^(\/bin\/)?(ba)?sh$/.test(argv[0] ?? "") && argv[1] === "-c") argv = firstCommand(argv[2] ?? "");
  const [program = "", ...args] = argv;
  if (program.includes("$")) return undefined;
  let script: string | undefined;
  if (INTERPRETER.test(posix.basename(program))) {
    for (let k = 0; k < args.length && script === undefined; k++) {
      const a = args[k] ?? "";
      if (NO_FILE.has(a)) return undefined;
      if (WITH_VALUE.has(a)) k++;
      else if (!a.startsWith("-")) script = /\.\w+$/.test(a) ? a : undefined;
      if (!a.startsWith("-")) break;
    }
  } else if (program.startsWith("./") || (program.includes("/") && !program.startsWith("/"))) script = program;
  return script === undefined || /[$*?{}]/.test(script) ? undefined : script;
}

function firstCommand(script: string): string[] {
  const c = parseShell(script).commands[0];
  return c ? [c.name, ...c.args] : [];
}

/** What the final image's chain of stages may contain, instruction by instruction. */
class ImageView {
  private readonly dockerignore;

  constructor(
    private readonly stages: readonly Stage[],
    private readonly context: string,
    private readonly project: ProjectView,
  ) {
    const text = project.read(posix.join(context, ".dockerignore"));
    this.dockerignore = text === undefined ? undefined : ignore().add(text);
  }

  /** The absolute path of `script` under the final WORKDIR; undefined when a WORKDIR uses a variable. */
  resolve(script: string): string | undefined {
    let dir = "/";
    for (const i of this.instructions()) if (i.getKeyword() === "WORKDIR") dir = posix.resolve(dir, unquote(i.getArgumentsContent() ?? ""));
    return dir.includes("$") ? undefined : posix.resolve(dir, script);
  }

  /** Whether some instruction may put `path` in the image. */
  mayHave(path: string): boolean {
    let dir = "/";
    for (const i of this.instructions()) {
      const kw = i.getKeyword();
      if (kw === "WORKDIR") dir = posix.resolve(dir, unquote(i.getArgumentsContent() ?? ""));
      else if (kw === "RUN" && this.runMayWrite(i, path)) return true;
      else if ((kw === "COPY" || kw === "ADD") && this.copies(i, dir, path)) return true;
    }
    return false;
  }

  /** Why the script is missing, told from the build context's side. */
  why(script: string): string {
    const rel = posix.normalize(script).replace(/^\.?\/+/, "");
    if (script.startsWith("/") || !this.project.files.includes(posix.join(this.context, rel)))
      return `there is no ${script.startsWith("/") ? script : posix.join(this.context, rel)} in the build context and no RUN builds it`;
    if (this.dockerignore?.ignores(rel)) return ".dockerignore excludes it from the build context";
    return "no COPY brings it there";
  }

  private instructions(): Instruction[] {
    return this.stages.flatMap((s) => s.instructions);
  }

  private runMayWrite(i: Instruction, path: string): boolean {
    const script = i.getArgumentsContent() ?? "";
    if (MAY_WRITE.test(script) || script.includes(posix.basename(path, posix.extname(path)))) return true;
    if (!/\b(npm|yarn|pnpm|bun)\b/.test(script)) return false;
    const pkg = this.project.read(posix.join(this.context, "package.json")) ?? "";
    return LIFECYCLE_SCRIPTS.some((s) => pkg.includes(`"${s}"`));
  }

  private copies(i: Instruction, dir: string, path: string): boolean {
    const flags = (i as Instruction & { getFlags?: () => { getName(): string }[] }).getFlags?.() ?? [];
    const fromStage = flags.some((f) => f.getName() === "from");
    const operands = jsonArgs(i) ?? i.getArguments().map((a) => unquote(a.getValue()));
    const dest = operands.at(-1);
    const sources = operands.slice(0, -1);
    if (dest === undefined || sources.length === 0) return false;
    const target = posix.resolve(dir, dest);
    const intoDir = dest.endsWith("/") || dest === "." || sources.length > 1;
    const under = path === target || path.startsWith(`${target === "/" ? "" : target}/`);
    if (fromStage || sources.some((s) => /^https?:\/\/|[*?[$]/.test(s))) return under;
    return sources.some((s) => {
      const src = posix
        .normalize(s)
        .replace(/^\.?\/+|^\.$/, "")
        .replace(/\/+$/, "");
      if (this.isDir(src)) return under && this.present(posix.join(src, path.slice(target.length).replace(/^\/+/, "")));
      if (intoDir) return path === posix.join(target, posix.basename(src)) && this.present(src);
      return path === target && this.present(src);
    });
  }

  private isDir(src: string): boolean {
    const prefix = posix.join(this.context, src);
    return src === "" || this.project.files.some((f) => f.startsWith(`${prefix}/`)) || this.project.ignored(`${prefix}/`);
  }

  /** A context file that is audited and not excluded by .dockerignore, or one in a gitignored folder (built before `docker build`). */
  private present(src: string): boolean {
    const rel = posix.join(this.context, src);
    if (this.project.ignored(rel)) return true;
    if (this.dockerignore?.ignores(src)) return false;
    return this.project.files.includes(rel);
  }
}

function unquote(s: string): string {
  return s.trim().replace(/^["']+|["']+$/g, "");
}
