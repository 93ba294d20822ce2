import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type Dockerode from "dockerode";
import { pack, type Headers } from "tar-fs";
import { connectDocker } from "../../src/platform/docker/engine.js";
import { hasStatus } from "../../src/platform/docker/engine-error.js";
import { jsonMessages } from "../../src/platform/docker/json-stream.js";

/**
 * Docker test helpers. Tests that need an engine skip, with one line saying
 * why, when none is reachable, unless SLIPWAY_REQUIRE_DOCKER=1 (CI with an
 * engine), where they fail instead. No registry is needed: the base image is
 * made locally from this machine's node binary and busybox.
 */

/** The local base image test Dockerfiles start FROM. */
export const NODE_BASE_IMAGE = "slipway-test/node-base:20";
/** Applets of busybox linked in the base image. */
const BUSYBOX_APPLETS = ["sh", "wget", "cat", "ls", "sleep", "env", "kill", "echo", "ps", "id", "true", "false"];

export interface DockerGate {
  run: boolean;
  /** Why the docker tests are skipped ("" when they run). */
  reason: string;
  docker?: Dockerode;
}

let gate: Promise<DockerGate> | undefined;

/**
 * Whether docker tests run here: a reachable engine, or a skip with one line
 * on the console. With SLIPWAY_REQUIRE_DOCKER=1 an unreachable engine throws,
 * so the test file fails. Checked once per test process.
 *
 * @example
 * const gate = await dockerGate();
 * describe.skipIf(!gate.run)("docker", () => { ... });
 */
export function dockerGate(): Promise<DockerGate> {
  gate ??= connectDocker().then(
    (docker) => ({ run: true, reason: "", docker }),
    (err: Error) => {
      const reason = `docker tests skipped: ${err.message}`;
      if (process.env.SLIPWAY_REQUIRE_DOCKER === "1") throw new Error(`${err.message} (SLIPWAY_REQUIRE_DOCKER=1: docker tests must run)`);
      console.warn(`${reason} (set SLIPWAY_REQUIRE_DOCKER=1 to fail instead)`);
      return { run: false, reason };
    },
  );
  return gate;
}

/**
 * Is a Docker engine reachable (DOCKER_HOST or /var/run/docker.sock)?
 *
 * @example
 * if (await dockerAvailable()) ...
 */
export async function dockerAvailable(): Promise<boolean> {
  return connectDocker().then(
    () => true,
    () => false,
  );
}

/**
 * The engine client, or undefined (after one console line) when the docker
 * tests are to be skipped; throws under SLIPWAY_REQUIRE_DOCKER=1.
 *
 * @example
 * const docker = await requireDockerOrSkip();
 * describe.skipIf(!docker)("DockerPlatform", () => { ... });
 */
export async function requireDockerOrSkip(): Promise<Dockerode | undefined> {
  return (await dockerGate()).docker;
}

const baseImages = new Map<string, Promise<string>>();

/**
 * Create the local base image (`docker import` of a root filesystem holding
 * this machine's node binary with its shared libraries, busybox as sh/wget/...,
 * root and an `app` user 1001, /tmp 1777) unless the engine already has it.
 * Idempotent, once per process; a lock directory keeps parallel test files
 * from importing it twice.
 *
 * @example
 * await ensureNodeBaseImage(); // "slipway-test/node-base:20"
 */
export function ensureNodeBaseImage(docker?: Dockerode, tag = NODE_BASE_IMAGE): Promise<string> {
  let made = baseImages.get(tag);
  if (!made) {
    made = (async () => importBaseImage(docker ?? (await connectDocker()), tag))();
    baseImages.set(tag, made);
    made.catch(() => baseImages.delete(tag));
  }
  return made;
}

async function importBaseImage(docker: Dockerode, tag: string): Promise<string> {
  if (await imageExists(docker, tag)) return tag;
  const lock = join(tmpdir(), `slipway-base-image-${tag.replace(/[^\w.-]/g, "_")}.lock`);
  while (!tryLock(lock)) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (await imageExists(docker, tag)) return tag;
  }
  const rootfs = mkdtempSync(join(tmpdir(), "slipway-rootfs-"));
  try {
    if (await imageExists(docker, tag)) return tag;
    buildRootfs(rootfs);
    const [repo, version] = splitTag(tag);
    const options = { umask: 0, map: (header: Headers) => ({ ...header, uid: 0, gid: 0 }) }; // umask 0: keep /tmp 1777
    const tar = pack(rootfs, options) as unknown as NodeJS.ReadableStream;
    const stream = await docker.importImage(tar, {
      repo,
      tag: version,
      changes: ["ENV PATH=/usr/local/bin:/usr/bin:/bin", 'CMD ["node"]'],
    });
    for await (const message of jsonMessages(stream)) {
      if (message.error) throw new Error(`cannot import ${tag}: ${message.error}`);
    }
    return tag;
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
    rmSync(lock, { recursive: true, force: true });
  }
}

function buildRootfs(root: string): void {
  const put = (from: string, to: string, mode = 0o755) => {
    mkdirSync(join(root, dirname(to)), { recursive: true });
    copyFileSync(realpathSync(from), join(root, to));
    chmodSync(join(root, to), mode);
  };
  chmodSync(root, 0o755); // mkdtemp made it 0700: the app user could not reach /bin
  const node = realpathSync(process.execPath);
  put(node, "/usr/local/bin/node");
  for (const lib of sharedLibraries(node)) put(lib, lib);
  put("/usr/bin/busybox", "/bin/busybox");
  for (const applet of BUSYBOX_APPLETS) symlinkSync("busybox", join(root, "bin", applet));
  mkdirSync(join(root, "etc"));
  writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1001:1001:app:/app:/bin/sh\n");
  writeFileSync(join(root, "etc/group"), "root:x:0:\napp:x:1001:\n");
  for (const dir of ["tmp", "app", "root"]) mkdirSync(join(root, dir));
  chmodSync(join(root, "tmp"), 0o1777);
}

/** Absolute paths of the shared libraries `ldd` lists for a binary (the loader included). */
function sharedLibraries(binary: string): string[] {
  const output = execFileSync("ldd", [binary], { encoding: "utf8" });
  return [...output.matchAll(/(\/\S+) \(0x[0-9a-f]+\)/g)].map((match) => match[1] as string);
}

/** Does the engine have this image (tag or id)? */
export async function imageExists(docker: Dockerode, ref: string): Promise<boolean> {
  return docker
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      (err: unknown) => {
        if (hasStatus(err, 404)) return false;
        throw err;
      },
    );
}

function tryLock(path: string): boolean {
  try {
    mkdirSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    if (Date.now() - statSync(path).mtimeMs > 60_000) rmSync(path, { recursive: true, force: true }); // a crashed run's lock
    return false;
  }
}

function splitTag(ref: string): [string, string] {
  const colon = ref.lastIndexOf(":");
  return colon > ref.lastIndexOf("/") ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, "latest"];
}

/**
 * `dockerfile` with a LABEL naming this test run after every FROM, so none
 * of its layers is shared with another copy of the suite building the same
 * lines on this engine. The classic builder hands out another build's layers
 * as cache; when that build's cleanup removes them (by id, or as the untagged
 * parents of an image it removes) while this build is between the cache hit
 * and its next step or its tag, this build fails with "unrecognized image ID"
 * or "No such image" (two-copy round 70, init-docker).
 *
 * @example
 * writeFileSync(join(dir, "Dockerfile"), ownLayers(`FROM ${NODE_BASE_IMAGE}\nRUN ...\n`, RUN));
 */
export function ownLayers(dockerfile: string, run: string): string {
  return dockerfile.replace(/^(FROM .*)$/gm, `$1\nLABEL slipway.test-run="${run}"`);
}

/**
 * Remove images (tags or ids), ignoring those already gone or still in use.
 * An id (a layer a build committed) that carries a tag is left alone: another
 * suite's build of the same lines reused it from the cache and tagged it, and
 * removing it by id would delete that suite's image.
 *
 * @example
 * afterAll(() => removeImages(docker, [tag]));
 */
export async function removeImages(docker: Dockerode, refs: Iterable<string>): Promise<void> {
  for (const ref of refs) {
    if (/^[0-9a-f]{12,64}$/.test(ref)) {
      const tags = await docker
        .getImage(ref)
        .inspect()
        .then(
          (image) => image.RepoTags ?? [],
          () => [],
        );
      if (tags.length > 0) continue;
    }
    await docker
      .getImage(ref)
      .remove()
      .catch((err: unknown) => {
        if (!hasStatus(err, 404, 409)) throw err;
      });
  }
}

/**
 * Ids of the images a classic build committed after its FROM step, read from
 * its output lines (" ---> 3dfb62a02b35"): a failed build leaves them behind
 * untagged. Cached steps are left out (their layers are other builds' too, say
 * another copy of the suite's) unless `includeCached`: the layers the build
 * ran on, for a check of what runs on them.
 *
 * @example
 * await removeImages(docker, builtLayers(lines).reverse());
 */
export function builtLayers(lines: string[], { includeCached = false } = {}): string[] {
  let step = 0;
  let cached = false;
  return lines.flatMap((line) => {
    const at = /^Step (\d+)\//.exec(line);
    if (at) [step, cached] = [Number(at[1]), false];
    // " ---> Using cache": the layer is shared with other builds (another suite's): not this build's to remove
    if (line === " ---> Using cache") cached = true;
    const id = /^ ---> ([0-9a-f]{12})$/.exec(line)?.[1];
    return id && step > 1 && (includeCached || !cached) ? [id] : [];
  });
}

/**
 * Removes every swarm service and container Slipway made for `app` (label
 * slipway.app): the last resort of an afterEach, for a test that timed out or
 * a daemon whose `slipway down` never ran. Call it before removeAppImages.
 */
export async function removeAppContainers(docker: Dockerode | undefined, app: string): Promise<void> {
  if (!docker || !app) return;
  const filters = { label: [`slipway.app=${app}`] };
  const services = await docker.listServices({ filters }).catch(() => []); // not a swarm manager: none
  for (const service of services)
    await docker
      .getService(service.ID)
      .remove()
      .catch(() => undefined);
  for (const container of await docker.listContainers({ all: true, filters }))
    await docker
      .getContainer(container.Id)
      .remove({ force: true })
      .catch(() => undefined);
}

/** Removes every image Slipway built for `app` (label slipway.app), ignoring ones still in use. */
export async function removeAppImages(docker: Dockerode | undefined, app: string): Promise<void> {
  if (!docker || !app) return;
  const images = await docker.listImages({ filters: { label: [`slipway.app=${app}`] } });
  for (const image of images)
    await docker
      .getImage(image.Id)
      .remove({ force: true })
      .catch(() => undefined);
}

/** One engine event about a container: `kill` (with the signal sent), `die` (with the exit code), ... */
export interface ContainerEvent {
  name: string;
  action: string;
  signal?: string;
  exitCode?: number;
}

/**
 * The engine's events about the containers named `prefix...` since `since`
 * (unix seconds), in the order they happened, read from its event log: it
 * outlives the containers, which Slipway removes once stopped. For ordering
 * checks ("every container got SIGTERM before any died") that hold however
 * slow the machine.
 *
 * @example
 * await containerEvents(docker, "slipway-hello-", since, ["kill", "die"]);
 * // [{ name: "slipway-hello-r1-1", action: "kill", signal: "15" }, { name: "slipway-hello-r1-1", action: "die", exitCode: 143 }]
 */
export async function containerEvents(docker: Dockerode, prefix: string, since: number, actions: string[]): Promise<ContainerEvent[]> {
  const until = Math.floor(Date.now() / 1000) + 1; // a past or present bound: the engine answers, then closes
  const stream = await docker.getEvents({ since, until, filters: { type: ["container"], event: actions } });
  const events: ContainerEvent[] = [];
  for await (const message of jsonMessages(stream)) {
    const { Action, Actor } = message as { Action?: string; Actor?: { Attributes?: Record<string, string> } };
    const attributes = Actor?.Attributes ?? {};
    const name = attributes.name ?? "";
    if (!name.startsWith(prefix)) continue;
    events.push({
      name,
      action: Action ?? "",
      ...(attributes.signal !== undefined && { signal: attributes.signal }),
      ...(attributes.exitCode !== undefined && { exitCode: Number(attributes.exitCode) }),
    });
  }
  return events;
}

/**
 * Exit codes of the containers named `prefix...` that died since `since`
 * (unix seconds), by name (containerEvents). 143 is SIGTERM, 137 SIGKILL.
 *
 * @example
 * (await containerExitCodes(docker, "slipway-hello-", since)).get("slipway-hello-r1-1"); // 143
 */
export async function containerExitCodes(docker: Dockerode, prefix: string, since: number): Promise<Map<string, number>> {
  const codes = new Map<string, number>();
  for (const event of await containerEvents(docker, prefix, since, ["die"])) codes.set(event.name, event.exitCode ?? NaN);
  return codes;
}

/** Makes the engine a single-node swarm manager unless it is one; false (one console line) when it cannot be. */
export async function swarmGate(docker: Dockerode): Promise<boolean> {
  const { swarmProblem } = await import("../../src/platform/swarm/swarm-manager.js");
  try {
    if (swarmProblem(await docker.info()) !== undefined)
      await docker.swarmInit({ ListenAddr: "127.0.0.1:2377", AdvertiseAddr: "127.0.0.1" });
    return true;
  } catch (err) {
    const reason = `swarm tests skipped: cannot make this engine a swarm manager (${(err as Error).message})`;
    if (process.env.SLIPWAY_REQUIRE_DOCKER === "1") throw new Error(`${reason} (SLIPWAY_REQUIRE_DOCKER=1)`, { cause: err });
    console.warn(reason);
    return false;
  }
}
