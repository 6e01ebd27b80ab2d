import Database from 'better-sqlite3';
import { migrations, type Migration } from './migrations/index.js';

export type Db = Database.Database;

export interface OpenOptions {
  /** Skip migrations (used only by tools that inspect a database read-only). */
  readonly readonly?: boolean;
  readonly migrations?: readonly Migration[];
}

/**
 * Opens a SQLite database in WAL mode and brings it to the newest schema. WAL with
 * synchronous=NORMAL keeps every committed transaction across a process kill (only an OS
 * crash or power loss can drop the last commits); money-critical databases raise it to FULL.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const db = new Database(file, { readonly: options.readonly ?? false });
  db.pragma('busy_timeout = 5000');
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('foreign_keys = ON');
  if (!options.readonly) migrate(db, options.migrations ?? migrations);
  return db;
}

/** Applies numbered migrations in order, each in its own transaction, recording the version. */
export function migrate(db: Db, list: readonly Migration[]): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  const sorted = [...list].sort((a, b) => a.version - b.version);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.version === sorted[i - 1]!.version) throw new Error(`duplicate migration version ${sorted[i]!.version}`);
  }
  const newest = Math.max(0, ...applied);
  const known = Math.max(0, ...sorted.map((m) => m.version));
  if (newest > known) {
    throw new Error(`this database has schema version ${newest}, newer than this program knows (${known}); upgrade openagents`);
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?');
  for (const m of sorted) {
    if (applied.has(m.version)) continue;
    // Re-checked under the write lock: another process may have applied it meanwhile.
    db.transaction(() => {
      if (isApplied.get(m.version)) return;
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
    }).immediate();
  }
  return known;
}
