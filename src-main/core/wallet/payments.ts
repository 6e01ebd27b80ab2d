import type { Db } from '../store/db.js';
import type { IssuedInvoice, PaymentResult } from './wallet.js';

/**
 * This home's record of its payments, both directions. A payment hash settled outgoing by a
 * wallet is never paid again by it (money rule 2); invoices and preimages are kept here
 * only as proof of payment and never logged.
 */
export class PaymentBook {
  private readonly paidOut;
  private readonly insertOut;
  private readonly insertInvoice;
  private readonly settleIn;

  constructor(private readonly db: Db) {
    this.paidOut = db.prepare("SELECT 1 FROM payments WHERE wallet_id = ? AND direction = 'out' AND payment_hash = ? AND status = 'succeeded'");
    this.insertOut = db.prepare(`INSERT INTO payments (wallet_id, agent_id, direction, payment_hash, invoice, amount_sats, fee_sats, status, preimage, memo, idempotency_key, created_at, settled_at)
      VALUES (?, ?, 'out', ?, ?, ?, ?, 'succeeded', ?, ?, ?, ?, ?)
      ON CONFLICT(wallet_id, direction, payment_hash) DO UPDATE SET status = 'succeeded', preimage = excluded.preimage, settled_at = excluded.settled_at`);
    this.insertInvoice = db.prepare(`INSERT INTO payments (wallet_id, agent_id, direction, payment_hash, invoice, amount_sats, status, memo, created_at)
      VALUES (?, ?, 'in', ?, ?, ?, 'pending', ?, ?) ON CONFLICT(wallet_id, direction, payment_hash) DO NOTHING`);
    this.settleIn = db.prepare(`INSERT INTO payments (wallet_id, agent_id, direction, payment_hash, invoice, amount_sats, status, memo, created_at, settled_at)
      VALUES (?, ?, 'in', ?, '', ?, 'succeeded', ?, ?, ?)
      ON CONFLICT(wallet_id, direction, payment_hash) DO UPDATE SET status = 'succeeded', amount_sats = excluded.amount_sats, settled_at = excluded.settled_at
      WHERE payments.status != 'succeeded'`);
  }

  isPaidOut(walletId: string, paymentHash: string): boolean {
    return this.paidOut.get(walletId, paymentHash) !== undefined;
  }

  recordOutgoing(p: { walletId: string; agentId: string | null; invoice: string; result: PaymentResult; memo: string; idempotencyKey: string; now: number }): void {
    this.insertOut.run(p.walletId, p.agentId, p.result.paymentHash, p.invoice, p.result.amountSats, p.result.feeSats, p.result.preimage, p.memo, p.idempotencyKey, p.now, p.result.settledAt);
  }

  recordInvoice(walletId: string, agentId: string | null, inv: IssuedInvoice): void {
    this.insertInvoice.run(walletId, agentId, inv.paymentHash, inv.bolt11, inv.amountSats ?? 0, inv.memo, inv.createdAt);
  }

  /** Returns true when this settlement is new to the book. */
  recordIncoming(p: { walletId: string; agentId: string | null; paymentHash: string; amountSats: number; memo: string; settledAt: number }): boolean {
    return this.settleIn.run(p.walletId, p.agentId, p.paymentHash, p.amountSats, p.memo, p.settledAt, p.settledAt).changes > 0;
  }

  incomingSince(walletId: string, since: number): { paymentHash: string; amountSats: number; memo: string; settledAt: number }[] {
    return (this.db.prepare("SELECT payment_hash, amount_sats, memo, settled_at FROM payments WHERE wallet_id = ? AND direction = 'in' AND status = 'succeeded' AND settled_at > ? ORDER BY settled_at")
      .all(walletId, since) as { payment_hash: string; amount_sats: number; memo: string; settled_at: number }[])
      .map((r) => ({ paymentHash: r.payment_hash, amountSats: r.amount_sats, memo: r.memo, settledAt: r.settled_at }));
  }
}
