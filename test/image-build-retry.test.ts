/**
 * A build whose cached parent layer vanished while it ran (another app's
 * retention removed an image sharing that layer: seen when two suites shared
 * one engine) is built again once. The engine here is a fake that answers
 * `buildImage` with the JSON lines a real engine sent in that case and
 * `getImage().inspect()` with an id; it does not model layers, the cache or
 * the race itself (timing-dependent on a real engine; the real builds are in
 * test/docker-platform-build.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type Dockerode from "dockerode";
import { afterEach, describe, expect, it } from "vitest";
import { buildImage } from "../src/platform/docker/image-builder.js";

const LOST_PARENT =
  "failed to export image: failed to set parent sha256:5766fab432c6a762cf811e25d491657736af96e64c2606711765cada44cba223: unknown parent image ID sha256:5766fab432c6a762cf811e25d491657736af96e64c2606711765cada44cba223";

function engine(outcomes: string[][]): { docker: Dockerode; builds: () => number } {
  let builds = 0;
  const docker = {
    buildImage: async (context: NodeJS.ReadableStream) => {
      for await (const chunk of context) void chunk; // the engine reads the whole context first
      return Readable.from((outcomes[builds++] ?? []).map((m) => `${m}\n`));
    },
    getImage: () => ({ inspect: () => Promise.resolve({ Id: "sha256:built" }) }),
  } as unknown as Dockerode;
  return { docker, builds: () => builds };
}

const step = (s: string) => JSON.stringify({ stream: `${s}\n` });
const error = (e: string) => JSON.stringify({ errorDetail: { message: e }, error: e });

describe("an image build whose cached parent layer vanished meanwhile", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const context = () => {
    dir = mkdtempSync(join(tmpdir(), "slipway-build-retry-"));
    writeFileSync(join(dir, "Dockerfile"), "FROM scratch\nCOPY a /a\n");
    writeFileSync(join(dir, "a"), "a");
    return dir;
  };

  it("is built again once, saying why, and succeeds", async () => {
    const { docker, builds } = engine([
      [step("Step 1/2 : FROM scratch"), step("Step 2/2 : COPY a /a"), error(LOST_PARENT)],
      [step("Step 1/2 : FROM scratch"), step("Step 2/2 : COPY a /a"), step("Successfully built 1234")],
    ]);
    const lines: string[] = [];
    const built = await buildImage(docker, { context: context(), tag: "app:release-1", labels: {}, onLine: (l) => lines.push(l) });
    expect(built).toEqual({ image: "app:release-1", id: "sha256:built" });
    expect(builds()).toBe(2);
    expect(lines.filter((l) => l.includes("building again"))).toEqual([
      `the build cache lost a layer while building (${LOST_PARENT}); building again`,
    ]);
  });

  it("also when the engine loses the parent's image file under the LABEL step (seen in two-copy round 28)", async () => {
    const lost =
      "failed to get digest sha256:b9100a44e2496c2d1ad2255ab1f8ddfafce98119817c2dd5fa92171cdc00349e: open /var/lib/docker/image/vfs/imagedb/content/sha256/b9100a44e2496c2d1ad2255ab1f8ddfafce98119817c2dd5fa92171cdc00349e: no such file or directory";
    const { docker, builds } = engine([
      [step("Step 6/6 : LABEL slipway.app=x"), error(lost)],
      [step("Step 6/6 : LABEL slipway.app=x"), step("Successfully built 1234")],
    ]);
    const built = await buildImage(docker, { context: context(), tag: "app:release-1", labels: {}, onLine: () => {} });
    expect(built.id).toBe("sha256:built");
    expect(builds()).toBe(2);
  });

  it("fails with the engine's message when it happens twice, and any other error is not retried", async () => {
    const twice = engine([[error(LOST_PARENT)], [error(LOST_PARENT)]]);
    await expect(buildImage(twice.docker, { context: context(), tag: "app:1", labels: {}, onLine: () => {} })).rejects.toThrow(
      "unknown parent image ID",
    );
    expect(twice.builds()).toBe(2);
    const other = engine([[step("Step 1/2 : FROM scratch"), error("COPY failed: file not found in build context")]]);
    await expect(buildImage(other.docker, { context: dir, tag: "app:1", labels: {}, onLine: () => {} })).rejects.toThrow(
      "COPY failed: file not found in build context",
    );
    expect(other.builds()).toBe(1);
  });
});
