import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from './db.js';

describe('store', () => {
  it('opens in WAL mode and applies numbered migrations once', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'oa-db-')), 'x.sqlite');
    const list = [
      { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER)' },
      { version: 2, name: 'two', sql: 'ALTER TABLE a ADD COLUMN y INTEGER' },
    ];
    const db = openDatabase(file, { migrations: list });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual([1, 2]);
    expect(migrate(db, list)).toBe(2); // nothing re-applied
    db.close();
    expect(() => openDatabase(file, { migrations: list.slice(0, 1) })).toThrow(/newer than this program knows/);
  });
});
