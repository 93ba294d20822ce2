import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.js";
import { instanceSpec } from "../src/daemon/release-runtime.js";
import { SlipwayError } from "../src/errors.js";
import { storedConfig } from "../src/ledger/ledger.js";
import type { Release } from "../src/ledger/types.js";
import type { Config } from "../src/config/types.js";
import type { InstanceSpec } from "../src/platform/platform.js";
import { BuildProgress } from "../src/platform/docker/build-progress.js";
import { demultiplex, lastLines } from "../src/platform/docker/container-logs.js";
import { containerName, containerOptions, requireContainer, stopSeconds } from "../src/platform/docker/container-spec.js";
import { isIgnored, parseDockerignore } from "../src/platform/docker/dockerignore.js";
import { connectDocker, engineAddress } from "../src/platform/docker/engine.js";
import { engineMessage, hasStatus } from "../src/platform/docker/engine-error.js";
import { identityOf, instanceLabels } from "../src/platform/docker/labels.js";
import { DOCKER_HUB, registryAuthFor, registryOf } from "../src/platform/docker/registry-auth.js";

// Pure parts of the docker platform: no engine needed.

const spec: InstanceSpec = {
  id: "r3-1",
  releaseId: 3,
  version: "v2",
  command: [],
  cwd: "/srv/hello/.slipway/releases/3",
  env: { PORT: "41877", SLIPWAY_INSTANCE: "r3-1" },
  host: "127.0.0.1",
  port: 41877,
  shutdown: { signal: "SIGINT", timeout: 2500 },
  platform: "docker",
  container: { image: "hello:release-3", app: "hello", version: "v2", network: "host", labels: { team: "web", "slipway.app": "spoofed" } },
};

describe("container options", () => {
  it("names, labels and configures the container from the spec", () => {
    expect(containerOptions(requireContainer(spec))).toEqual({
      name: "slipway-hello-r3-1",
      Image: "hello:release-3",
      Env: ["PORT=41877", "SLIPWAY_INSTANCE=r3-1"],
      Labels: { team: "web", "slipway.app": "hello", "slipway.release": "3", "slipway.version": "v2", "slipway.instance": "r3-1" },
      StopSignal: "SIGINT",
      StopTimeout: 3,
      Tty: false,
      OpenStdin: false,
      HostConfig: { NetworkMode: "host", RestartPolicy: { Name: "no" }, Init: true },
    });
  });

  it("runs the engine's init as PID 1 unless docker.init is false (absent, as in a spec recorded before the key: on)", () => {
    const init = (value: boolean | undefined) =>
      containerOptions(requireContainer({ ...spec, container: { ...spec.container!, init: value } })).HostConfig?.Init;
    expect(init(true)).toBe(true);
    expect(init(false)).toBe(false);
    expect(init(undefined)).toBe(true);
  });

  it("overrides CMD with a non-empty command and sets resources and a restart policy", () => {
    const options = containerOptions(
      requireContainer({
        ...spec,
        command: ["node", "server.mjs"],
        container: { ...spec.container!, cpus: 0.5, memoryBytes: 256 * 1024 * 1024, restartPolicy: "on-failure" },
      }),
    );
    expect(options.Cmd).toEqual(["node", "server.mjs"]);
    expect(options.HostConfig).toEqual({
      NetworkMode: "host",
      RestartPolicy: { Name: "on-failure" },
      Init: true,
      NanoCpus: 500_000_000,
      Memory: 268_435_456,
    });
  });

  it("takes docker.init from the release's config, an old release's stored config reading back with the default", () => {
    const yaml = (init: string) => `name: hello\nplatform: docker\napp:\n  image: hello:1\n${init}`;
    const config = (init: string) => parseConfig(yaml(init), { file: "slipway.yaml", root: "/srv/hello" }).config;
    const hostInit = (c: Config) => {
      const release: Release = {
        ...{ id: 3, version: "v2", status: "active", createdAt: 0, activatedAt: null, configText: "", configFile: "slipway.yaml" },
        ...{ environment: null, config: c, env: {}, snapshot: "/srv/hello/.slipway/releases/3", image: "hello:1", reason: null, git: null },
      };
      return containerOptions(requireContainer({ ...instanceSpec(release, c, 1), port: 41877 })).HostConfig?.Init;
    };
    expect(config("").docker.init).toBe(true);
    expect(hostInit(config(""))).toBe(true);
    expect(hostInit(config("docker:\n  init: false\n"))).toBe(false);
    const recordedBefore = { network: "host", restartPolicy: "no" };
    const old = storedConfig(JSON.stringify({ ...config(""), docker: recordedBefore }));
    expect(old.docker).toEqual({ network: "host", restartPolicy: "no", init: true });
    expect(storedConfig(JSON.stringify(config("docker:\n  init: false\n"))).docker.init).toBe(false);
  });

  it("requires container settings", () => {
    expect(() => requireContainer({ ...spec, container: undefined })).toThrow("instance r3-1 has no container settings");
  });

  it.each([
    ["hello", "r1-2", "slipway-hello-r1-2"],
    ["my app/2", "r1-2", "slipway-my-app-2-r1-2"],
  ])("containerName(%j, %j) = %j", (app, id, name) => expect(containerName(app, id)).toBe(name));

  it.each([
    [0, 0],
    [500, 1],
    [1000, 1],
    [10_001, 11],
  ])("stopSeconds(%i) = %i", (ms, seconds) => expect(stopSeconds(ms)).toBe(seconds));

  it("reads the identity back from labels", () => {
    const labels = instanceLabels({ app: "hello", release: 3, version: "v2", instance: "r3-1" });
    expect(identityOf(labels)).toEqual({ app: "hello", release: 3, version: "v2", instance: "r3-1" });
    expect(identityOf({ "com.example": "x" })).toBeUndefined();
  });
});

describe(".dockerignore subset", () => {
  const rules = parseDockerignore(
    ["# comment", "", "node_modules", "/dist/", "*.md", "!README.md", "**/*.log", "secrets", "!secrets/public.pem", "temp?"].join("\n"),
  );
  it.each([
    ["node_modules", true],
    ["node_modules/x/index.js", true],
    ["src/node_modules", false],
    ["dist/app.js", true],
    ["CHANGES.md", true],
    ["README.md", false],
    ["docs/guide.md", false],
    ["app.log", true],
    ["logs/deep/app.log", true],
    ["secrets/key.pem", true],
    ["secrets/public.pem", false],
    ["temp1", true],
    ["temp12", false],
    ["server.mjs", false],
  ])("%s ignored: %s", (path, ignored) => expect(isIgnored(rules, path)).toBe(ignored));
});

describe("container logs", () => {
  const frame = (stream: number, text: string) => {
    const payload = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };

  it("demultiplexes stdout and stderr frames in order, a line split across frames included", () => {
    const buffer = Buffer.concat([frame(1, "listening on 127.0.0.1:1\n"), frame(2, "stderr: ready\n"), frame(1, "GET "), frame(1, "/\n")]);
    expect(lastLines(demultiplex(buffer), 10)).toEqual(["listening on 127.0.0.1:1", "stderr: ready", "GET /"]);
  });

  it("passes text that is not framed (TTY) through", () => {
    expect(demultiplex(Buffer.from("plain\ntext\n"))).toBe("plain\ntext\n");
  });

  it.each([
    ["a\nb\nc\n", 2, ["b", "c"]],
    ["a\nb", 5, ["a", "b"]],
    ["", 3, []],
    ["a\n", 0, []],
  ])("lastLines(%j, %i)", (text, n, lines) => expect(lastLines(text, n)).toEqual(lines));
});

describe("build progress", () => {
  it("follows steps, hands every line on, and keeps the error and the last 15 lines", () => {
    const lines: string[] = [];
    const progress = new BuildProgress((line) => lines.push(line));
    progress.add({ stream: "Step 1/3 : FROM base\n" });
    progress.add({ stream: " ---> 05af250d42db\nStep 2/3 : RUN make" });
    progress.add({ stream: "\n" });
    for (let i = 0; i < 20; i++) progress.add({ stream: `out ${i}\n` });
    progress.add({ errorDetail: { message: "The command '/bin/sh -c make' returned a non-zero code: 2" }, error: "ignored" });
    expect(progress.where()).toBe(" at step 2/3: RUN make");
    expect(progress.error).toBe("The command '/bin/sh -c make' returned a non-zero code: 2");
    expect(lines.slice(0, 3)).toEqual(["Step 1/3 : FROM base", " ---> 05af250d42db", "Step 2/3 : RUN make"]);
    expect(progress.tail).toHaveLength(15);
    expect(progress.tail.at(-1)).toBe(progress.error);
    expect(progress.tail.at(-2)).toBe("out 19");
  });

  it("shows pull statuses but not progress ticks", () => {
    const lines: string[] = [];
    const progress = new BuildProgress((line) => lines.push(line));
    progress.add({ status: "Pulling from library/node", id: "20" });
    progress.add({ status: "Downloading", id: "abc", progress: "[=>  ]", progressDetail: { current: 1, total: 9 } });
    progress.add({ status: "Pull complete", id: "abc", progressDetail: {} });
    expect(lines).toEqual(["20: Pulling from library/node", "abc: Pull complete"]);
  });
});

describe("engine address", () => {
  it.each([
    [{}, "DOCKER_HOST (unset) and /var/run/docker.sock", { socketPath: "/var/run/docker.sock" }],
    [
      { DOCKER_HOST: "unix:///run/user/1000/docker.sock" },
      "DOCKER_HOST=unix:///run/user/1000/docker.sock",
      { socketPath: "/run/user/1000/docker.sock" },
    ],
    [{ DOCKER_HOST: "tcp://10.0.0.5:2375" }, "DOCKER_HOST=tcp://10.0.0.5:2375", { host: "10.0.0.5", port: 2375, protocol: "http" }],
  ])("%j", (env, tried, options) => {
    const address = engineAddress(env);
    expect(address.tried).toBe(tried);
    expect(address.options).toMatchObject(options);
  });

  it("never lets docker-modem fall back to process.env: every connection field is set", () => {
    expect(Object.keys(engineAddress({ DOCKER_HOST: "unix:///x.sock" }).options)).toEqual(
      expect.arrayContaining(["socketPath", "host", "port", "protocol", "ca", "cert", "key"]),
    );
  });

  it("refuses schemes it does not speak", () => {
    expect(() => engineAddress({ DOCKER_HOST: "ssh://me@box" })).toThrow("DOCKER_HOST=ssh://me@box is not supported");
  });

  it("says in one line where it looked and what it got when no engine answers", async () => {
    const err = await connectDocker({ DOCKER_HOST: "unix:///nonexistent.sock" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlipwayError);
    expect(err).toMatchObject({
      code: "PLATFORM",
      message: "no Docker engine reachable: tried DOCKER_HOST=unix:///nonexistent.sock (ENOENT)",
      hint: "start the Docker engine (dockerd) or set DOCKER_HOST",
    });
  });

  it("reads the engine's message out of a docker-modem error", () => {
    const err = Object.assign(new Error("(HTTP code 404) no such container - No such container: abc "), { statusCode: 404, json: null });
    expect(engineMessage(err)).toBe("No such container: abc");
    expect(hasStatus(err, 304, 404)).toBe(true);
    expect(hasStatus(new Error("x"), 404)).toBe(false);
  });
});

describe("registry credentials", () => {
  it.each([
    ["node:20", DOCKER_HUB],
    ["acme/api:1.4", DOCKER_HUB],
    ["ghcr.io/acme/api:1.4", "ghcr.io"],
    ["localhost:5000/api", "localhost:5000"],
  ])("registryOf(%j) = %j", (ref, registry) => expect(registryOf(ref)).toBe(registry));

  it("prefers explicit credentials, else DOCKER_USERNAME / DOCKER_PASSWORD, else none", () => {
    const env = { DOCKER_USERNAME: "ci", DOCKER_PASSWORD: "pw" };
    expect(registryAuthFor("ghcr.io/a/b", { username: "me", password: "x" }, env)).toEqual({
      username: "me",
      password: "x",
      serveraddress: "ghcr.io",
    });
    expect(registryAuthFor("a/b", undefined, env)).toEqual({ username: "ci", password: "pw", serveraddress: DOCKER_HUB });
    expect(registryAuthFor("a/b", undefined, { DOCKER_USERNAME: "ci" })).toBeUndefined();
  });
});
