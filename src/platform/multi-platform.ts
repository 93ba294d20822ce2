import type Dockerode from "dockerode";
import type { ContainerPlatform, ExitInfo, InstanceRecord, InstanceSpec, Platform, RunningInstance, StopOutcome } from "./platform.js";

/** Creates the docker platform on first use (connecting to the engine then). */
export type DockerFactory = () => Promise<{ platform: ContainerPlatform; docker: Dockerode }>;

/**
 * Routes each instance to the platform its spec names: the process platform
 * (always there) or the docker platform (connected on first use, so a
 * process-only project never needs an engine). A project can move from one
 * to the other with an ordinary rolling deploy.
 */
export class MultiPlatform implements Platform {
  readonly name = "multi";
  private readonly owner = new Map<string, Platform>();
  private readonly listeners = new Set<(id: string, info: ExitInfo) => void>();
  private docker: Promise<{ platform: ContainerPlatform; docker: Dockerode }> | null = null;
  /** The docker platform once connected. */
  private dockerReady: ContainerPlatform | null = null;

  constructor(
    readonly process: Platform,
    private readonly createDocker: DockerFactory,
  ) {
    process.onExit((id, info) => this.emitExit(id, info));
  }

  /** The docker engine client and platform, connecting on first call. */
  dockerPlatform(): Promise<{ platform: ContainerPlatform; docker: Dockerode }> {
    this.docker ??= this.createDocker().then((d) => {
      d.platform.onExit((id, info) => this.emitExit(id, info));
      this.dockerReady = d.platform;
      return d;
    });
    this.docker.catch(() => (this.docker = null)); // retry the connection next time
    return this.docker;
  }

  async start(spec: InstanceSpec): Promise<RunningInstance> {
    const platform = await this.platformFor(spec);
    this.owner.set(spec.id, platform);
    return platform.start(spec);
  }

  async stop(id: string): Promise<StopOutcome | void> {
    return this.owner.get(id)?.stop(id);
  }

  onExit(listener: (id: string, info: ExitInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async adopt(record: InstanceRecord): Promise<RunningInstance | null> {
    const platform = await this.platformFor(record.spec);
    const running = await platform.adopt(record);
    if (running) this.owner.set(record.spec.id, platform);
    return running;
  }

  running(): RunningInstance[] {
    return [...this.process.running(), ...(this.dockerReady?.running() ?? [])];
  }

  async tail(id: string, lines: number): Promise<string[]> {
    return (await this.owner.get(id)?.tail(id, lines)) ?? [];
  }

  async stopAll(): Promise<void> {
    await this.process.stopAll();
    if (this.docker) await (await this.docker).platform.stopAll();
  }

  private async platformFor(spec: InstanceSpec): Promise<Platform> {
    return spec.platform === "docker" ? (await this.dockerPlatform()).platform : this.process;
  }

  private emitExit(id: string, info: ExitInfo): void {
    for (const l of this.listeners) l(id, info);
  }
}
