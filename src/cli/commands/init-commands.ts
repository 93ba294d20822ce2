import type { Command } from "commander";
import { resolve } from "node:path";
import { detectStack } from "../../init/detect.js";
import { INIT_STRATEGIES, normalizeInitOptions, type RawInitOptions } from "../../init/options.js";
import { planInit } from "../../init/plan.js";
import { projectDir } from "../../init/project-dir.js";
import { initJson, initReport } from "../../init/report.js";
import { LANGUAGES } from "../../init/stack.js";
import { writePlan } from "../../init/write.js";
import type { GlobalOptions } from "../options.js";

interface InitFlags extends RawInitOptions {
  force?: boolean;
  dryRun?: boolean;
}

/**
 * `slipway init [DIR]`: detect the stack and write the files that pass `slipway audit`
 * (exit 0, existing files skipped unless --force; 2 on usage errors, with nothing written).
 */
export function registerInitCommands(program: Command): void {
  program
    .command("init")
    .description("detect the stack and write a Dockerfile, CI/CD, Kubernetes manifests and slipway.yaml; see docs/init.md")
    .argument("[dir]", "project directory (default: the working directory)")
    .option("--force", "overwrite existing files (default: skip them)")
    .option("--dry-run", "print each file that would be written, change nothing")
    .option("--name <name>", "service name (default: from package.json, go.mod, pyproject.toml or the directory)")
    .option("--port <port>", "port the app listens on (default: the Dockerfile's EXPOSE, else 3000 node, 8080 go, 8000 python)")
    .option("--stack <stack>", `use this stack instead of the first detected: ${LANGUAGES.join(", ")}`)
    .option("--strategy <strategy>", `rollout strategy in slipway.yaml: ${INIT_STRATEGIES.join(", ")}`, "rolling")
    .option("--health-path <path>", "liveness path (default: found in the source, else /healthz)")
    .option("--ready-path <path>", "readiness path (default: found in the source, else the liveness path)")
    .option("--image <repository>", "image repository without a tag (default: ghcr.io/<owner>/<repo> from the git remote)")
    .action((dir: string | undefined, flags: InitFlags, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const options = normalizeInitOptions(flags);
      const root = resolve(dir ?? process.cwd());
      const stack = detectStack(dir ?? process.cwd(), options);
      const plan = planInit(stack, options.strategy, projectDir(root));
      const dryRun = flags.dryRun === true;
      const outcomes = writePlan(root, plan.files, { force: flags.force === true, dryRun });
      console.log(
        g.json ? JSON.stringify(initJson(stack, outcomes, plan.kept, dryRun), null, 2) : initReport(stack, outcomes, plan.kept, dryRun),
      );
    });
}
