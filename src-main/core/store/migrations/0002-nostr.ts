import type { Migration } from './index.js';

export const nostr: Migration = {
  version: 2,
  name: 'nostr',
  sql: `
-- How a message reached the agent, so a reply goes back the same way:
-- local | nip17 | nip04 | mention | zap | channel
ALTER TABLE messages ADD COLUMN channel TEXT NOT NULL DEFAULT 'local';
ALTER TABLE messages ADD COLUMN ref_event TEXT;

-- Who may wake an agent over Nostr besides the operator and the home's other agents.
ALTER TABLE agents ADD COLUMN allow_anyone INTEGER NOT NULL DEFAULT 0;
CREATE TABLE agent_allow (
  agent_id TEXT NOT NULL REFERENCES agents(id),
  pubkey TEXT NOT NULL,
  allowed INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (agent_id, pubkey)
);

-- Events to publish. The template is written in the transaction of the state change that
-- caused it; the publisher signs it (once, keeping the signed event) and sends it to the
-- relays, so a crash never loses an event and a retry never changes its id.
CREATE TABLE nostr_outbox (
  id INTEGER PRIMARY KEY,
  agent_id TEXT,
  signer TEXT NOT NULL,
  template TEXT NOT NULL,
  refs TEXT NOT NULL DEFAULT '{}',
  event TEXT,
  event_id TEXT,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  relay_results TEXT,
  created_at INTEGER NOT NULL,
  published_at INTEGER
);
CREATE INDEX nostr_outbox_pending ON nostr_outbox(status, id);

CREATE TABLE relays (
  network TEXT NOT NULL,
  url TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  PRIMARY KEY (network, url)
);

CREATE TABLE channels (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  about TEXT NOT NULL DEFAULT '',
  creator TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
`,
};
