import type { Migration } from './index.js';

export const models: Migration = {
  version: 3,
  name: 'models',
  sql: `
-- Local GGUF models: imported in place (path outside the models folder) or pulled into it.
CREATE TABLE models (
  name TEXT PRIMARY KEY,
  path TEXT NOT NULL,
  source TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  sha256 TEXT,
  architecture TEXT NOT NULL,
  owned INTEGER NOT NULL,
  added_at INTEGER NOT NULL
);
`,
};
