import type { EventBus } from '../events.js';
import type { PaymentBook } from './payments.js';
import type { WalletRegistry } from './registry.js';
import type { PaymentResult } from './wallet.js';

/**
 * Pays an invoice from the operator wallet once (the idempotency key makes a retry return the
 * first result), books it and announces it. Used for NIP-90 purchases and refunds.
 */
export async function payFromOperator(
  d: { wallets: WalletRegistry; payments: PaymentBook; events: EventBus },
  bolt11: string,
  opts: { maxFeeSats: number; idempotencyKey: string; memo: string },
): Promise<PaymentResult> {
  const hw = d.wallets.operator();
  const result = await hw.wallet.payInvoice({ bolt11, maxFeeSats: opts.maxFeeSats, idempotencyKey: opts.idempotencyKey });
  d.payments.recordOutgoing({ walletId: hw.id, agentId: null, invoice: bolt11, result, memo: opts.memo, idempotencyKey: opts.idempotencyKey, now: Date.now() });
  d.events.emit('payment.sent', { owner: 'operator', amountSats: result.amountSats, paymentHash: result.paymentHash });
  return result;
}
