import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";
import { ensureNodeBaseImage } from "./docker.js";
import { freePort, waitFor } from "./project.js";

/**
 * A Docker Swarm of several engines on this one machine, for tests that need
 * more than one node (test/swarm-multinode.test.ts); Moby's own integration
 * tests run their daemons the same way.
 *
 * What it models: N hosts, each a separate `dockerd` with its own data-root,
 * exec-root, pidfile, API socket, containerd (started by that dockerd under
 * its exec-root), cgroup parent and swarm address, joined in a swarm of its
 * own (the main engine's single-node swarm on 127.0.0.1 is left alone).
 * Every node advertises its own loopback address (`127.0.<block>.<n>`, the
 * block from the test process's pid, so two copies of the suite do not meet
 * on 2377 or the gossip port 7946); images reach the other nodes through a registry on
 * loopback (`docker-registry`), as Slipway's `registry:` pushes them; a node
 * can fail as a host does (`kill`: SIGKILL of its engine, its containerd,
 * the shims and every process of its containers).
 *
 * What it does not model: all nodes share one network namespace, so a port
 * is unique across the cluster (Slipway's port lanes give each task slot its
 * own port anyway) and a node "going away" is only its processes dying: its
 * address still answers (connections to its ports are refused at once
 * instead of timing out, unlike a host that vanished). No overlay network
 * and no ingress routing mesh: they need kernel features (VXLAN, IPVS) this
 * kind of machine may lack, so `ingress` is removed right after `swarm init`
 * and services use host networking. Each engine gets its own
 * `docker_gwbridge` (a bridge named `swN<block>x<n>`), created before it joins,
 * so none touches the main engine's bridge of that name.
 *
 * @example
 * const cluster = await SwarmCluster.start({ size: 3 });
 * process.env.DOCKER_HOST = cluster.manager.host; // Slipway talks to node 1
 * await cluster.kill(cluster.nodes[2]!); // a host failure
 * await cluster.stop(); // idempotent; nothing left behind
 */

/** The swarm's raft and API port: every node has its own address, so the default. */
const SWARM_PORT = 2377;
/** How long an engine may take to answer its first ping. */
const ENGINE_START_MS = 60_000;
/** Prefix of the cluster directories in the temp dir: `<prefix><pid>-XXXXXX`. */
const DIR_PREFIX = "slipway-swarm-";

export interface ClusterNode {
  /** 1-based. */
  index: number;
  /** Where its swarm listens and what it advertises: the address tasks on it are reached at. */
  address: string;
  dir: string;
  /** `unix://<dir>/docker.sock`, for DOCKER_HOST. */
  host: string;
  docker: Dockerode;
  /** Its swarm node ID. */
  id: string;
  /** Its `docker_gwbridge`'s Linux bridge. */
  bridge: string;
  /** Its containers' cgroup parent. */
  cgroupParent: string;
  killed: boolean;
}

export interface SwarmClusterOptions {
  /** Engines (default 3). */
  size?: number;
}

/** What a later run needs to clean up after a run that died (`cluster.json`). */
interface Leftovers {
  bridges: string[];
  cgroupParents: string[];
}

export class SwarmCluster {
  #stopped: Promise<void> | undefined;

  private constructor(
    readonly dir: string,
    readonly nodes: ClusterNode[],
    /** `127.0.0.1:<port>`: a loopback registry every node may pull from (Docker trusts 127.0.0.0/8 without TLS). */
    readonly registry: string,
    private readonly registryProcess: ChildProcess,
  ) {}

  /** Node 1: the swarm's first manager, the one Slipway is pointed at. */
  get manager(): ClusterNode {
    return this.nodes[0]!;
  }

  /**
   * Starts `size` engines and a registry, makes one swarm of them, and puts
   * the test base image on node 1 (where Slipway builds). On any failure it
   * tears down what it started and throws with the engine's log tail.
   */
  static async start(options: SwarmClusterOptions = {}): Promise<SwarmCluster> {
    const size = options.size ?? 3;
    cleanUpDeadRuns();
    const dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`));
    const block = 1 + (process.pid % 250);
    const nodes: ClusterNode[] = Array.from({ length: size }, (_, i) => {
      const index = i + 1;
      const nodeDir = join(dir, `n${index}`);
      return {
        index,
        address: `127.0.${block}.${index}`,
        dir: nodeDir,
        host: `unix://${nodeDir}/docker.sock`,
        docker: new Dockerode({ socketPath: join(nodeDir, "docker.sock") }),
        id: "",
        bridge: `swN${block}x${index}`,
        cgroupParent: `/${DIR_PREFIX}${process.pid}-n${index}`,
        killed: false,
      };
    });
    const leftovers: Leftovers = { bridges: nodes.map((n) => n.bridge), cgroupParents: nodes.map((n) => n.cgroupParent) };
    writeFileSync(join(dir, "cluster.json"), JSON.stringify(leftovers));
    const exitGuard = () => teardown(dir);
    process.once("exit", exitGuard); // a worker that exits mid-test still leaves nothing behind
    let registry: { child: ChildProcess; address: string } | undefined;
    try {
      registry = await startRegistry(dir);
      await Promise.all(nodes.map((node) => startEngine(node)));
      await Promise.all(nodes.map((node, i) => ownGatewayBridge(node, block, i)));
      await formSwarm(nodes, 4800 + block);
      await ensureNodeBaseImage(nodes[0]!.docker); // the first call in this process for this tag: imports it into node 1
      const cluster = new SwarmCluster(dir, nodes, registry.address, registry.child);
      process.removeListener("exit", exitGuard);
      process.once("exit", () => cluster.teardownNow());
      return cluster;
    } catch (err) {
      const logs = nodes.map((node) => `n${node.index}: ${logTail(node, 5)}`).join("\n");
      registry?.child.kill("SIGKILL");
      teardown(dir);
      process.removeListener("exit", exitGuard);
      throw new Error(`cannot start a ${size}-node swarm: ${(err as Error).message}\n${logs}`, { cause: err });
    }
  }

  /** The node a swarm node ID names. */
  nodeOf(id: string): ClusterNode | undefined {
    return this.nodes.find((node) => node.id === id);
  }

  /**
   * A host failure: SIGKILL, at once, of the node's dockerd, its containerd,
   * the shims and every process in its containers. Nothing is told to leave:
   * the other managers find out by missed heartbeats.
   */
  kill(node: ClusterNode): void {
    node.killed = true;
    killNodeProcesses(node.dir, node.cgroupParent);
  }

  /** The last lines of a node's engine log (for a failure message). */
  logTail(node: ClusterNode, lines = 20): string {
    return logTail(node, lines);
  }

  /**
   * Tears everything down: each live node leaves the swarm (forced, 5 s at
   * most), then engines, containerd, shims, containers and the registry are
   * killed, mounts under the cluster's directory unmounted, bridges and
   * cgroups removed, the directory deleted. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      const live = this.nodes.filter((node) => !node.killed);
      await Promise.all(live.map((node) => withTimeout(node.docker.swarmLeave({ force: true }), 5000).catch(() => undefined)));
      this.teardownNow();
    })();
    return this.#stopped;
  }

  /** The synchronous part of `stop`, also run when the process exits. */
  private teardownNow(): void {
    this.registryProcess.kill("SIGKILL");
    teardown(this.dir);
  }
}

/** Starts one engine and waits until it answers; throws with its log when it exits or stays silent. */
async function startEngine(node: ClusterNode): Promise<void> {
  mkdirSync(node.dir, { recursive: true });
  const log = openSync(join(node.dir, "dockerd.log"), "a");
  const name = `slipway-n${node.index}`;
  const args = [
    ...["--data-root", join(node.dir, "data"), "--exec-root", join(node.dir, "exec")],
    ...["--pidfile", join(node.dir, "docker.pid"), "-H", node.host],
    // its own containerd (dockerd starts one under the exec-root when no system containerd runs); its own namespaces anyway
    ...["--containerd-namespace", name, "--containerd-plugins-namespace", `${name}-plugins`],
    ...["--cgroup-parent", node.cgroupParent],
    ...["--storage-driver=vfs", "--iptables=false", "--ip6tables=false", "--bridge=none", "--userland-proxy=false"],
  ];
  const child = spawn("dockerd", args, { detached: true, stdio: ["ignore", log, log] });
  closeSync(log);
  let exited: string | undefined;
  child.once("exit", (code, signal) => (exited = `dockerd exited (${signal ?? code})`));
  child.once("error", (err) => (exited = `cannot run dockerd: ${err.message}`));
  child.unref();
  const deadline = Date.now() + ENGINE_START_MS;
  for (;;) {
    if (exited) throw new Error(`node ${node.index}: ${exited}`);
    if (
      await node.docker.ping().then(
        () => true,
        () => false,
      )
    )
      return;
    if (Date.now() > deadline) throw new Error(`node ${node.index}: dockerd did not answer within ${ENGINE_START_MS / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Creates the node's `docker_gwbridge` before it joins, on a Linux bridge of
 * its own: left to itself, each engine would adopt the host's existing
 * `docker_gwbridge` device, the main engine's, and could delete it later.
 */
async function ownGatewayBridge(node: ClusterNode, block: number, i: number): Promise<void> {
  await node.docker.createNetwork({
    Name: "docker_gwbridge",
    Driver: "bridge",
    IPAM: { Config: [{ Subnet: `10.${200 + i}.${block}.0/24` }] },
    Options: {
      "com.docker.network.bridge.name": node.bridge,
      "com.docker.network.bridge.enable_icc": "false",
      "com.docker.network.bridge.enable_ip_masquerade": "false",
    },
  });
}

/**
 * `swarm init` on node 1, `ingress` removed, the others join as managers one
 * at a time. Managers, not workers: with three, killing any one keeps the
 * raft quorum (two of three), so the swarm keeps scheduling and Slipway's
 * manager (node 1) keeps answering; and every manager advertises its address
 * in the API (`ManagerStatus.Addr`), which is how Slipway's router tells the
 * nodes apart when they all share one host (see nodeAddress).
 */
async function formSwarm(nodes: ClusterNode[], dataPathPort: number): Promise<void> {
  const [first, ...others] = nodes as [ClusterNode, ...ClusterNode[]];
  const endpoint = (node: ClusterNode) => `${node.address}:${SWARM_PORT}`;
  // DataPathPort: VXLAN, unused without overlay networks, but never the main engine's 4789
  await first.docker.swarmInit({ ListenAddr: endpoint(first), AdvertiseAddr: endpoint(first), DataPathPort: dataPathPort });
  await waitFor("ingress removed", () =>
    first.docker
      .getNetwork("ingress")
      .remove()
      .then(
        () => true,
        (err: { statusCode?: number }) => err.statusCode === 404,
      ),
  );
  const token = ((await first.docker.swarmInspect()) as { JoinTokens: { Manager: string } }).JoinTokens.Manager;
  for (const node of others) {
    await node.docker.swarmJoin({
      ListenAddr: endpoint(node),
      AdvertiseAddr: endpoint(node),
      RemoteAddrs: [endpoint(first)],
      JoinToken: token,
    });
  }
  for (const node of nodes) node.id = ((await node.docker.info()) as { Swarm: { NodeID: string } }).Swarm.NodeID;
  await waitFor(
    `all ${nodes.length} nodes ready`,
    async () => {
      const listed = (await first.docker.listNodes()) as { Status?: { State?: string } }[];
      return listed.length === nodes.length && listed.every((n) => n.Status?.State === "ready");
    },
    60_000,
    250,
  );
}

/** `docker-registry` on a free loopback port, storing under `<dir>/registry`. */
async function startRegistry(dir: string): Promise<{ child: ChildProcess; address: string }> {
  const bin = ["/usr/bin/docker-registry", "/usr/sbin/docker-registry"].find((b) => existsSync(b));
  if (!bin) throw new Error("docker-registry is not installed (apt-get install docker-registry)");
  const port = await freePort();
  const root = join(dir, "registry");
  mkdirSync(root);
  const config = join(root, "config.yml");
  writeFileSync(
    config,
    `version: 0.1\nlog: { level: warn }\nstorage: { filesystem: { rootdirectory: ${root}/data } }\nhttp: { addr: 127.0.0.1:${port} }\n`,
  );
  const child = spawn(bin, ["serve", config], { stdio: "ignore" });
  await waitFor("the registry", async () => (await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => undefined))?.ok);
  return { child, address: `127.0.0.1:${port}` };
}

function logTail(node: ClusterNode, lines: number): string {
  try {
    return readFileSync(join(node.dir, "dockerd.log"), "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([promise, new Promise<undefined>((resolve) => setTimeout(resolve, ms))]);
}

/**
 * Removes everything a cluster directory holds, synchronously: every process
 * that names it (dockerd, containerd, the shims, by their arguments) and
 * every process in its nodes' cgroups, then its mounts (deepest first),
 * bridges and cgroups, then the directory.
 */
function teardown(dir: string): void {
  if (!existsSync(dir)) return;
  let leftovers: Leftovers = { bridges: [], cgroupParents: [] };
  try {
    leftovers = JSON.parse(readFileSync(join(dir, "cluster.json"), "utf8")) as Leftovers;
  } catch {
    /* a run that died before writing it started nothing */
  }
  for (const parent of leftovers.cgroupParents) killNodeProcesses(dir, parent);
  killNodeProcesses(dir, undefined);
  for (const mount of mountsUnder(dir)) {
    try {
      execFileSync("umount", ["-l", mount], { stdio: "ignore" });
    } catch {
      /* gone with its parent */
    }
  }
  for (const bridge of leftovers.bridges) {
    try {
      execFileSync("ip", ["link", "del", bridge], { stdio: "ignore" });
    } catch {
      /* never made, or removed by its engine */
    }
  }
  for (const parent of leftovers.cgroupParents) {
    for (const cgroup of cgroupDirs(parent).reverse()) {
      try {
        rmdirSync(cgroup); // a cgroup goes with rmdir once empty; its files are not files
      } catch {
        /* gone */
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Cluster directories of test processes that died without tearing down (SIGKILLed vitest, say). */
function cleanUpDeadRuns(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(new RegExp(`^${DIR_PREFIX}(\\d+)-`).exec(name)?.[1]);
    if (pid && pid !== process.pid && !existsSync(`/proc/${pid}`)) teardown(join(tmpdir(), name));
  }
}

/**
 * SIGKILLs every process whose arguments name a path under `dir` (a node's dockerd, its
 * containerd and shims all carry paths under it) and every process in the
 * cgroups under `cgroupParent` (its containers, healthcheck runs included),
 * repeating until none is left.
 */
function killNodeProcesses(dir: string, cgroupParent: string | undefined): void {
  for (let round = 0; round < 20; round++) {
    const pids = new Set<number>();
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
      try {
        if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes(`${dir}/`)) pids.add(Number(name));
      } catch {
        /* gone */
      }
    }
    if (cgroupParent) {
      for (const cgroup of cgroupDirs(cgroupParent)) {
        try {
          for (const pid of readFileSync(join(cgroup, "cgroup.procs"), "utf8").split("\n").filter(Boolean)) pids.add(Number(pid));
        } catch {
          /* gone */
        }
      }
    }
    if (pids.size === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100); // let the kernel reap them
  }
}

/** The cgroup directories of a cgroup parent, parents before children, in every v1 hierarchy (or the v2 one). */
function cgroupDirs(parent: string): string[] {
  const roots = existsSync("/sys/fs/cgroup/cgroup.controllers")
    ? ["/sys/fs/cgroup"]
    : readdirSync("/sys/fs/cgroup").map((controller) => join("/sys/fs/cgroup", controller));
  const out: string[] = [];
  const walk = (path: string) => {
    out.push(path);
    const entries = (() => {
      try {
        return readdirSync(path, { withFileTypes: true });
      } catch {
        return []; // removed meanwhile
      }
    })();
    for (const entry of entries) if (entry.isDirectory()) walk(join(path, entry.name));
  };
  for (const root of roots) if (existsSync(join(root, parent))) walk(join(root, parent));
  return out;
}

/** Mount points at or under `dir`, deepest first (from /proc/self/mountinfo). */
function mountsUnder(dir: string): string[] {
  const points = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4]?.replace(/\\040/g, " ") ?? "")
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/**
 * A started three-engine cluster, or undefined after one console line when
 * engines cannot run here (not root, no dockerd or docker-registry, an
 * engine that will not start); under SLIPWAY_REQUIRE_DOCKER=1 that throws
 * instead, as dockerGate does. The caller stops it in its afterAll.
 *
 * @example
 * const cluster = await swarmClusterGate();
 * describe.skipIf(!cluster)("swarm on three engines", () => { afterAll(() => cluster?.stop()); ... });
 */
export async function swarmClusterGate(options: SwarmClusterOptions = {}): Promise<SwarmCluster | undefined> {
  try {
    if (process.getuid?.() !== 0) throw new Error("running dockerd needs root");
    return await SwarmCluster.start(options);
  } catch (err) {
    const reason = `multi-node swarm tests skipped: ${(err as Error).message}`;
    if (process.env.SLIPWAY_REQUIRE_DOCKER === "1") throw new Error(`${reason} (SLIPWAY_REQUIRE_DOCKER=1)`, { cause: err });
    console.warn(reason.split("\n")[0]);
    return undefined;
  }
}
