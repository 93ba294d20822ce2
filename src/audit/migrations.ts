import type { AuditFile, Checker, Finding } from "./types.js";

/** Files inside a migrations folder (migrations/, migrate/, db/migrate/, alembic versions/, prisma/migrations/). */
export function isMigration(rel: string): boolean {
  return /(^|\/)(migrations?|migrate|alembic\/versions)\/.+\.(sql|[cm]?[jt]s|py|go|rb)$/i.test(rel) && !/(^|[/._-])down\.sql$/i.test(rel);
}

/** Statements and migration-library calls that drop or rename what the running release uses. */
const DESTRUCTIVE: { what: string; pattern: RegExp }[] = [
  { what: "DROP TABLE", pattern: /\bDROP\s+TABLE\b/i },
  { what: "DROP COLUMN", pattern: /\bDROP\s+COLUMN\b/i },
  { what: "column rename", pattern: /\bRENAME\s+COLUMN\b/i },
  { what: "table rename", pattern: /\bALTER\s+TABLE\s+\S+\s+RENAME\s+TO\b/i },
  { what: "TRUNCATE", pattern: /\bTRUNCATE\s+(TABLE\s+)?\w/i },
  { what: "drop/rename call", pattern: /\.(dropTable|dropTableIfExists|dropColumns?|renameColumn|renameTable)\s*\(/ },
  {
    what: "drop/rename operation",
    pattern:
      /\bop\.(drop_table|drop_column|alter_column\([^)]*new_column_name)|migrations\.(RemoveField|RenameField|DeleteModel|RenameModel)\b/,
  },
  { what: "drop/rename call", pattern: /\b(drop_table|remove_column|rename_column|rename_table)\b/ },
];
/** Where the "down" half of a migration file starts: its drops undo this migration's own changes. */
const DOWN =
  /^\s*(export\s+)?(async\s+)?(function\s+down\b|down\s*[:(=]|exports\.down\b|def\s+(downgrade|down)\b|func\s+[Dd]own\w*\s*\(|--\s*\+migrate\s+Down|--\s*migrate:down)/;

/**
 * SW7008: destructive SQL in migrations, a rollback risk (the previous release still runs).
 * Lines of the "down" half (after `down`/`downgrade`, `-- +migrate Down`, or `*.down.sql`) are skipped.
 *
 * @example
 * migrationsChecker.check({ rel: "migrations/002.sql", text: "ALTER TABLE users DROP COLUMN name;" }, project);
 * // [{ rule: "SW7008", line: 1, message: "DROP COLUMN in a migration: ..." }]
 */
export const migrationsChecker: Checker = {
  kind: "migrations",
  rules: ["SW7008"],
  matches: isMigration,
  check(file: AuditFile): Finding[] {
    const out: Finding[] = [];
    const lines = file.text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const content = lines[i] ?? "";
      if (DOWN.test(content)) break;
      const hit = DESTRUCTIVE.find((d) => d.pattern.test(content));
      if (hit) {
        const message = `${hit.what} in a migration: the previous release breaks during the deploy and after a rollback (${content.trim().slice(0, 80)})`;
        out.push({ rule: "SW7008", file: file.rel, line: i + 1, message });
      }
    }
    return out;
  },
};
