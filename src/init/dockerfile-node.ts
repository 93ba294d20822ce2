import { bunImage, nodeImage } from "./base-images.js";
import { dataDirsLines, pid1Comment } from "./dockerfile-lines.js";
import type { NodeFacts, Stack } from "./stack.js";

interface Commands {
  /** Installs every dependency (build stage). */
  all: string;
  /** Installs production dependencies only (deps stage). */
  prod: string;
  run: string;
}

/**
 * Install commands per package manager: frozen to the lockfile when there is one.
 *
 * @example
 * installCommands(facts).prod; // "npm ci --omit=dev --no-audit --no-fund"
 */
export function installCommands(node: NodeFacts): Commands {
  const locked = node.lockfile !== undefined;
  switch (node.packageManager) {
    case "npm":
      return locked
        ? { all: "npm ci --no-audit --no-fund", prod: "npm ci --omit=dev --no-audit --no-fund", run: "npm run" }
        : { all: "npm install --no-audit --no-fund", prod: "npm install --omit=dev --no-audit --no-fund", run: "npm run" };
    case "pnpm": {
      const frozen = locked ? " --frozen-lockfile" : "";
      return { all: `corepack enable && pnpm install${frozen}`, prod: `corepack enable && pnpm install${frozen} --prod`, run: "pnpm run" };
    }
    case "yarn":
      return node.yarnBerry
        ? {
            all: `corepack enable && yarn install${locked ? " --immutable" : ""}`,
            prod: "corepack enable && yarn workspaces focus --all --production",
            run: "yarn run",
          }
        : {
            all: `yarn install${locked ? " --frozen-lockfile" : ""}`,
            prod: `yarn install${locked ? " --frozen-lockfile" : ""} --production`,
            run: "yarn run",
          };
    case "bun": {
      const frozen = locked ? " --frozen-lockfile" : "";
      return { all: `bun install${frozen}`, prod: `bun install${frozen} --production`, run: "bun run" };
    }
  }
}

/**
 * A multi-stage Dockerfile for a Node (or Bun) app: a `deps` stage installing
 * production dependencies from the manifests alone (cached until they change),
 * a `build` stage when package.json has a build script, and a slim final
 * stage running as the image's unprivileged user with a HEALTHCHECK that
 * needs nothing but the runtime.
 *
 * @example
 * nodeDockerfile(stack, stack.language as NodeFacts); // "# Dockerfile for web ...\nFROM node:24.11-bookworm-slim AS deps\n..."
 */
export function nodeDockerfile(stack: Stack, node: NodeFacts): string {
  const bun = node.packageManager === "bun";
  const image = bun ? bunImage(node.runtimeVersion) : nodeImage(node.runtimeVersion);
  const cmd = installCommands(node);
  const manifests = ["package.json", ...(node.lockfile ? [node.lockfile] : []), ...node.extraManifests.filter((f) => !f.includes("/"))];
  const manifestDirs = node.extraManifests.filter((f) => f.includes("/")).map((d) => `COPY ${d} ./${d}\n`);
  const copyManifests = `COPY ${manifests.join(" ")} ./\n${manifestDirs.join("")}`;
  const runtime = bun ? "bun" : "node";
  const url = `'http://127.0.0.1:'+(process.env.PORT||${stack.port})+'${stack.health.liveness}'`;
  const probe = `fetch(${url}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
  const build = node.build
    ? `
# Build stage: every dependency (dev ones too) and the source, to run the build script.
FROM ${image} AS build
WORKDIR /app
${copyManifests}RUN ${cmd.all}
COPY . .
RUN ${cmd.run} build
`
    : "";
  return `# Dockerfile for ${stack.name}, written by \`slipway init\` (see docs/init.md).
# Base images are pinned to a version tag; pin the digest too for fully reproducible builds
# (FROM ${image}@sha256:...), and let renovate or dependabot update them.

# Dependencies stage: only the manifests are copied, so this layer is rebuilt when they change,
# not on every source change. Production dependencies only: nothing from devDependencies ships.
# (mkdir: an app without production dependencies still has a node_modules folder to copy.)
FROM ${image} AS deps
WORKDIR /app
${copyManifests}RUN ${cmd.prod} && mkdir -p node_modules
${build}
# Final stage: the runtime, production dependencies, the source${node.build ? " and the build output" : ""}.
FROM ${image} AS runtime
ENV NODE_ENV=production PORT=${stack.port}${node.binOnPath ? " PATH=/app/node_modules/.bin:$PATH" : ""}
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
${node.build ? `COPY --from=build /app/${node.build.outDir} ./${node.build.outDir}\n` : ""}${dataDirsLines(stack)}# Files stay owned by root and read-only to the app; it runs as the image's unprivileged
# user (uid ${stack.uid}), numeric so Kubernetes can check runAsNonRoot.
USER ${stack.uid}:${stack.uid}
EXPOSE ${stack.port}
# The app must answer GET ${stack.health.liveness} on $PORT. ${runtime} itself runs the check (no curl in slim images).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \\
  CMD ["${runtime}", "-e", "${probe}"]
${startComment(stack, node, runtime)}CMD ${JSON.stringify(node.start)}
`;
}

function startComment(stack: Stack, node: NodeFacts, runtime: string): string {
  const [first, second] = node.start;
  if (first === "sh") return pid1Comment(stack, "sh runs the start script with exec: the app is PID 1");
  if ((first === "npm" || first === "bun") && (second === "start" || second === "run"))
    return `# ${first} runs the start script (more than one command) and does not pass SIGTERM on to the app:\n# a stop waits for the shutdown timeout, then kills it. A one-command start script fixes that.\n`;
  return pid1Comment(stack, `JSON form: ${runtime} is PID 1`);
}
