import Database from "better-sqlite3";
import { dirname } from "node:path";
import type { Clock } from "../clock.js";
import type { Config } from "../config/types.js";
import {
  DEFAULT_DOCKER_INIT,
  DEFAULT_RESPONSE_TIMEOUT,
  DEFAULT_TRUSTED_PROXIES,
  DEFAULT_UPSTREAM_IDLE_TIMEOUT,
} from "../config/defaults.js";
import { parseDuration } from "../config/duration.js";
import { FaultLog } from "../fault-log.js";
import { resourceFault } from "../resource-error.js";
import { MIGRATIONS } from "./schema.js";
import type { InstanceRow, LedgerEvent, Release, ReleaseGit, ReleaseStatus, Rollout, RolloutKind, RolloutStatus } from "./types.js";

/** What a new release is created with; the ledger adds id, status and times. */
export type NewRelease = Pick<Release, "version" | "configText" | "config" | "configFile" | "environment" | "env" | "snapshot">;

export interface NewEvent {
  type: string;
  message: string;
  rolloutId?: number | null;
  releaseId?: number | null;
  instanceId?: string | null;
  data?: Record<string, unknown>;
}

/** Which events `Ledger.events` returns: every field given must match. */
export interface EventFilter {
  rolloutId?: number;
  releaseId?: number;
  type?: string;
  /** Only events recorded after this one. */
  sinceId?: number;
  limit?: number;
}

type Row = Record<string, unknown>;

/**
 * The ledger: Slipway's source of truth in SQLite (WAL, synchronous=FULL), so
 * a killed daemon loses nothing it recorded. Releases, rollouts, every event,
 * the instances it started, and which release is current.
 *
 * @example
 * const ledger = Ledger.open(".slipway/ledger.db", systemClock);
 * const release = ledger.createRelease({ version: "v2", ... });
 */
export class Ledger {
  private readonly listeners = new Set<(event: LedgerEvent) => void>();

  private constructor(
    private readonly db: Database.Database,
    private readonly clock: Clock,
    private readonly faults: FaultLog,
    private readonly dir: string,
  ) {}

  /** Opens (creating and migrating) the ledger; `faults` hears of events that could not be written (see record). */
  static open(file: string, clock: Clock, faults: FaultLog = new FaultLog()): Ledger {
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    const version = db.pragma("user_version", { simple: true }) as number;
    for (let i = version; i < MIGRATIONS.length; i++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[i]!);
        db.pragma(`user_version = ${i + 1}`);
      })();
    }
    // A migration may have removed data (migration 3: inherited secrets); no copy of it stays in the WAL.
    if (version < MIGRATIONS.length) db.pragma("wal_checkpoint(TRUNCATE)");
    return new Ledger(db, clock, faults, dirname(file));
  }

  close(): void {
    this.db.close();
  }

  /** Runs fn in one SQLite transaction. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  createRelease(r: NewRelease): Release {
    const info = this.db
      .prepare(
        `INSERT INTO releases (version, status, created_at, config_text, config_json, config_file, environment, env_json, snapshot)
         VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        r.version,
        this.clock.now(),
        r.configText,
        JSON.stringify(r.config),
        r.configFile,
        r.environment,
        JSON.stringify(r.env),
        r.snapshot,
      );
    return this.release(Number(info.lastInsertRowid))!;
  }

  /** Makes every release id from now on larger than `id` (ids of directories left on disk are never reused). */
  skipReleaseIdsThrough(id: number): void {
    const row = this.db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'releases'`).get() as { seq: number } | undefined;
    if (row && row.seq >= id) return;
    if (row) this.db.prepare(`UPDATE sqlite_sequence SET seq = ? WHERE name = 'releases'`).run(id);
    else if (id > 0) this.db.prepare(`INSERT INTO sqlite_sequence (name, seq) VALUES ('releases', ?)`).run(id);
  }

  release(id: number): Release | undefined {
    const row = this.db.prepare(`SELECT * FROM releases WHERE id = ?`).get(id) as Row | undefined;
    return row ? toRelease(row) : undefined;
  }

  releases(): Release[] {
    return (this.db.prepare(`SELECT * FROM releases ORDER BY id DESC`).all() as Row[]).map(toRelease);
  }

  setReleaseStatus(id: number, status: ReleaseStatus, reason: string | null = null): void {
    this.db.prepare(`UPDATE releases SET status = ?, reason = COALESCE(?, reason) WHERE id = ?`).run(status, reason, id);
  }

  setImage(id: number, image: string): void {
    this.db.prepare(`UPDATE releases SET image = ? WHERE id = ?`).run(image, id);
  }

  /** Records the git commit a release was deployed from (null: not a git work tree). */
  setGit(id: number, git: ReleaseGit | null): void {
    this.db
      .prepare(`UPDATE releases SET git_commit = ?, git_committed_at = ?, git_changes = ? WHERE id = ?`)
      .run(git?.commit ?? null, git?.committedAt ?? null, git ? JSON.stringify(git.changes) : null, id);
  }

  setSnapshot(id: number, snapshot: string): void {
    this.db.prepare(`UPDATE releases SET snapshot = ? WHERE id = ?`).run(snapshot, id);
  }

  /**
   * Keeps `releaseId` on standby until `until` (ms since the epoch): at most one release is, so any other
   * standby ends. `null` ends every standby.
   */
  setStandby(releaseId: number | null, until: number | null = null): void {
    this.db
      .prepare(`UPDATE releases SET standby_until = CASE WHEN id = ? THEN ? ELSE NULL END WHERE standby_until IS NOT NULL OR id = ?`)
      .run(releaseId, until, releaseId);
  }

  /** The release on standby and until when, as recorded (it may have expired since). */
  standby(): { releaseId: number; until: number } | undefined {
    const row = this.db
      .prepare(`SELECT id, standby_until FROM releases WHERE standby_until IS NOT NULL ORDER BY standby_until DESC LIMIT 1`)
      .get() as { id: number; standby_until: number } | undefined;
    return row ? { releaseId: row.id, until: row.standby_until } : undefined;
  }

  /** Makes `id` the current release, atomically superseding the previous one. */
  activate(id: number): void {
    this.transaction(() => {
      const previous = this.currentReleaseId();
      if (previous !== null && previous !== id) this.setReleaseStatus(previous, "superseded");
      this.db.prepare(`UPDATE releases SET status = 'active', activated_at = ?, reason = NULL WHERE id = ?`).run(this.clock.now(), id);
      this.setMeta("current_release", String(id));
    });
  }

  currentReleaseId(): number | null {
    const v = this.meta("current_release");
    return v === undefined ? null : Number(v);
  }

  currentRelease(): Release | undefined {
    const id = this.currentReleaseId();
    return id === null ? undefined : this.release(id);
  }

  /** The most recent release, other than the current one, that once served traffic. */
  previousGoodRelease(): Release | undefined {
    const current = this.currentReleaseId() ?? -1;
    const row = this.db
      .prepare(`SELECT * FROM releases WHERE id != ? AND activated_at IS NOT NULL ORDER BY activated_at DESC LIMIT 1`)
      .get(current) as Row | undefined;
    return row ? toRelease(row) : undefined;
  }

  startRollout(r: { kind: RolloutKind; releaseId: number; fromReleaseId: number | null; strategy: string; holder: string }): Rollout {
    const info = this.db
      .prepare(
        `INSERT INTO rollouts (kind, release_id, from_release_id, strategy, status, holder, started_at)
         VALUES (?, ?, ?, ?, 'running', ?, ?)`,
      )
      .run(r.kind, r.releaseId, r.fromReleaseId, r.strategy, r.holder, this.clock.now());
    return this.rollout(Number(info.lastInsertRowid))!;
  }

  rollout(id: number): Rollout | undefined {
    const row = this.db.prepare(`SELECT * FROM rollouts WHERE id = ?`).get(id) as Row | undefined;
    return row ? toRollout(row) : undefined;
  }

  rollouts(limit = 50): Rollout[] {
    return (this.db.prepare(`SELECT * FROM rollouts ORDER BY id DESC LIMIT ?`).all(limit) as Row[]).map(toRollout);
  }

  /**
   * Every rollout, oldest first. Delivery metrics read them all: a rollout before the period makes a
   * deploy in it a redeploy, one after it restores a failure the period saw.
   */
  allRollouts(): Rollout[] {
    return (this.db.prepare(`SELECT * FROM rollouts ORDER BY id`).all() as Row[]).map(toRollout);
  }

  runningRollouts(): Rollout[] {
    return (this.db.prepare(`SELECT * FROM rollouts WHERE status = 'running' ORDER BY id`).all() as Row[]).map(toRollout);
  }

  endRollout(id: number, status: RolloutStatus, reason: string | null = null): void {
    this.db.prepare(`UPDATE rollouts SET status = ?, ended_at = ?, reason = ? WHERE id = ?`).run(status, this.clock.now(), reason, id);
  }

  /**
   * Records an event and tells the listeners. Events tell the story of the
   * state, they are not the state: when the disk is full (or another resource
   * fault, see src/resource-error.ts) the line goes to the fault log and
   * still to the listeners (with id 0), and the operation it describes goes
   * on. Any other error is thrown.
   */
  record(e: NewEvent): LedgerEvent {
    const at = this.clock.now();
    let id = 0;
    try {
      const info = this.db
        .prepare(`INSERT INTO events (at, type, rollout_id, release_id, instance_id, message, data) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(at, e.type, e.rolloutId ?? null, e.releaseId ?? null, e.instanceId ?? null, e.message, e.data ? JSON.stringify(e.data) : null);
      id = Number(info.lastInsertRowid);
    } catch (err) {
      if (!resourceFault(err, this.dir)) throw err;
      this.faults.report(`ledger: recording "${e.message}"`, err);
    }
    const event: LedgerEvent = {
      id,
      at,
      type: e.type,
      rolloutId: e.rolloutId ?? null,
      releaseId: e.releaseId ?? null,
      instanceId: e.instanceId ?? null,
      message: e.message,
      data: e.data ?? null,
    };
    for (const l of this.listeners) l(event);
    return event;
  }

  /** Subscribes to every event recorded from now on (progress streaming). */
  onRecord(listener: (event: LedgerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The newest `limit` events (default 1000) matching every filter given, oldest first. */
  events(filter: EventFilter = {}): LedgerEvent[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM events WHERE (@rollout IS NULL OR rollout_id = @rollout) AND (@release IS NULL OR release_id = @release)
         AND (@type IS NULL OR type = @type) AND id > @since ORDER BY id DESC LIMIT @limit`,
      )
      .all({
        rollout: filter.rolloutId ?? null,
        release: filter.releaseId ?? null,
        type: filter.type ?? null,
        since: filter.sinceId ?? 0,
        limit: filter.limit ?? 1000,
      }) as Row[];
    return rows.reverse().map(toEvent);
  }

  upsertInstance(row: Omit<InstanceRow, "stoppedAt">): void {
    this.db
      .prepare(
        `INSERT INTO instances (id, release_id, pid, state, spec_json, started_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET pid = excluded.pid, state = excluded.state, spec_json = excluded.spec_json,
           started_at = excluded.started_at, stopped_at = NULL`,
      )
      .run(row.id, row.releaseId, row.pid, row.state, row.specJson, row.startedAt);
  }

  setInstanceState(id: string, state: string): void {
    const stopped = state === "stopped" ? this.clock.now() : null;
    this.db.prepare(`UPDATE instances SET state = ?, stopped_at = COALESCE(?, stopped_at) WHERE id = ?`).run(state, stopped, id);
  }

  /** Instances recorded as not stopped: what a restarted daemon must adopt or stop. */
  liveInstances(): InstanceRow[] {
    return (this.db.prepare(`SELECT * FROM instances WHERE state != 'stopped' ORDER BY id`).all() as Row[]).map(toInstance);
  }

  /** Highest instance sequence number used for a release, so ids are never reused. */
  instanceCount(releaseId: number): number {
    const row = this.db.prepare(`SELECT COUNT(*) AS n FROM instances WHERE release_id = ?`).get(releaseId) as { n: number };
    return row.n;
  }

  meta(key: string): string | undefined {
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = ?`).get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(key, value);
  }

  deleteMeta(key: string): void {
    this.db.prepare(`DELETE FROM meta WHERE key = ?`).run(key);
  }
}

function toRelease(r: Row): Release {
  return {
    id: r.id as number,
    version: r.version as string,
    status: r.status as ReleaseStatus,
    createdAt: r.created_at as number,
    activatedAt: (r.activated_at as number | null) ?? null,
    configText: r.config_text as string,
    config: storedConfig(r.config_json as string),
    configFile: r.config_file as string,
    environment: (r.environment as string | null) ?? null,
    env: JSON.parse(r.env_json as string) as Record<string, string>,
    snapshot: r.snapshot as string,
    image: (r.image as string | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    git:
      typeof r.git_commit === "string"
        ? {
            commit: r.git_commit,
            committedAt: r.git_committed_at as number,
            changes: r.git_changes ? (JSON.parse(r.git_changes as string) as number[]) : [],
          }
        : null,
  };
}

function toRollout(r: Row): Rollout {
  return {
    id: r.id as number,
    kind: r.kind as RolloutKind,
    releaseId: r.release_id as number,
    fromReleaseId: (r.from_release_id as number | null) ?? null,
    strategy: r.strategy as string,
    status: r.status as RolloutStatus,
    holder: r.holder as string,
    startedAt: r.started_at as number,
    endedAt: (r.ended_at as number | null) ?? null,
    reason: (r.reason as string | null) ?? null,
  };
}

function toEvent(r: Row): LedgerEvent {
  return {
    id: r.id as number,
    at: r.at as number,
    type: r.type as string,
    rolloutId: (r.rollout_id as number | null) ?? null,
    releaseId: (r.release_id as number | null) ?? null,
    instanceId: (r.instance_id as string | null) ?? null,
    message: r.message as string,
    data: r.data ? (JSON.parse(r.data as string) as Record<string, unknown>) : null,
  };
}

function toInstance(r: Row): InstanceRow {
  return {
    id: r.id as string,
    releaseId: r.release_id as number,
    pid: r.pid as number,
    state: r.state as string,
    specJson: r.spec_json as string,
    startedAt: r.started_at as number,
    stoppedAt: (r.stopped_at as number | null) ?? null,
  };
}

/**
 * A release's config as stored. Releases recorded by an older Slipway lack keys added since:
 * they get the defaults those keys have now, so a new daemon can run (and roll back to) them.
 */
export function storedConfig(json: string): Config {
  const config = JSON.parse(json) as Partial<Config> & Omit<Config, "router" | "audit">;
  return {
    ...config,
    app: {
      ...config.app,
      passEnv: (config.app as Partial<Config["app"]>).passEnv ?? [],
      shared: (config.app as Partial<Config["app"]>).shared ?? [],
      // Recorded before string commands ran with sh -c: the words of the split string, run as they were.
      commandForm: (config.app as Partial<Config["app"]>).commandForm ?? "split",
    },
    router: {
      responseTimeout: parseDuration(DEFAULT_RESPONSE_TIMEOUT),
      upstreamIdleTimeout: parseDuration(DEFAULT_UPSTREAM_IDLE_TIMEOUT),
      trustedProxies: [...DEFAULT_TRUSTED_PROXIES],
      hosts: [],
      ...config.router,
    },
    // Recorded before docker.init: containers get today's default (an init as PID 1).
    docker: { ...config.docker, init: (config.docker as Partial<Config["docker"]> | undefined)?.init ?? DEFAULT_DOCKER_INIT },
    audit: config.audit ?? { ignore: [], actionPinning: "tag" },
  };
}
