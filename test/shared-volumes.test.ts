import { describe, expect, it } from "vitest";
import { containerOptions, type ContainerInstanceSpec } from "../src/platform/docker/container-spec.js";
import { sharedVolumeName, sharedVolumes } from "../src/platform/docker/shared-volumes.js";
import { serviceSpec } from "../src/platform/swarm/service-spec.js";

describe("shared volumes (pure)", () => {
  it.each([
    ["data", "hello-shared-data"],
    ["var/uploads", "hello-shared-var-uploads"],
    ["db.sqlite", "hello-shared-db.sqlite"],
    ["my data/é", "hello-shared-my_data-_"],
  ])("names the volume of %s %s", (path, name) => {
    expect(sharedVolumeName("hello", path)).toBe(name);
  });

  it("mounts each path under the image's WORKDIR, / when it has none", () => {
    expect(sharedVolumes("hello", ["data", "var/uploads"], "/app")).toEqual([
      { path: "data", volume: "hello-shared-data", target: "/app/data" },
      { path: "var/uploads", volume: "hello-shared-var-uploads", target: "/app/var/uploads" },
    ]);
    expect(sharedVolumes("hello", ["data"], "")[0]!.target).toBe("/data");
  });

  it("refuses two paths that would share one volume", () => {
    expect(() => sharedVolumes("hello", ["a/b", "a-b"], "/app")).toThrow("app.shared: a/b and a-b would share the volume hello-shared-a-b");
  });

  it("gives containers and swarm tasks labelled named-volume mounts that copy the image's content into an empty volume", () => {
    const volumes = sharedVolumes("hello", ["data"], "/app");
    const mount = {
      Type: "volume",
      Source: "hello-shared-data",
      Target: "/app/data",
      VolumeOptions: { NoCopy: false, Labels: { "slipway.app": "hello", "slipway.shared": "data" } },
    };
    const spec: ContainerInstanceSpec = {
      id: "r1-1",
      releaseId: 1,
      version: "v1",
      command: [],
      cwd: "/",
      env: {},
      host: "127.0.0.1",
      port: 3000,
      shutdown: { signal: "SIGTERM", timeout: 1000 },
      container: { image: "hello:release-1", app: "hello", version: "v1", network: "host", shared: ["data"] },
    };
    expect(containerOptions(spec, volumes).HostConfig?.Mounts).toEqual([mount]);
    expect(containerOptions(spec).HostConfig?.Mounts).toBeUndefined();
    const service = serviceSpec(
      { app: "hello", releaseId: 1, version: "v1", image: "hello:release-1", replicas: 2, env: {}, portBase: 20000, volumes },
      20000,
    );
    expect((service.TaskTemplate as { ContainerSpec: { Mounts: unknown } }).ContainerSpec.Mounts).toEqual([mount]);
  });
});
