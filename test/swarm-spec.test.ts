import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.js";
import { HEALTHCHECK_START_ALLOWANCE, serviceHealthOption } from "../src/daemon/swarm-workload.js";
import { checkPortBase, laneWidth, nextLane, portTemplate } from "../src/platform/swarm/port-lanes.js";
import { serviceLogLines } from "../src/platform/swarm/service-logs.js";
import { httpHealthTest, parallelismFromSurge, serviceName, serviceSpec, type ServiceOptions } from "../src/platform/swarm/service-spec.js";
import { swarmProblem } from "../src/platform/swarm/swarm-manager.js";
import { nodeAddress, swarmTask } from "../src/platform/swarm/swarm-task.js";
import { describeProgress, updateProgress } from "../src/platform/swarm/update-progress.js";

/** Expand a port template the way Swarm does, for one slot (only the constructs portTemplate emits). */
function expand(template: string, slot: number): string {
  const s = String(slot);
  return template
    .replace(
      /\{\{if eq \(len \.Task\.Slot\) 1\}\}(0*)(?:\{\{else if eq \(len \.Task\.Slot\) 2\}\}(0*))?\{\{end\}\}/,
      (_, one: string, two?: string) => (s.length === 1 ? one : s.length === 2 ? (two ?? "") : ""),
    )
    .replace("{{.Task.Slot}}", s);
}

const base: ServiceOptions = {
  app: "hello",
  releaseId: 3,
  version: "v3",
  image: "hello:release-3",
  replicas: 2,
  env: { NODE_ENV: "production", PORT: "ignored" },
  portBase: 41000,
};

describe("port lanes", () => {
  it.each([
    [41000, 1000],
    [40000, 1000],
    [4100, 100],
    [4110, 10],
    [4111, 1],
  ])("laneWidth(%i) = %i", (portBase, width) => expect(laneWidth(portBase)).toBe(width));

  it.each([
    [41000, 1, "41001"],
    [41000, 12, "41012"],
    [41000, 345, "41345"],
    [42000, 7, "42007"],
    [4100, 9, "4109"],
    [4100, 42, "4142"],
    [4110, 3, "4113"],
  ])("base %i, slot %i → port %s", (laneBase, slot, port) => {
    expect(expand(portTemplate(laneBase, laneWidth(laneBase)), slot)).toBe(port);
  });

  it("writes the template Swarm expands (checked against a real engine)", () => {
    expect(portTemplate(41000, 1000)).toBe("41{{if eq (len .Task.Slot) 1}}00{{else if eq (len .Task.Slot) 2}}0{{end}}{{.Task.Slot}}");
    expect(portTemplate(4100, 100)).toBe("41{{if eq (len .Task.Slot) 1}}0{{end}}{{.Task.Slot}}");
    expect(portTemplate(4110, 10)).toBe("411{{.Task.Slot}}");
  });

  it("alternates lanes, keeping the first lane's width", () => {
    expect(nextLane(41000, undefined)).toBe(41000);
    expect(nextLane(41000, 41000)).toBe(42000);
    expect(nextLane(41000, 42000)).toBe(41000);
    expect(nextLane(9000, 9000)).toBe(10000);
    expect(expand(portTemplate(10000, laneWidth(9000)), 5)).toBe("10005");
  });

  it.each([
    [41001, 2, "must end in 0"],
    [800, 2, "must be an integer from 1024"],
    [4110, 10, "leaves room for 9 tasks, not 10"],
    [64000, 2, "is too high"],
  ])("refuses portBase %i with %i replicas", (portBase, replicas, message) => {
    expect(() => checkPortBase(portBase, replicas)).toThrow(message);
  });

  it("accepts a base with room for both lanes", () => expect(() => checkPortBase(41000, 999)).not.toThrow());
});

describe("serviceSpec", () => {
  it("runs the release on host networking with per-task PORT and Slipway's labels", () => {
    const spec = serviceSpec(base, 42000);
    expect(spec.Name).toBe("slipway-hello-r3");
    expect(spec.Labels).toEqual({ "slipway.app": "hello", "slipway.release": "3", "slipway.version": "v3", "slipway.port-base": "42000" });
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 2 } });
    const task = spec.TaskTemplate as { ContainerSpec: { Env: string[]; Labels: Record<string, string> }; Networks: unknown[] };
    expect(task.Networks).toEqual([{ Target: "host" }]);
    expect(task.ContainerSpec.Env).toEqual([
      "NODE_ENV=production",
      "PORT=42{{if eq (len .Task.Slot) 1}}00{{else if eq (len .Task.Slot) 2}}0{{end}}{{.Task.Slot}}",
      "SLIPWAY_SLOT={{.Task.Slot}}",
      "SLIPWAY_TASK_ID={{.Task.ID}}",
    ]);
    expect(task.ContainerSpec.Labels["slipway.port-base"]).toBe("42000");
  });

  it("maps update config, health, resources, constraints and shutdown to Swarm's units", () => {
    const spec = serviceSpec(
      {
        ...base,
        name: "slipway-hello",
        command: ["node", "server.js"],
        health: { test: ["CMD", "true"], interval: 500, timeout: 2000, startPeriod: 1000, retries: 3 },
        resources: { cpus: 0.5, memoryBytes: 256 * 2 ** 20, reserveCpus: 0.25 },
        constraints: ["node.role==manager"],
        labels: { team: "web", "slipway.app": "not-this" },
        updateConfig: { parallelism: 2, monitor: 10_000 },
        shutdown: { signal: "SIGTERM", timeout: 15_000 },
      },
      41000,
    );
    expect(spec.Name).toBe("slipway-hello");
    expect(spec.Labels?.team).toBe("web");
    expect(spec.Labels?.["slipway.app"]).toBe("hello");
    expect(spec.UpdateConfig).toEqual({
      Parallelism: 2,
      Delay: 0,
      FailureAction: "rollback",
      Monitor: 10e9,
      MaxFailureRatio: 0,
      Order: "start-first",
    });
    expect(spec.RollbackConfig).toMatchObject({ Parallelism: 2, FailureAction: "continue", Order: "start-first" });
    expect(spec.TaskTemplate).toMatchObject({
      ContainerSpec: {
        Args: ["node", "server.js"],
        StopSignal: "SIGTERM",
        StopGracePeriod: 15e9,
        HealthCheck: { Test: ["CMD", "true"], Interval: 5e8, Timeout: 2e9, StartPeriod: 1e9, Retries: 3 },
      },
      Resources: { Limits: { NanoCPUs: 5e8, MemoryBytes: 268435456 }, Reservations: { NanoCPUs: 2.5e8 } },
      Placement: { Constraints: ["node.role==manager"] },
      RestartPolicy: { Condition: "any" },
    });
  });

  it("runs the engine's init as PID 1 of each task unless docker.init is false", () => {
    const init = (options: ServiceOptions) =>
      (serviceSpec(options, 41000).TaskTemplate as { ContainerSpec: { Init?: boolean } }).ContainerSpec.Init;
    expect(init(base)).toBe(true);
    expect(init({ ...base, init: true })).toBe(true);
    expect(init({ ...base, init: false })).toBe(false);
  });

  it("names services and turns maxSurge into parallelism", () => {
    expect(serviceName("hello", 3)).toBe("slipway-hello-r3");
    expect(serviceName("my_app")).toBe("slipway-my-app");
    expect(parallelismFromSurge({ count: 0 }, 4)).toBe(1);
    expect(parallelismFromSurge({ count: 3 }, 4)).toBe(3);
    expect(parallelismFromSurge({ percent: 25 }, 8)).toBe(2);
    expect(parallelismFromSurge({ percent: 25 }, 3)).toBe(1);
  });

  it("health-checks over HTTP with node, on the task's own port", () => {
    expect(httpHealthTest("/health")).toEqual([
      "CMD",
      "node",
      "-e",
      'fetch("http://127.0.0.1:"+process.env.PORT+"/health").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))',
    ]);
  });
});

describe("the service's healthcheck from the probes", () => {
  const health = (yaml: string) =>
    serviceHealthOption(
      parseConfig(`name: a\nplatform: swarm\napp: { image: a:1 }\n${yaml}`, { file: "slipway.yaml", root: "/srv/a" }).config,
    ).health;

  it("does not count failures before the first success for up to progressDeadline (readiness never kills a task that is starting)", () => {
    expect(
      health("health:\n  readiness: { http: /health, interval: 500ms, timeout: 2s, failureThreshold: 3 }\nprogressDeadline: 150s\n"),
    ).toEqual({
      test: httpHealthTest("/health"),
      interval: 500,
      timeout: 2000 + HEALTHCHECK_START_ALLOWANCE,
      startPeriod: 150_000,
      retries: 3,
    });
  });

  it("takes the startup probe's window as the start period when there is one", () => {
    const yaml = "health:\n  startup: { http: /health, interval: 1s, failureThreshold: 30 }\n  readiness: { http: /ready, interval: 2s }\n";
    expect(health(yaml)).toMatchObject({ test: httpHealthTest("/ready"), startPeriod: 30_000 });
  });

  it("falls back to liveness, and has none for a probe that is not HTTP", () => {
    expect(health("health:\n  liveness: { http: /live }\n")).toMatchObject({ test: httpHealthTest("/live") });
    expect(health('health:\n  readiness: { exec: ["true"] }\n')).toBeUndefined();
  });
});

describe("swarm state", () => {
  it.each([
    [{ Swarm: { LocalNodeState: "inactive" } }, "this Docker engine is not a swarm manager; run docker swarm init"],
    [{}, "this Docker engine is not a swarm manager; run docker swarm init"],
    [
      { Swarm: { LocalNodeState: "active", ControlAvailable: false } },
      "this Docker engine is a swarm worker, not a manager; point DOCKER_HOST at a manager node",
    ],
    [{ Swarm: { LocalNodeState: "active", ControlAvailable: true } }, undefined],
  ])("swarmProblem(%j)", (info, problem) => expect(swarmProblem(info)).toBe(problem));

  it("reads a task's port from its spec's lane and its slot, its address from its node", () => {
    const task = swarmTask(
      {
        ID: "w08n1iyt14tb",
        Slot: 2,
        NodeID: "n1",
        DesiredState: "running",
        Status: { State: "running", ContainerStatus: { ContainerID: "f98b" } },
        Spec: { ContainerSpec: { Labels: { "slipway.port-base": "42000", "slipway.release": "4", "slipway.version": "v4" } } },
      },
      (node) => (node === "n1" ? "10.0.0.5" : ""),
    );
    expect(task).toEqual({
      id: "w08n1iyt14tb",
      slot: 2,
      state: "running",
      desiredState: "running",
      ready: true,
      address: "10.0.0.5",
      port: 42002,
      releaseId: 4,
      version: "v4",
      nodeId: "n1",
      containerId: "f98b",
      error: undefined,
    });
    expect(nodeAddress({ Status: { Addr: "0.0.0.0" }, ManagerStatus: { Addr: "10.0.0.1:2377" } })).toBe("10.0.0.1");
    expect(nodeAddress({ Status: { Addr: "127.0.0.1" } })).toBe("127.0.0.1");
    // a manager: the address it advertises, not the source address its connection came from
    expect(nodeAddress({ Status: { Addr: "127.0.0.1" }, ManagerStatus: { Addr: "127.0.9.3:2377" } })).toBe("127.0.9.3");
    expect(nodeAddress({ Status: { Addr: "::1" }, ManagerStatus: { Addr: "[fd00::5]:2377" } })).toBe("fd00::5");
    expect(nodeAddress({})).toBe("127.0.0.1");
  });

  it("tells a new update from the one before, and counts tasks on the target release", () => {
    const mark = { state: "completed", startedAt: "T0" };
    const task = (releaseId: number, state = "running") => ({
      ...swarmTask({ ID: `t${releaseId}${state}`, Slot: 1 }, () => ""),
      releaseId,
      state,
      ready: state === "running",
    });
    const service = (State: "completed" | "updating", StartedAt: string) => ({
      ID: "s1",
      Spec: { Name: "slipway-hello", Labels: { "slipway.release": "4" }, Mode: { Replicated: { Replicas: 2 } } },
      UpdateStatus: { State, StartedAt, Message: State === "updating" ? "update in progress" : "update completed" },
    });
    expect(updateProgress(service("completed", "T0"), [], mark).state).toBe("pending");
    const progress = updateProgress(service("updating", "T1"), [task(3), task(4), task(4, "starting")], mark);
    expect(progress).toMatchObject({ service: "slipway-hello", state: "updating", targetRelease: 4, updated: 1, desired: 2 });
    expect(describeProgress(progress)).toBe("slipway-hello: updating, 1/2 tasks on release 4 (update in progress)");
  });

  it("orders service log lines by time across tasks, each with its task id", () => {
    const frame = (text: string) => {
      const payload = Buffer.from(text);
      const header = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]);
      header.writeUInt32BE(payload.length, 4);
      return Buffer.concat([header, payload]);
    };
    const attrs = (task: string) => `com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=${task}`;
    const output = Buffer.concat([
      frame(`2026-01-01T00:00:02Z ${attrs("aaaaaaaaaaaaaaaaaaaaaaaaa")} second\n`),
      frame(`2026-01-01T00:00:01Z ${attrs("bbbbbbbbbbbbbbbbbbbbbbbbb")} first\n`),
      frame(`2026-01-01T00:00:03Z ${attrs("aaaaaaaaaaaaaaaaaaaaaaaaa")} third\n`),
    ]);
    expect(serviceLogLines(output, 2)).toEqual(["aaaaaaaaaaaa | second", "aaaaaaaaaaaa | third"]);
    expect(serviceLogLines(output, 5)[0]).toBe("bbbbbbbbbbbb | first");
  });
});
