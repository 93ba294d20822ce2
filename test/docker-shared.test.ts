import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { dockerGate, ensureNodeBaseImage, removeAppContainers, removeAppImages } from "./support/docker.js";
import { REPO, TestProject } from "./support/project.js";
import { visit, visitsConfig } from "./support/visits-app.js";

const gate = await dockerGate();

describe.skipIf(!gate.run)("app.shared, docker platform", () => {
  const docker = gate.docker!;
  const apps: string[] = [];
  let project: TestProject | undefined;
  const create = async (shared?: string) => {
    const name = `swshared-${process.pid}-${apps.length + 1}`;
    apps.push(name);
    project = await TestProject.create((port) => visitsConfig(port, { name, docker: true, ...(shared !== undefined && { shared }) }));
    cpSync(join(REPO, "test/fixtures/visits-app"), project.dir, { recursive: true }); // data/visits.txt holds 100
    return { p: project, name };
  };
  beforeAll(async () => {
    await ensureNodeBaseImage();
  }, 120_000);
  afterEach(async () => {
    await project?.cleanup();
    project = undefined;
    for (const app of apps) await removeAppContainers(docker, app); // whatever cleanup() could not stop
  });
  afterAll(async () => {
    for (const app of apps) {
      await removeAppImages(docker, app);
      const { Volumes } = await docker.listVolumes({ filters: { label: [`slipway.app=${app}`] } });
      for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove({ force: true });
    }
  });

  it("a visit count in a named volume continues across v1, v2, a rollback and pruning, and outlives slipway down", async () => {
    const { p, name } = await create();
    const v1 = await p.run("deploy", "--version", "v1");
    expect(v1.stderr).toBe("");
    expect(v1.code).toBe(0);
    expect(v1.stdout).toContain(`shared data: volume ${name}-shared-data at /app/data`);
    // The empty volume took the image's data/ (visits.txt = 100, owned by the image's user, who can write it).
    expect(await visit(p)).toEqual({ visits: 101, version: "v1" });
    expect(await visit(p)).toEqual({ visits: 102, version: "v1" });
    const volume = await docker.getVolume(`${name}-shared-data`).inspect();
    expect(volume.Labels).toEqual({ "slipway.app": name, "slipway.shared": "data" });

    writeFileSync(join(p.dir, "data/visits.txt"), "0\n"); // v2's image holds 0: the volume is not empty, it keeps its count
    await p.ok("deploy", "--version", "v2");
    expect(await visit(p)).toEqual({ visits: 103, version: "v2" });

    await p.ok("rollback");
    expect(await visit(p)).toEqual({ visits: 104, version: "v1" });

    await p.ok("deploy", "--version", "v3"); // retain 2: release 1 (image and snapshot) goes
    const releases = await p.json<{ id: number; runnable: boolean }[]>("releases");
    expect(releases.find((r) => r.id === 1)?.runnable).toBe(false);
    expect(await visit(p)).toEqual({ visits: 105, version: "v3" });

    await p.ok("down");
    await expect(docker.getVolume(`${name}-shared-data`).inspect()).resolves.toMatchObject({ Name: `${name}-shared-data` });
  }, 240_000);

  it("refuses a shared path that is a file in the image, with a hint, before any instance starts", async () => {
    const { p, name } = await create("[server.mjs]");
    const r = await p.run("deploy", "--version", "v1");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: app.shared: server.mjs is a file in image ${name}:release-1 (/app/server.mjs); a volume can only be a directory\n` +
        "hint: move it into a directory (like data/server.mjs) and share that directory\n",
    );
    const status = await p.json<{ instances: unknown[] }>("status");
    expect(status.instances).toEqual([]);
  }, 120_000);
});
