import type { Migration } from '../../store/migrations/index.js';

/**
 * Schema of the devnet ledger (<devnetDir>/ledger.sqlite), shared by every home on the
 * machine. Every statement is idempotent (IF NOT EXISTS, OR IGNORE): when two processes
 * open a fresh ledger at once both may run a migration, and the second run must change
 * nothing.
 */
export const ledgerMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'devnet-ledger',
    sql: `
      -- One account per node pubkey, plus the system account 'faucet' (the only one allowed below zero).
      CREATE TABLE IF NOT EXISTS accounts (
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL
      );
      INSERT OR IGNORE INTO accounts (id, created_at) VALUES ('faucet', 0);

      -- Double-entry bookkeeping in msats: the entries of one transfer sum to zero.
      CREATE TABLE IF NOT EXISTS transfers (
        txid TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('payment', 'faucet')),
        ref TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS entries (
        id INTEGER PRIMARY KEY,
        txid TEXT NOT NULL REFERENCES transfers(txid),
        account TEXT NOT NULL REFERENCES accounts(id),
        amount_msat INTEGER NOT NULL CHECK (amount_msat != 0)
      );
      CREATE INDEX IF NOT EXISTS entries_by_account ON entries(account, id);
      CREATE INDEX IF NOT EXISTS entries_by_txid ON entries(txid);

      -- Invoices are registered by their payee when issued; the preimage is the proof of payment.
      CREATE TABLE IF NOT EXISTS invoices (
        payment_hash TEXT PRIMARY KEY,
        payee TEXT NOT NULL REFERENCES accounts(id),
        amount_msat INTEGER CHECK (amount_msat IS NULL OR amount_msat > 0),
        bolt11 TEXT NOT NULL,
        memo TEXT NOT NULL,
        preimage TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid')),
        paid_at INTEGER,
        paid_by TEXT REFERENCES accounts(id),
        paid_amount_msat INTEGER,
        CHECK ((status = 'open') = (paid_at IS NULL AND paid_by IS NULL AND paid_amount_msat IS NULL))
      );
      CREATE INDEX IF NOT EXISTS invoices_by_payee ON invoices(payee, status, created_at);

      -- Settled payments only: a refused attempt writes nothing, so its key may be retried.
      -- seq orders settlements for pollers; one payment per invoice is enforced here too.
      CREATE TABLE IF NOT EXISTS payments (
        seq INTEGER PRIMARY KEY,
        idempotency_key TEXT NOT NULL UNIQUE,
        payer TEXT NOT NULL REFERENCES accounts(id),
        payment_hash TEXT NOT NULL UNIQUE REFERENCES invoices(payment_hash),
        txid TEXT NOT NULL UNIQUE REFERENCES transfers(txid),
        amount_msat INTEGER NOT NULL CHECK (amount_msat > 0),
        fee_msat INTEGER NOT NULL DEFAULT 0 CHECK (fee_msat = 0),
        status TEXT NOT NULL CHECK (status = 'succeeded'),
        created_at INTEGER NOT NULL,
        settled_at INTEGER NOT NULL
      );
    `,
  },
];
