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
];
