import type { Migration } from './index.js';

export const provider: Migration = {
  version: 4,
  name: 'provider',
  sql: `
-- NIP-90 jobs this node sold (or refused). Written the moment each step happens.
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  kind INTEGER NOT NULL,
  customer TEXT NOT NULL,
  status TEXT NOT NULL,
  prompt TEXT NOT NULL,
  request TEXT,
  model TEXT,
  max_tokens INTEGER NOT NULL,
  bid_msats INTEGER,
  price_sats INTEGER NOT NULL,
  invoice TEXT,
  payment_hash TEXT UNIQUE,
  output_tokens INTEGER,
  error TEXT,
  result_event TEXT,
  created_at INTEGER NOT NULL,
  paid_at INTEGER,
  finished_at INTEGER
);
CREATE INDEX jobs_status ON jobs(status, created_at);
`,
};
