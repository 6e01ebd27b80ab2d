import type { Db } from '../store/db.js';
import { toAppError } from '../errors.js';
import type { EventBus } from '../events.js';
import { Kind } from '../nostr/kinds.js';
import type { RelayPool } from '../nostr/relay-pool.js';
import { invoiceFromAddress } from '../wallet/lnurl.js';
import { payFromOperator } from '../wallet/operator-payment.js';
import type { PaymentBook } from '../wallet/payments.js';
import type { WalletRegistry } from '../wallet/registry.js';

export interface RefundOutcome { status: 'paid' | 'owed' | 'failed'; sats: number; detail: string }

/**
 * Pays a requester back for a paid job that failed or was cancelled: the requester's
 * Lightning address (lud16, or an lud06 LNURL, of their kind-0 profile) is asked for an invoice of exactly the
 * price, paid from the operator wallet once (idempotency key per job). Without an address
 * the refund is recorded as owed; a failed attempt is recorded with its reason.
 */
export class Refunds {
  constructor(
    private readonly db: Db,
    private readonly pool: RelayPool,
    readonly wallets: WalletRegistry,
    readonly payments: PaymentBook,
    readonly events: EventBus,
    private readonly log: (line: string) => void,
  ) {}

  async refund(job: { id: string; customer: string; price_sats: number }, why: string): Promise<RefundOutcome> {
    const sats = job.price_sats;
    const record = (o: RefundOutcome, paymentHash: string | null = null): RefundOutcome => {
      this.db.prepare('UPDATE jobs SET refund_status = ?, refund_sats = ?, refund_detail = ?, refund_payment_hash = COALESCE(?, refund_payment_hash) WHERE id = ?')
        .run(o.status, o.sats, o.detail, paymentHash, job.id);
      return o;
    };
    if (sats <= 0) return record({ status: 'paid', sats: 0, detail: 'nothing was paid' });
    const existing = this.db.prepare('SELECT refund_status FROM jobs WHERE id = ?').pluck().get(job.id) as string | null;
    if (existing === 'paid') return { status: 'paid', sats, detail: 'already refunded' };
    record({ status: 'owed', sats, detail: why });
    const address = await this.lightningAddress(job.customer);
    if (!address) return record({ status: 'owed', sats, detail: `${why}; the requester has no Lightning address (lud16 or lud06) on their profile, so the refund is owed` });
    try {
      const bolt11 = await invoiceFromAddress(address, sats * 1000, `Refund for NIP-90 job ${job.id.slice(0, 12)}`);
      const result = await payFromOperator(this, bolt11, { maxFeeSats: Math.max(1, Math.ceil(sats / 100)), idempotencyKey: `refund:${job.id}`, memo: `refund of job ${job.id.slice(0, 12)}` });
      return record({ status: 'paid', sats, detail: `${why}; refunded to ${address}` }, result.paymentHash);
    } catch (err) {
      const message = toAppError(err).message;
      this.log(`refund of job ${job.id.slice(0, 12)} failed: ${message}`);
      return record({ status: 'failed', sats, detail: `${why}; refund to ${address} failed (${message}), so it is owed` });
    }
  }

  private async lightningAddress(pubkey: string): Promise<string | null> {
    try {
      const [profile] = (await this.pool.query([{ kinds: [Kind.Metadata], authors: [pubkey], limit: 1 }], 3000)).sort((a, b) => b.created_at - a.created_at);
      if (!profile) return null;
      const { lud16, lud06 } = JSON.parse(profile.content) as { lud16?: unknown; lud06?: unknown };
      if (typeof lud16 === 'string' && lud16.includes('@')) return lud16;
      return typeof lud06 === 'string' && /^lnurl1/i.test(lud06) ? lud06 : null;
    } catch {
      return null;
    }
  }
}
