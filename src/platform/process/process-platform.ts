import { spawn, type ChildProcess } from "node:child_process";
import { closeSync } from "node:fs";
import { once } from "node:events";
import { resolve } from "node:path";
import { systemClock, within, type Clock } from "../../clock.js";
import { commandLabel } from "../../config/command.js";
import { SlipwayError } from "../../errors.js";
import type { ExitInfo, InstanceRecord, InstanceSpec, Platform, ReleaseLogs, RunningInstance, StopOutcome } from "../platform.js";
import { instanceArgv } from "../instance-argv.js";
import { LogRotator, appendMarker, openLog } from "./log-file.js";
import { listLogs, logPath, tailFile } from "./log-store.js";
import { processReleaseLogs } from "./release-logs.js";
import { groupLeaderLoggingTo, isAlive, isGroupAlive, processEnviron, signalGroup } from "./pid.js";

export interface ProcessPlatformOptions {
  /** Root of instance logs: `<logDir>/<releaseId>/<instanceId>.log`. */
  logDir: string;
  /** Bytes after which a log is rotated (unless the instance's spec says otherwise). */
  logMaxSize: number;
  /** Rotated files kept per instance (`.1` … `.<logMaxFiles>`). */
  logMaxFiles: number;
  clock?: Clock;
}

/** How often an adopted instance (not our child) is checked for exit. */
export const ADOPTED_POLL_MS = 250;
/** How long to wait for a process group to vanish after SIGKILL before giving up. */
export const KILL_WAIT_MS = 5000;
const GROUP_POLL_MS = 50;

interface Instance {
  spec: InstanceSpec;
  running: RunningInstance;
  log: string;
  /** Settles when the instance's main process has exited. */
  exited: Promise<ExitInfo>;
  /** Set by stop(); an exit while stopping is not reported to onExit listeners. */
  stopping?: Promise<StopOutcome>;
}

/**
 * Runs instances as local process groups. Each instance is spawned detached
 * (its own group, surviving the daemon) with stdout and stderr on one
 * O_APPEND log file it holds itself, so it keeps logging after the daemon dies.
 * A new daemon takes instances over with `adopt()`.
 *
 * @example
 * const platform = new ProcessPlatform({ logDir, logMaxSize: 10_000_000, logMaxFiles: 3 });
 * platform.onExit((id, { code }) => supervisor.crashed(id, code));
 * const instance = await platform.start(spec);
 * await platform.stop(instance.id);
 */
export class ProcessPlatform implements Platform {
  readonly name = "process";
  #options: ProcessPlatformOptions;
  #clock: Clock;
  #rotator: LogRotator;
  #instances = new Map<string, Instance>();
  #listeners = new Set<(id: string, info: ExitInfo) => void>();

  constructor(options: ProcessPlatformOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#rotator = new LogRotator({ maxSize: options.logMaxSize, maxFiles: options.logMaxFiles, clock: this.#clock });
  }

  /** Spawn `spec.command` with exactly `spec.env`; resolves once spawned. Rejects with a PLATFORM error if it cannot be. */
  async start(spec: InstanceSpec): Promise<RunningInstance> {
    if (this.#instances.has(spec.id)) throw new SlipwayError("PLATFORM", `instance ${spec.id} is already running`);
    const [file, ...args] = instanceArgv(spec);
    if (file === undefined) throw new SlipwayError("PLATFORM", `instance ${spec.id} has an empty command`);
    const log = logPath(this.#options.logDir, spec.releaseId, spec.id);
    let fd: number;
    try {
      fd = openLog(log);
    } catch (err) {
      throw new SlipwayError("PLATFORM", `cannot open log ${log} for instance ${spec.id}: ${(err as Error).message}`, { cause: err });
    }
    let child: ChildProcess;
    try {
      child = spawn(file, args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ["ignore", fd, fd] });
    } finally {
      closeSync(fd);
    }
    const exited = new Promise<ExitInfo>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    const pid = child.pid;
    if (pid === undefined) {
      const [err] = (await once(child, "error")) as [Error];
      appendMarker(log, `failed to start: ${err.message}`);
      throw new SlipwayError("PLATFORM", `cannot start instance ${spec.id}: ${err.message}`, {
        hint: `check app.command (${commandLabel(spec.command)}) and that ${spec.cwd} exists`,
        cause: err,
      });
    }
    child.on("error", () => {}); // later errors (e.g. signalling a gone process) are handled where they occur
    appendMarker(log, `started pid ${pid}`);
    return this.#track(spec, pid, this.#clock.now(), log, exited);
  }

  /**
   * Send `spec.shutdown.signal` to the instance's process group, SIGKILL the
   * group after `spec.shutdown.timeout`; resolves when the group is gone.
   * Idempotent; unknown ids resolve at once. The exit is not reported to onExit.
   */
  stop(id: string): Promise<StopOutcome | void> {
    const instance = this.#instances.get(id);
    if (!instance) return Promise.resolve();
    instance.stopping ??= this.#terminate(instance).finally(() => this.#instances.delete(id));
    return instance.stopping;
  }

  onExit(listener: (id: string, info: ExitInfo) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Take over an instance from a daemon that died. It must be alive and carry
   * `SLIPWAY_INSTANCE=<spec.id>` in its environment (checked via /proc when
   * readable), else null. Its exit is detected by polling. A record with pid 0 (started
   * but not yet recorded when the daemon died) is found by its log file in /proc.
   */
  async adopt(record: InstanceRecord): Promise<RunningInstance | null> {
    const { spec } = record;
    const existing = this.#instances.get(spec.id);
    if (existing) return existing.running;
    const log = logPath(this.#options.logDir, spec.releaseId, spec.id);
    // pid 0: the daemon died after recording the instance but before learning its pid.
    const pid = record.pid > 0 ? record.pid : groupLeaderLoggingTo(resolve(log));
    if (pid === undefined || !isAlive(pid)) return null;
    const environ = processEnviron(pid);
    if (environ && !environ.includes(`SLIPWAY_INSTANCE=${spec.id}`)) return null;
    appendMarker(log, `adopted pid ${pid}`);
    return this.#track(spec, pid, record.startedAt, log, this.#pollExit(pid));
  }

  /** Last `lines` lines of the instance's log, rotated files included; [] if it has none. */
  async tail(id: string, lines: number): Promise<string[]> {
    const path = this.#instances.get(id)?.log ?? listLogs(this.#options.logDir).find((entry) => entry.instanceId === id)?.path;
    return path ? tailFile(path, lines) : [];
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#instances.keys()].map((id) => this.stop(id)));
  }

  /** The log files of a release's instances, stopped ones included. */
  releaseLogs(releaseId: number): ReleaseLogs {
    return processReleaseLogs(this.#options.logDir, releaseId);
  }

  /** Instances this platform currently runs. */
  running(): RunningInstance[] {
    return [...this.#instances.values()].map((instance) => instance.running);
  }

  #track(spec: InstanceSpec, pid: number, startedAt: number, log: string, exited: Promise<ExitInfo>): RunningInstance {
    const running: RunningInstance = { id: spec.id, releaseId: spec.releaseId, pid, host: spec.host, port: spec.port, startedAt };
    const instance: Instance = { spec, running, log, exited };
    this.#instances.set(spec.id, instance);
    this.#rotator.add(log, spec.logs);
    void exited.then((info) => this.#exited(instance, info));
    return running;
  }

  #exited(instance: Instance, info: ExitInfo): void {
    const { log, running } = instance;
    appendMarker(log, info.code !== null ? `exited code ${info.code}` : info.signal ? `exited signal ${info.signal}` : "exited");
    this.#rotator.delete(log);
    if (instance.stopping) return;
    this.#instances.delete(running.id);
    try {
      signalGroup(running.pid, "SIGKILL"); // the instance is dead: leave no orphans holding its port
    } catch {
      // not ours to signal (EPERM); nothing more to do
    }
    for (const listener of [...this.#listeners]) listener(running.id, info);
  }

  async #terminate(instance: Instance): Promise<StopOutcome> {
    const { pid } = instance.running;
    const { signal, timeout } = instance.spec.shutdown;
    signalGroup(pid, signal);
    if (await this.#waitGone(instance, timeout)) return { killed: false };
    signalGroup(pid, "SIGKILL");
    if (await this.#waitGone(instance, KILL_WAIT_MS)) return { killed: signal !== "SIGKILL" };
    throw new SlipwayError("PLATFORM", `instance ${instance.running.id} (pid ${pid}) did not exit after SIGKILL`);
  }

  /** Wait up to `ms` for the main process to exit and its group to empty. */
  async #waitGone(instance: Instance, ms: number): Promise<boolean> {
    const deadline = this.#clock.now() + ms;
    if (!(await within(this.#clock, ms, instance.exited))) return false;
    while (isGroupAlive(instance.running.pid)) {
      if (this.#clock.now() >= deadline) return false;
      await this.#clock.sleep(GROUP_POLL_MS);
    }
    return true;
  }

  /** Exit of a process that is not our child: poll until it is gone (status unknown). */
  #pollExit(pid: number): Promise<ExitInfo> {
    return new Promise((resolve) => {
      const poll = () => {
        if (!isAlive(pid)) return resolve({ code: null, signal: null });
        this.#clock.setTimeout(poll, ADOPTED_POLL_MS).unref?.();
      };
      poll();
    });
  }
}
