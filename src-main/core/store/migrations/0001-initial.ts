import type { Migration } from './index.js';

// Times are unix milliseconds. Sats are integers. JSON columns hold canonical JSON text.
export const initial: Migration = {
  version: 1,
  name: 'initial',
  sql: `
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Encrypted secrets (mnemonic, API keys): ciphertext only, see identity/keystore.ts.
CREATE TABLE secrets (
  name TEXT PRIMARY KEY,
  ciphertext BLOB NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE identity (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  pubkey TEXT NOT NULL,
  network TEXT NOT NULL,
  next_agent_index INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);

CREATE TABLE agents (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  key_index INTEGER NOT NULL UNIQUE,
  pubkey TEXT NOT NULL UNIQUE,
  lifecycle TEXT NOT NULL,
  autonomy TEXT NOT NULL,
  approval_threshold_sats INTEGER NOT NULL,
  heartbeat_seconds INTEGER NOT NULL,
  max_steps INTEGER NOT NULL,
  budget TEXT NOT NULL,
  hibernate_threshold_sats INTEGER NOT NULL,
  backend TEXT,
  instructions TEXT NOT NULL DEFAULT '',
  session_started_at INTEGER NOT NULL,
  funded INTEGER NOT NULL DEFAULT 0,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  tick_count INTEGER NOT NULL DEFAULT 0,
  last_tick_at INTEGER,
  lifecycle_reason TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE lifecycle_events (
  id INTEGER PRIMARY KEY,
  agent_id TEXT NOT NULL REFERENCES agents(id),
  from_state TEXT,
  to_state TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX lifecycle_events_agent ON lifecycle_events(agent_id, id);

CREATE TABLE goals (
  id INTEGER PRIMARY KEY,
  agent_id TEXT NOT NULL REFERENCES agents(id),
  description TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'open',
  created_at INTEGER NOT NULL,
  completed_at INTEGER
);
CREATE INDEX goals_agent ON goals(agent_id, status);

CREATE TABLE memories (
  id INTEGER PRIMARY KEY,
  agent_id TEXT NOT NULL REFERENCES agents(id),
  content TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  tick_id TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX memories_agent ON memories(agent_id, id);

-- Messages delivered to an agent (from the operator or another agent). seen_tick_id marks
-- that a tick has perceived it.
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  to_agent TEXT NOT NULL REFERENCES agents(id),
  from_kind TEXT NOT NULL,
  from_ref TEXT NOT NULL,
  content TEXT NOT NULL,
  idempotency_key TEXT UNIQUE,
  created_at INTEGER NOT NULL,
  seen_tick_id TEXT
);
CREATE INDEX messages_unseen ON messages(to_agent, seen_tick_id);

-- Triggers wake an agent. trigger_key is the stable id: a key seen twice runs once.
CREATE TABLE triggers (
  id INTEGER PRIMARY KEY,
  agent_id TEXT NOT NULL REFERENCES agents(id),
  kind TEXT NOT NULL,
  trigger_key TEXT NOT NULL,
  payload TEXT NOT NULL DEFAULT '{}',
  status TEXT NOT NULL DEFAULT 'pending',
  tick_id TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (agent_id, trigger_key)
);
CREATE INDEX triggers_pending ON triggers(status, agent_id, id);

CREATE TABLE ticks (
  id TEXT PRIMARY KEY,
  agent_id TEXT NOT NULL REFERENCES agents(id),
  seq INTEGER NOT NULL,
  trigger_id INTEGER REFERENCES triggers(id),
  trigger_kind TEXT NOT NULL,
  status TEXT NOT NULL,
  phase TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  duration_ms INTEGER,
  steps INTEGER NOT NULL DEFAULT 0,
  actions INTEGER NOT NULL DEFAULT 0,
  model_calls INTEGER NOT NULL DEFAULT 0,
  cost_sats INTEGER NOT NULL DEFAULT 0,
  summary TEXT NOT NULL DEFAULT '',
  error TEXT,
  recovery TEXT,
  owner TEXT NOT NULL,
  UNIQUE (agent_id, seq)
);
CREATE INDEX ticks_agent ON ticks(agent_id, started_at);
CREATE INDEX ticks_status ON ticks(status);

-- Every step of every tick: the local trajectory log.
CREATE TABLE trajectory (
  id INTEGER PRIMARY KEY,
  tick_id TEXT NOT NULL REFERENCES ticks(id),
  agent_id TEXT NOT NULL,
  step INTEGER NOT NULL,
  type TEXT NOT NULL,
  content TEXT NOT NULL,
  tokens_in INTEGER,
  tokens_out INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX trajectory_tick ON trajectory(tick_id, id);

-- External effects, run after the transaction that wrote them commits. The key is
-- agent:tick:step (or agent:approval:id) and doubles as the wallet idempotency key.
CREATE TABLE outbox (
  key TEXT PRIMARY KEY,
  agent_id TEXT NOT NULL,
  tick_id TEXT,
  approval_id TEXT,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  result TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  done_at INTEGER
);
CREATE INDEX outbox_pending ON outbox(status, created_at);

CREATE TABLE alarms (
  agent_id TEXT PRIMARY KEY REFERENCES agents(id),
  due_at INTEGER NOT NULL,
  kind TEXT NOT NULL DEFAULT 'heartbeat'
);
CREATE INDEX alarms_due ON alarms(due_at);

CREATE TABLE approvals (
  id TEXT PRIMARY KEY,
  agent_id TEXT NOT NULL REFERENCES agents(id),
  tick_id TEXT,
  action TEXT NOT NULL,
  description TEXT NOT NULL,
  amount_sats INTEGER NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  decided_at INTEGER,
  reason TEXT,
  edited_amount_sats INTEGER,
  execution TEXT NOT NULL DEFAULT 'none',
  outcome TEXT,
  seen_tick_id TEXT
);
CREATE INDEX approvals_status ON approvals(status, expires_at);
CREATE INDEX approvals_agent ON approvals(agent_id, created_at);

CREATE TABLE wallets (
  id TEXT PRIMARY KEY,
  owner_kind TEXT NOT NULL,
  agent_id TEXT UNIQUE REFERENCES agents(id),
  network TEXT NOT NULL,
  account_number INTEGER NOT NULL UNIQUE,
  node_pubkey TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

-- Payments as this home saw them, both directions. Invoices and preimages live only here
-- and in the wallet backend: they prove payment and are never logged.
CREATE TABLE payments (
  id INTEGER PRIMARY KEY,
  wallet_id TEXT NOT NULL REFERENCES wallets(id),
  agent_id TEXT,
  direction TEXT NOT NULL,
  payment_hash TEXT NOT NULL,
  invoice TEXT NOT NULL,
  amount_sats INTEGER NOT NULL,
  fee_sats INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  preimage TEXT,
  memo TEXT NOT NULL DEFAULT '',
  idempotency_key TEXT UNIQUE,
  created_at INTEGER NOT NULL,
  settled_at INTEGER,
  UNIQUE (wallet_id, direction, payment_hash)
);
CREATE INDEX payments_wallet ON payments(wallet_id, created_at);

-- Sats an agent spent (payments, model calls): what budgets are checked against.
CREATE TABLE spends (
  id INTEGER PRIMARY KEY,
  agent_id TEXT NOT NULL REFERENCES agents(id),
  kind TEXT NOT NULL,
  amount_sats INTEGER NOT NULL,
  ref TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX spends_agent ON spends(agent_id, created_at);

CREATE TABLE backends (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  url TEXT NOT NULL,
  model TEXT NOT NULL,
  api_key_secret TEXT,
  cost_in_sats_per_1k INTEGER NOT NULL DEFAULT 0,
  cost_out_sats_per_1k INTEGER NOT NULL DEFAULT 0,
  enabled INTEGER NOT NULL DEFAULT 1,
  is_default INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);

CREATE TABLE model_calls (
  id INTEGER PRIMARY KEY,
  agent_id TEXT NOT NULL,
  tick_id TEXT,
  backend TEXT NOT NULL,
  model TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cost_sats INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX model_calls_agent ON model_calls(agent_id, created_at);

CREATE TABLE receipts (
  id TEXT PRIMARY KEY,
  agent_id TEXT,
  kind TEXT NOT NULL,
  signer TEXT NOT NULL,
  body TEXT NOT NULL,
  hash TEXT NOT NULL,
  sig TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX receipts_agent ON receipts(agent_id, created_at);

-- Which process is ticking which agent; a second process is refused while the holder lives.
CREATE TABLE leases (
  agent_id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  pid INTEGER NOT NULL,
  acquired_at INTEGER NOT NULL
);
`,
};
