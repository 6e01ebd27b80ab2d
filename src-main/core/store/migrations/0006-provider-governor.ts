import type { Migration } from './index.js';

export const providerGovernor: Migration = {
  version: 6,
  name: 'provider_governor',
  sql: `
-- Encrypted (NIP-04) requests and refunds of paid jobs that failed or were cancelled.
ALTER TABLE jobs ADD COLUMN encrypted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN started_at INTEGER;
ALTER TABLE jobs ADD COLUMN refund_status TEXT;
ALTER TABLE jobs ADD COLUMN refund_sats INTEGER;
ALTER TABLE jobs ADD COLUMN refund_detail TEXT;
ALTER TABLE jobs ADD COLUMN refund_payment_hash TEXT;
CREATE INDEX jobs_customer ON jobs(customer, created_at);
CREATE INDEX jobs_paid ON jobs(paid_at);
`,
};
