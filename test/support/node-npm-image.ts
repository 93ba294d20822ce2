import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type Dockerode from "dockerode";
import { buildImage } from "../../src/platform/docker/image-builder.js";
import { ensureNodeBaseImage, imageExists, NODE_BASE_IMAGE } from "./docker.js";

/**
 * A local base image with node *and* npm, for building Dockerfiles that run
 * `npm ci` without a registry: `slipway-test/node-base:20` (this machine's
 * node and busybox, see docker.ts) plus this machine's npm in
 * /usr/local/lib/node_modules/npm and an `npm` wrapper in /usr/local/bin.
 * Built once and left in place for the next run, like the node base.
 */
export const NODE_NPM_IMAGE = "slipway-test/node-npm:20";

let made: Promise<string> | undefined;

/**
 * Builds NODE_NPM_IMAGE unless the engine has it (once per process).
 *
 * @example
 * await ensureNodeNpmImage(docker); // "slipway-test/node-npm:20"
 */
export function ensureNodeNpmImage(docker: Dockerode): Promise<string> {
  made ??= build(docker);
  made.catch(() => (made = undefined));
  return made;
}

async function build(docker: Dockerode): Promise<string> {
  const present = await imageExists(docker, NODE_NPM_IMAGE);
  if (present) return NODE_NPM_IMAGE;
  await ensureNodeBaseImage(docker);
  const context = mkdtempSync(join(tmpdir(), "slipway-npm-image-"));
  try {
    cpSync(npmDir(), join(context, "npm"), { recursive: true, dereference: true });
    writeFileSync(join(context, "npm-wrapper"), '#!/bin/sh\nexec node /usr/local/lib/node_modules/npm/bin/npm-cli.js "$@"\n', {
      mode: 0o755,
    });
    writeFileSync(
      join(context, "Dockerfile"),
      `FROM ${NODE_BASE_IMAGE}
COPY npm /usr/local/lib/node_modules/npm
COPY npm-wrapper /usr/local/bin/npm
# No registry here: never ask it for npm updates.
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
`,
    );
    const lines: string[] = [];
    await buildImage(docker, { context, tag: NODE_NPM_IMAGE, labels: {}, onLine: (l) => lines.push(l) });
    return NODE_NPM_IMAGE;
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** This machine's npm package folder (e.g. /usr/lib/node_modules/npm), from the `npm` on PATH. */
function npmDir(): string {
  const cli = realpathSync(execFileSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).trim()); // .../npm/bin/npm-cli.js
  return dirname(dirname(cli));
}
