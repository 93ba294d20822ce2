import { DEFAULT_PASS_ENV } from "../config/defaults.js";

/** SQLite schema of the ledger. Migrations are append-only: add, never edit. */
export const MIGRATIONS: string[] = [
  `CREATE TABLE releases (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     version TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     activated_at INTEGER,
     config_text TEXT NOT NULL,
     config_json TEXT NOT NULL,
     config_file TEXT NOT NULL,
     environment TEXT,
     env_json TEXT NOT NULL,
     snapshot TEXT NOT NULL,
     reason TEXT
   );
   CREATE TABLE rollouts (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     kind TEXT NOT NULL,
     release_id INTEGER NOT NULL REFERENCES releases(id),
     from_release_id INTEGER,
     strategy TEXT NOT NULL,
     status TEXT NOT NULL,
     holder TEXT NOT NULL,
     started_at INTEGER NOT NULL,
     ended_at INTEGER,
     reason TEXT
   );
   CREATE TABLE events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     type TEXT NOT NULL,
     rollout_id INTEGER,
     release_id INTEGER,
     instance_id TEXT,
     message TEXT NOT NULL,
     data TEXT
   );
   CREATE INDEX events_rollout ON events(rollout_id);
   CREATE TABLE instances (
     id TEXT PRIMARY KEY,
     release_id INTEGER NOT NULL,
     pid INTEGER NOT NULL,
     state TEXT NOT NULL,
     spec_json TEXT NOT NULL,
     started_at INTEGER NOT NULL,
     stopped_at INTEGER
   );
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // 2: the container image a release runs (platform docker)
  `ALTER TABLE releases ADD COLUMN image TEXT;`,
  // 3: instance specs recorded before instances got an explicit environment carried the daemon's whole
  // environment (tokens, passwords...). Keep DEFAULT_PASS_ENV, the release's own variables, PORT and
  // SLIPWAY_*; secure_delete zeroes the freed bytes (the ledger checkpoints the WAL after migrating).
  `PRAGMA secure_delete = ON;
   UPDATE instances SET spec_json = json_set(spec_json, '$.env', json((
     SELECT json_group_object(e.key, e.value) FROM json_each(instances.spec_json, '$.env') AS e
     WHERE ${[...DEFAULT_PASS_ENV, "PORT", "SLIPWAY_*"].map((p) => `e.key GLOB '${p}'`).join(" OR ")}
        OR e.key IN (SELECT r.key FROM releases, json_each(releases.env_json) AS r WHERE releases.id = instances.release_id))))
   WHERE json_valid(spec_json) AND json_type(spec_json, '$.env') = 'object';
   PRAGMA secure_delete = OFF;`,
  // 4: until when a release replaced by a blue-green switch stays on standby (ms since the epoch), so a
  // restarted daemon keeps its instances for the rest of scaleDownDelay; NULL when it is not on standby.
  `ALTER TABLE releases ADD COLUMN standby_until INTEGER;`,
  // 5: the git commit a release was deployed from (HEAD of app.cwd), its committer time (ms), and the commit times
  // (ms, newest first, at most 1000, HEAD included) of the commits it brought that the live release did not have: a
  // JSON array. All NULL when app.cwd was not in a git work tree (delivery metrics: src/delivery/).
  `ALTER TABLE releases ADD COLUMN git_commit TEXT;
   ALTER TABLE releases ADD COLUMN git_committed_at INTEGER;
   ALTER TABLE releases ADD COLUMN git_changes TEXT;`,
  // 6: a release's events (the dashboard's timeline, GET /v1/events?release=) without a scan of every event.
  `CREATE INDEX IF NOT EXISTS events_release ON events(release_id);`,
];
