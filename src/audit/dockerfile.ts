import { DockerfileParser, type Arg, type Env, type From, type Instruction } from "dockerfile-ast";
import { checkCommandFile } from "./dockerfile-command.js";
import { checkRuns } from "./dockerfile-run.js";
import { inherited, lineage, lineOf, splitStages, type Stage } from "./dockerfile-stages.js";
import type { AuditFile, Checker, Finding, ProjectView } from "./types.js";
import type { RuleId } from "./rules.js";

/** Dockerfile, *.Dockerfile, Dockerfile.* (any folder). */
export function isDockerfile(rel: string): boolean {
  const name = rel.slice(rel.lastIndexOf("/") + 1);
  return name === "Dockerfile" || name.endsWith(".Dockerfile") || name.startsWith("Dockerfile.");
}

const BUILD_TOOLING =
  /\b(npm (ci|install|i)\b|yarn( install)?\b|pnpm (install|i)\b|pip3? install\b|go build\b|cargo build\b|mvn\b|gradle\b)/;
const NPM_INSTALL = /\bnpm (ci|install|i)\b(?![^&|;]*\s(--omit[= ]dev|--production|--only[= ]prod(uction)?)\b)/;
const INSTALL = /\b(npm (ci|install|i)|yarn( install)?|pnpm (install|i)|pip3? install|go (mod download|build))\b/;
const MANIFESTS =
  /(^|\/)(package(-lock)?\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|requirements[^/]*\.txt|pyproject\.toml|poetry\.lock|go\.(mod|sum))$/;
const SECRET_NAME = /(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE_KEY|ACCESS_KEY)$|^(PASSWORD|API_?KEY|SECRET)$/i;
/** hadolint's archiveFileFormatExtensions (DL3020): ADD may unpack these. Case-sensitive, as there. */
const ARCHIVE = /\.(tar|Z|bz2|gz|lz|lzma|tZ|tb2|tbz|tbz2|tgz|tlz|tpz|txz|xz)$/;
const ROOT_USER = /^(root|0)(:|$)/;
const find = (rel: string, line: number, rule: RuleId, message: string): Finding => ({ rule, file: rel, line, message });

/**
 * Dockerfile rules SW1001–SW1022, multi-stage aware: "final stage" is the last FROM, and a
 * stage built FROM an earlier stage inherits its USER, HEALTHCHECK and files.
 *
 * @example
 * dockerfileChecker.check({ rel: "Dockerfile", text: "FROM node\n" }, project); // SW1001, SW1003, SW1004...
 */
export const dockerfileChecker: Checker = {
  kind: "dockerfile",
  rules: [
    "SW1001",
    "SW1002",
    "SW1003",
    "SW1004",
    "SW1005",
    "SW1006",
    "SW1007",
    "SW1008",
    "SW1009",
    "SW1010",
    "SW1011",
    "SW1012",
    "SW1013",
    "SW1014",
    "SW1015",
    "SW1016",
    "SW1017",
    "SW1018",
    "SW1019",
    "SW1020",
    "SW1021",
    "SW1022",
  ],
  matches: isDockerfile,
  check(file: AuditFile, project: ProjectView): Finding[] {
    const dockerfile = DockerfileParser.parse(file.text);
    const stages = splitStages(dockerfile.getInstructions());
    const final = stages.at(-1);
    if (!final) return [find(file.rel, 1, "SW0001", `${file.rel}: no FROM instruction, not a Dockerfile`)];
    const bare = stages.find((s) => s.from.getArguments().length === 0);
    if (bare) return [find(file.rel, lineOf(bare.from), "SW0001", `${file.rel}: FROM without an image`)];
    const out: Finding[] = [];
    const stageNames = new Set(stages.map((s) => s.name?.toLowerCase()).filter((n): n is string => !!n));
    for (const stage of stages) {
      checkBaseImage(file.rel, stage.from, stageNames, out);
      checkManifestOrder(file.rel, stage, out);
      for (const i of stage.instructions) checkInstruction(file.rel, i, out);
      const lastUser = stage.instructions.filter((i) => i.getKeyword() === "USER").at(-1);
      if (lastUser && ROOT_USER.test(userOf(lastUser))) {
        out.push(find(file.rel, lineOf(lastUser), "SW1016", `the last USER of this stage is ${userOf(lastUser)}`));
      }
    }
    checkRuns(file.rel, stages, out);
    checkFinalStage(file.rel, stages, out);
    checkCommandFile(file.rel, stages, project, out);
    checkDockerignore(file.rel, project, out);
    return out;
  },
};

const userOf = (i: Instruction): string => (i.getArgumentsContent() ?? "").trim();

function checkBaseImage(rel: string, from: From, stageNames: Set<string>, out: Finding[]): void {
  const image = from.getImage();
  const name = from.getImageName();
  if (!image || !name || image.includes("$") || name === "scratch" || stageNames.has(image.toLowerCase())) return;
  const tag = from.getImageTag();
  const digest = from.getImageDigest();
  if (digest) return;
  if (!tag) out.push(find(rel, lineOf(from), "SW1001", `base image ${image} has no tag (means latest)`));
  else if (tag === "latest") out.push(find(rel, lineOf(from), "SW1001", `base image ${image} uses the latest tag`));
  else out.push(find(rel, lineOf(from), "SW1002", `base image ${image} is pinned by tag, not by digest`));
}

function checkManifestOrder(rel: string, stage: Stage, out: Finding[]): void {
  let manifestCopied = false;
  let broadCopy: Instruction | undefined;
  for (const i of stage.instructions) {
    const kw = i.getKeyword();
    if ((kw === "COPY" || kw === "ADD") && !i.getRawArgumentsContent()?.includes("--from")) {
      const sources = i
        .getArguments()
        .slice(0, -1)
        .map((a) => a.getValue())
        .filter((v) => !v.startsWith("--"));
      if (sources.some((s) => MANIFESTS.test(s))) manifestCopied = true;
      if (sources.some((s) => s === "." || s === "./")) broadCopy ??= i;
    }
    if (kw === "RUN" && INSTALL.test(i.getArgumentsContent() ?? "")) {
      if (broadCopy && !manifestCopied) {
        out.push(
          find(
            rel,
            lineOf(broadCopy),
            "SW1006",
            "the whole source is copied before dependencies are installed; manifests are not copied first",
          ),
        );
      }
      return;
    }
  }
}

function checkInstruction(rel: string, i: Instruction, out: Finding[]): void {
  const kw = i.getKeyword();
  const line = lineOf(i);
  const args = i.getArgumentsContent() ?? "";
  if (kw === "ADD") {
    const sources = i
      .getArguments()
      .slice(0, -1)
      .map((a) => a.getValue().replace(/^["']+|["']+$/g, ""))
      .filter((v) => !v.startsWith("--"));
    if (sources.some((s) => !/^https?:\/\//.test(s) && !ARCHIVE.test(s)))
      out.push(find(rel, line, "SW1008", `ADD ${args}: use COPY for local files`));
  } else if (kw === "WORKDIR") {
    const dir = args.trim().replace(/^["']+|["']+$/g, "");
    if (dir && !dir.startsWith("/") && !dir.startsWith("$") && !/^[A-Za-z]:/.test(dir))
      out.push(find(rel, line, "SW1009", `WORKDIR ${dir} is relative`));
  } else if (kw === "CMD" || kw === "ENTRYPOINT") {
    if (!(i.getRawArgumentsContent() ?? "").trim().startsWith("[")) out.push(find(rel, line, "SW1010", `${kw} ${args} is in shell form`));
  } else if (kw === "HEALTHCHECK") {
    const command = /^\s*CMD\s+(.*)$/is.exec(args)?.[1];
    if (command !== undefined && !command.trim().startsWith("["))
      out.push(find(rel, line, "SW1022", `HEALTHCHECK CMD ${command} is in shell form`));
  } else if (kw === "ENV" || kw === "ARG") {
    const props = kw === "ENV" ? (i as Env).getProperties() : [(i as Arg).getProperty()];
    for (const p of props) {
      const value = p?.getValue();
      if (p && value && !value.startsWith("$") && SECRET_NAME.test(p.getName())) {
        out.push(find(rel, line, "SW1014", `${kw} ${p.getName()} has a literal value baked into the image`));
      }
    }
  }
}

function checkFinalStage(rel: string, stages: readonly Stage[], out: Finding[]): void {
  const stageCount = stages.length;
  const chain = lineage(stages, stageCount - 1);
  const final = chain[0] as Stage;
  const lastUser = inherited(chain, "USER");
  if (!lastUser) out.push(find(rel, lineOf(final.from), "SW1003", "the final stage has no USER: the container runs as root"));
  else if (ROOT_USER.test(userOf(lastUser))) {
    const where = final.instructions.includes(lastUser) ? "" : ` (inherited from line ${lineOf(lastUser)})`;
    out.push(
      find(
        rel,
        final.instructions.includes(lastUser) ? lineOf(lastUser) : lineOf(final.from),
        "SW1003",
        `the final stage runs as ${userOf(lastUser)}${where}`,
      ),
    );
  }
  if (!inherited(chain, "HEALTHCHECK")) {
    out.push(find(rel, lineOf(final.from), "SW1004", "the final stage has no HEALTHCHECK (of its own or from the stage it is built FROM)"));
  }
  for (const i of final.instructions) {
    if (i.getKeyword() !== "RUN") continue;
    const cmd = i.getArgumentsContent() ?? "";
    if (stageCount === 1 && BUILD_TOOLING.test(cmd)) {
      out.push(find(rel, lineOf(i), "SW1005", `build tooling (${BUILD_TOOLING.exec(cmd)?.[0]}) runs in a single-stage image`));
    }
    if (NPM_INSTALL.test(cmd))
      out.push(find(rel, lineOf(i), "SW1007", `${NPM_INSTALL.exec(cmd)?.[0]} in the final stage installs dev dependencies`));
  }
}

const DOCKERIGNORE_MUST = [".git", "node_modules", ".env"];

function checkDockerignore(rel: string, project: ProjectView, out: Finding[]): void {
  const dir = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/") + 1) : "";
  const name = `${dir}.dockerignore`;
  const text = project.read(name) ?? (dir ? project.read(".dockerignore") : undefined);
  if (text === undefined) return void out.push(find(rel, 1, "SW1015", `no .dockerignore next to ${rel}`));
  const patterns = new Set(text.split("\n").map((l) => l.trim().replace(/^\/|^\*\*\/|\/$|\/\*\*$/g, "")));
  const missing = DOCKERIGNORE_MUST.filter((p) => !patterns.has(p) && !(p === ".env" && patterns.has(".env*")));
  if (missing.length > 0) out.push(find(rel, 1, "SW1015", `.dockerignore does not exclude ${missing.join(", ")}`));
}
