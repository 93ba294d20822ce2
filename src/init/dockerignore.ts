import type { Stack } from "./stack.js";

/**
 * `.dockerignore`: keeps VCS data, local dependencies, secrets (.env files,
 * .env.example excepted) and build output out of the build context, so they
 * neither slow the build nor end up in the image.
 *
 * @example
 * dockerignore(stack); // ".git\n...\nnode_modules\n.env\n..."
 */
export function dockerignore(stack: Stack): string {
  const language = stack.language?.language;
  const extra: Record<string, string[]> = {
    node: [
      "npm-debug.log*",
      "yarn-error.log*",
      "coverage",
      ...(stack.language?.language === "node" && stack.language.build ? [stack.language.build.outDir] : []),
    ],
    python: ["__pycache__", "*.pyc", ".venv", "venv", ".pytest_cache", ".mypy_cache", ".ruff_cache"],
    go: ["bin"],
  };
  return `# Files kept out of the Docker build context (written by \`slipway init\`).
# Version control and CI
.git
.github
# Local dependencies: the image installs its own
node_modules
# Secrets and local configuration: never in an image
.env
.env.*
!.env.example
# Deployment files that the image does not need
k8s
slipway.yaml
.slipway
${language ? `# ${language}\n${(extra[language] ?? []).join("\n")}\n` : ""}`;
}
