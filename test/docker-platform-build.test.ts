import { resolve } from "node:path";
import type Dockerode from "dockerode";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SlipwayError } from "../src/errors.js";
import { containerTail } from "../src/platform/docker/container-logs.js";
import { buildImage, ensureImage, pruneImages } from "../src/platform/docker/image-builder.js";
import { LABEL } from "../src/platform/docker/labels.js";
import { NODE_BASE_IMAGE, builtLayers, ensureNodeBaseImage, removeImages, requireDockerOrSkip } from "./support/docker.js";
import { waitFor } from "./support/project.js";

const FIXTURES = resolve(import.meta.dirname, "fixtures/docker");
const engine = await requireDockerOrSkip();
/** Unique per run, so parallel runs and test files never share images. */
const RUN = `${process.pid}-${Date.now().toString(36)}`;
const APP = `swbuild-${RUN}`;
const REPO = `slipway-test/build-${RUN}`;

describe.skipIf(!engine)("image builder (real engine)", () => {
  const docker = engine as Dockerode;
  const images = new Set<string>();
  const layers: string[] = [];

  /** Build a fixture, remembering the tag and any layers a failed build leaves behind. */
  async function build(
    fixture: string,
    tag: string,
    extra: { args?: Record<string, string>; target?: string; labels?: Record<string, string> } = {},
  ) {
    const lines: string[] = [];
    images.add(tag);
    try {
      return {
        ...(await buildImage(docker, {
          context: `${FIXTURES}/${fixture}`,
          tag,
          labels: { [LABEL.app]: APP },
          onLine: (l) => lines.push(l),
          ...extra,
        })),
        lines,
      };
    } finally {
      layers.push(...builtLayers(lines));
    }
  }

  beforeAll(async () => {
    await ensureNodeBaseImage(docker);
  });
  /** Every container a test creates, removed after it whatever happens (a timed-out test never reaches its finally). */
  let containers: Dockerode.Container[] = [];
  const track = (container: Dockerode.Container) => (containers.push(container), container);
  afterEach(async () => {
    for (const container of containers) await container.remove({ force: true }).catch(() => undefined);
    containers = [];
  });
  afterAll(async () => {
    await removeImages(docker, images);
    await removeImages(docker, layers.reverse());
  });

  it("ensureNodeBaseImage imports a runnable base image from this machine's node and busybox, once", async () => {
    const tag = `slipway-test/node-base-${RUN}:20`;
    images.add(tag);
    const started = Date.now();
    const [made, again] = await Promise.all([ensureNodeBaseImage(docker, tag), ensureNodeBaseImage(docker, tag)]);
    console.log(`base image imported in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    expect([made, again]).toEqual([tag, tag]);
    const container = track(
      await docker.createContainer({
        Image: tag,
        User: "app",
        Cmd: ["sh", "-c", 'node -e "console.log(process.version)" && id -u && wget --help 2>&1 | head -1 | cut -c1-7 && ls -ld /tmp'],
        HostConfig: { NetworkMode: "host" },
      }),
    );
    try {
      await container.start();
      expect(await container.wait()).toMatchObject({ StatusCode: 0 });
      const [version, uid, wget, tmp] = await containerTail(container, 10);
      expect([version, uid, wget, tmp?.slice(0, 10)]).toEqual([process.version, "1001", "BusyBox", "drwxrwxrwt"]);
    } finally {
      await container.remove({ force: true });
    }
  });

  it("builds from a context, streaming its output, labelling the image and honouring .dockerignore", async () => {
    const started = Date.now();
    const built = await build("web", `${REPO}:web`);
    const seconds = (Date.now() - started) / 1000;
    console.log(`web fixture image built in ${seconds.toFixed(1)}s`);
    expect(built.image).toBe(`${REPO}:web`);
    expect(built.lines[0]).toBe(`Step 1/6 : FROM ${NODE_BASE_IMAGE}`);
    expect(built.lines).toContain('Step 5/6 : CMD ["node", "/app/server.mjs"]');
    const info = await docker.getImage(built.image).inspect();
    expect(info.Id).toBe(built.id);
    expect(info.Config.Labels).toMatchObject({ [LABEL.app]: APP });
    expect(info.Config.Healthcheck?.Test?.[0]).toBe("CMD-SHELL");
    expect(info.Config.User).toBe("app");

    const container = track(
      await docker.createContainer({
        Image: built.image,
        Cmd: ["sh", "-c", "cd /app && ls -a . scratch"],
        HostConfig: { NetworkMode: "host" },
      }),
    );
    try {
      await container.start();
      await container.wait();
      const listing = (await containerTail(container, 50)).filter((name) => !/^\.{1,2}$|:$|^$/.test(name));
      expect(listing.sort()).toEqual(
        [".dockerignore", "Dockerfile", "crash.mjs", "ignore-sigterm.mjs", "keep.txt", "scratch", "server.mjs"].sort(),
      );
    } finally {
      await container.remove({ force: true });
    }
  });

  it("passes build args and a target stage", async () => {
    const built = await build("tiny", `${REPO}:tiny-base`, { args: { FLAVOUR: "salted" }, target: "base" });
    const labels = (await docker.getImage(built.id).inspect()).Config.Labels;
    expect(labels).toMatchObject({ flavour: "salted", [LABEL.app]: APP });
    expect(labels).not.toHaveProperty("stage");
  });

  it("fails with the failing step, its error and the last output lines", async () => {
    const err = await build("broken", `${REPO}:broken`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlipwayError);
    const { message, details, hint } = err as SlipwayError;
    expect(message).toBe(
      `image build failed at step 3/5: RUN echo "about to fail" && cat /hello.txt && exit 3: ` +
        `The command '/bin/sh -c echo "about to fail" && cat /hello.txt && exit 3' returned a non-zero code: 3`,
    );
    expect(details.length).toBeLessThanOrEqual(15);
    expect(details).toEqual(expect.arrayContaining(["about to fail", "hello from the build context"]));
    expect(details.at(-1)).toMatch(/returned a non-zero code: 3$/);
    expect(hint).toContain(`docker build -f Dockerfile ${FIXTURES}/broken`);
    await expect(docker.getImage(`${REPO}:broken`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const brokenLayers = builtLayers(details, { includeCached: true });
    expect(brokenLayers.length).toBeGreaterThan(0);
    // forcerm: no leftover container. Another build of the same Dockerfile (a second copy of the suite on this engine)
    // runs its own container on these layers for a moment, so the check waits for none to be left.
    await waitFor(
      "no container left on the failed build's layers",
      async () => {
        const left = await docker.listContainers({ all: true, filters: { ancestor: brokenLayers } });
        return left.length === 0;
      },
      30_000,
      500,
    );
  });

  it("says what is missing when the context or the Dockerfile is", async () => {
    await expect(build("nope", `${REPO}:nope`)).rejects.toThrow(`build context ${FIXTURES}/nope is not a directory`);
    await expect(
      buildImage(docker, { context: `${FIXTURES}/tiny`, dockerfile: "Dockerfile.prod", tag: `${REPO}:x`, labels: {}, onLine: () => {} }),
    ).rejects.toThrow(`Dockerfile Dockerfile.prod not found in the build context ${FIXTURES}/tiny`);
  });

  it("ensureImage uses a local image, and explains one it can neither find nor pull (credentials never shown)", async () => {
    const base = await docker.getImage(NODE_BASE_IMAGE).inspect();
    expect(await ensureImage(docker, NODE_BASE_IMAGE, () => {})).toEqual({ image: NODE_BASE_IMAGE, id: base.Id });

    const lines: string[] = [];
    const missing = `slipway-test/absent-${RUN}:1`;
    const err = await ensureImage(docker, missing, (l) => lines.push(l), { registryAuth: { username: "ci", password: "s3cret-pw" } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SlipwayError);
    expect((err as SlipwayError).message).toMatch(new RegExp(`^image ${missing} is not available locally and could not be pulled: \\S.*$`));
    expect(JSON.stringify({ err, lines, details: (err as SlipwayError).details })).not.toContain("s3cret");
  });

  it("pruneImages removes the app's images that carry no kept tag, and leaves images in use", async () => {
    const [one, two, three] = [`${REPO}:p1`, `${REPO}:p2`, `${REPO}:p3`];
    const built1 = await build("tiny", one, { args: { FLAVOUR: "one" } });
    const built2 = await build("tiny", two, { args: { FLAVOUR: "two" } });
    await docker.getImage(built1.id).tag({ repo: REPO, tag: "p1-alias" });
    await docker.getImage(built2.id).tag({ repo: REPO, tag: "p2-alias" });
    images.add(`${REPO}:p1-alias`).add(`${REPO}:p2-alias`);
    const first3 = await build("tiny", three, { args: { FLAVOUR: "three" } });
    const rebuilt3 = await build("tiny", three, { args: { FLAVOUR: "three-again" } }); // leaves the first p3 untagged
    expect(rebuilt3.id).not.toBe(first3.id);
    const keep = [three, "p2", "web", "tiny-base"];
    const user = track(await docker.createContainer({ Image: one, Cmd: ["true"] })); // created, never started: still in use
    try {
      expect(await pruneImages(docker, APP, keep)).toEqual([first3.id]);
      expect((await docker.getImage(one).inspect()).Id).toBe(built1.id);
    } finally {
      await user.remove({ force: true });
    }
    expect((await pruneImages(docker, APP, keep)).sort()).toEqual([one, `${REPO}:p1-alias`]);
    await expect(docker.getImage(built1.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await docker.getImage(`${REPO}:p2-alias`).inspect()).Id).toBe(built2.id); // a kept image keeps all its tags
    expect((await docker.getImage(three).inspect()).Id).toBe(rebuilt3.id);
  });
});
