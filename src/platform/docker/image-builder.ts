import type Dockerode from "dockerode";
import { SlipwayError } from "../../errors.js";
import { DEFAULT_DOCKERFILE, packContext } from "./build-context.js";
import { BuildProgress } from "./build-progress.js";
import { engineMessage, hasStatus } from "./engine-error.js";
import { jsonMessages } from "./json-stream.js";
import { LABEL, labelFilter } from "./labels.js";
import { registryAuthFor, type RegistryAuth } from "./registry-auth.js";

export interface BuildImageOptions {
  /** The build context directory. */
  context: string;
  /** Path of the Dockerfile inside the context (default "Dockerfile"). */
  dockerfile?: string;
  /** Multi-stage target. */
  target?: string;
  /** Build arguments (`ARG`). */
  args?: Record<string, string>;
  /** Reference to tag the image with, e.g. "hello:release-3". */
  tag: string;
  /** Labels put on the image (Slipway's `slipway.app` among them, for pruning). */
  labels: Record<string, string>;
  /** Every output line of the build, as it comes. */
  onLine: (line: string) => void;
}

/** An image ready to run: the reference used and its id ("sha256:..."). */
export interface ImageRef {
  image: string;
  id: string;
}

/**
 * Build an image with the engine's classic builder from a context directory
 * (sent as a tar stream honouring `.dockerignore`), streaming its output to
 * `onLine`. A failed build throws a PLATFORM error naming the failing step,
 * with the last output lines as details.
 *
 * @example
 * const { id } = await buildImage(docker, { context: "/srv/hello", tag: "hello:release-3", labels: { "slipway.app": "hello" }, onLine: console.log });
 * // SlipwayError: image build failed at step 3/5: RUN npm ci: The command '/bin/sh -c npm ci' returned a non-zero code: 1
 */
export async function buildImage(docker: Dockerode, options: BuildImageOptions): Promise<ImageRef> {
  const dockerfile = options.dockerfile ?? DEFAULT_DOCKERFILE;
  const hint = `reproduce it with: docker build -f ${dockerfile} ${options.context}`;
  let progress = await buildOnce(docker, options, dockerfile);
  if (progress.error !== undefined && LOST_CACHE_PARENT.test(progress.error)) {
    // An image removed meanwhile (another app's retention, `docker image prune`) took a cached layer this
    // build was standing on; a second build no longer finds it in the cache and makes it again.
    options.onLine(`the build cache lost a layer while building (${progress.error}); building again`);
    progress = await buildOnce(docker, options, dockerfile);
  }
  if (progress.error !== undefined) {
    throw new SlipwayError("PLATFORM", `image build failed${progress.where()}: ${progress.error}`, { details: [...progress.tail], hint });
  }
  const id = (await docker.getImage(options.tag).inspect()).Id;
  return { image: options.tag, id };
}

/** The engine's words when a cached parent layer was removed during a build (legacy builder). */
const LOST_CACHE_PARENT =
  /unknown parent image ID|failed to set parent|No such image: sha256:|failed to get digest sha256:[0-9a-f]+: open \S*\/imagedb\/content\/sha256\/[0-9a-f]+: no such file or directory/i;

async function buildOnce(docker: Dockerode, options: BuildImageOptions, dockerfile: string): Promise<BuildProgress> {
  const context = await packContext(options.context, dockerfile);
  const progress = new BuildProgress(options.onLine);
  try {
    const stream = await docker.buildImage(context, {
      t: options.tag,
      dockerfile,
      labels: options.labels,
      rm: true,
      forcerm: true,
      version: "1",
      ...(options.target !== undefined ? { target: options.target } : {}),
      ...(options.args !== undefined ? { buildargs: options.args } : {}),
    });
    for await (const message of jsonMessages(stream)) progress.add(message);
    progress.end();
  } catch (err) {
    progress.error ??= engineMessage(err);
  }
  return progress;
}

/**
 * Make sure `ref` (an `app.image`) is on the engine: used as is when present,
 * else pulled, with credentials from `registryAuth` or DOCKER_USERNAME /
 * DOCKER_PASSWORD (sent to the engine only, never logged or stored). Pull
 * progress goes to `onLine`.
 *
 * @example
 * await ensureImage(docker, "ghcr.io/acme/api:1.4", console.log);
 * // SlipwayError: image ghcr.io/acme/api:1.4 is not available locally and could not be pulled: ... no such host
 */
export async function ensureImage(
  docker: Dockerode,
  ref: string,
  onLine: (line: string) => void,
  options: { registryAuth?: RegistryAuth; env?: NodeJS.ProcessEnv } = {},
): Promise<ImageRef> {
  const local = await docker
    .getImage(ref)
    .inspect()
    .catch((err: unknown) => {
      if (hasStatus(err, 404)) return undefined;
      throw new SlipwayError("PLATFORM", `cannot inspect image ${ref}: ${engineMessage(err)}`, { cause: err });
    });
  if (local) return { image: ref, id: local.Id };
  const progress = new BuildProgress(onLine);
  try {
    const authconfig = registryAuthFor(ref, options.registryAuth, options.env ?? process.env);
    const stream = await docker.pull(ref, authconfig ? { authconfig } : {});
    for await (const message of jsonMessages(stream)) progress.add(message);
    progress.end();
  } catch (err) {
    progress.error ??= engineMessage(err);
  }
  if (progress.error !== undefined) {
    throw new SlipwayError("PLATFORM", `image ${ref} is not available locally and could not be pulled: ${progress.error}`, {
      hint: "check the reference and the registry credentials (DOCKER_USERNAME / DOCKER_PASSWORD), or build it with app.build",
    });
  }
  return { image: ref, id: (await docker.getImage(ref).inspect()).Id };
}

/**
 * Remove the images labelled `slipway.app=<app>` that carry none of
 * `keepTags` (full references like "hello:release-3" or bare tags like
 * "release-3"; a kept image keeps all its tags). Untagged leftovers (an
 * image whose tag moved to a rebuild) go too. Images used by a container,
 * running or not, are left alone. Returns the references (or ids) removed.
 *
 * @example
 * await pruneImages(docker, "hello", ["hello:release-3", "hello:release-4"]); // ["hello:release-1", "hello:v1"]
 */
export async function pruneImages(docker: Dockerode, app: string, keepTags: string[]): Promise<string[]> {
  const keep = new Set(keepTags);
  const inUse = new Set((await docker.listContainers({ all: true })).map((container) => container.ImageID));
  const removed: string[] = [];
  for (const image of await docker.listImages({ filters: labelFilter({ [LABEL.app]: app }) })) {
    const tags = (image.RepoTags ?? []).filter((tag) => tag !== "<none>:<none>");
    if (inUse.has(image.Id) || tags.some((tag) => keep.has(tag) || keep.has(tagOf(tag)))) continue;
    for (const target of tags.length > 0 ? tags : [image.Id]) {
      try {
        await docker.getImage(target).remove();
        removed.push(target);
      } catch (err) {
        if (hasStatus(err, 404, 409)) break; // gone already, or just taken into use
        throw new SlipwayError("PLATFORM", `cannot remove image ${target}: ${engineMessage(err)}`, { cause: err });
      }
    }
  }
  return removed;
}

/** The tag part of "registry:5000/app:tag" ("tag"). */
function tagOf(reference: string): string {
  const colon = reference.lastIndexOf(":");
  return colon > reference.lastIndexOf("/") ? reference.slice(colon + 1) : "latest";
}

/**
 * Pushes a local image to its registry (the registry is the reference's
 * first part, e.g. `registry.example.com/team/hello:release-7`). Credentials
 * come from `registryAuth` (what the CLI read from DOCKER_USERNAME and
 * DOCKER_PASSWORD in its environment) and are never written anywhere.
 *
 * @example
 * await pushImage(docker, "127.0.0.1:5000/hello:release-7", (line) => console.log(line));
 */
export async function pushImage(
  docker: Dockerode,
  ref: string,
  onLine: (line: string) => void,
  options: { registryAuth?: RegistryAuth; env?: NodeJS.ProcessEnv } = {},
): Promise<void> {
  const authconfig = registryAuthFor(ref, options.registryAuth, options.env ?? process.env);
  let failure: string | undefined;
  try {
    // Always an X-Registry-Auth header, "{}" when anonymous (as the docker CLI sends): without one the engine
    // reads the credentials from the request body and refuses the push ("Bad parameters and missing X-Registry-Auth: EOF").
    const stream = await docker.getImage(ref).push({ authconfig: authconfig ?? {} });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (event: { status?: string; id?: string; error?: string; errorDetail?: { message?: string } }) => {
          if (event.error || event.errorDetail) failure = event.errorDetail?.message ?? event.error;
          else if (event.status && !/^(Preparing|Waiting|Pushing)$/.test(event.status))
            onLine(`${event.id ? `${event.id}: ` : ""}${event.status}`);
        },
      );
    });
  } catch (err) {
    failure = (err as Error).message;
  }
  if (failure) {
    throw new SlipwayError("PLATFORM", `could not push ${ref}: ${failure}`, {
      hint: "check the registry address, and DOCKER_USERNAME / DOCKER_PASSWORD in the environment of slipway deploy",
    });
  }
}
