import type { Migration } from './index.js';

export const nostrVersions: Migration = {
  version: 5,
  name: 'nostr-versions',
  sql: `
-- The newest queued version of each replaceable/addressable event this home signs: which
-- outbox row it is, and the timestamp it was signed with (the next one must be later).
CREATE TABLE nostr_versions (
  signer TEXT NOT NULL,
  kind INTEGER NOT NULL,
  d TEXT NOT NULL,
  row_id INTEGER NOT NULL,
  created_at INTEGER,
  PRIMARY KEY (signer, kind, d)
);
`,
};
