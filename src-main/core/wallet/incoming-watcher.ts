import type { Db } from '../store/db.js';
import type { EventBus } from '../events.js';
import type { PaymentBook } from './payments.js';
import type { WalletRegistry } from './registry.js';

interface PendingInvoice { wallet_id: string; agent_id: string | null; payment_hash: string; memo: string }

/**
 * Settles this home's issued invoices: polls the wallets for the invoices still open (a
 * bounded set, unlike polling every wallet) and records each exact payment hash that got
 * paid — money rule 1: a payment counts only when that invoice is settled.
 */
export class IncomingWatcher {
  private timer: NodeJS.Timeout | null = null;
  private stopChanges: (() => void) | null = null;
  private busy = false;
  private again = false;
  private readonly pending;

  constructor(
    private readonly db: Db,
    private readonly wallets: WalletRegistry,
    private readonly payments: PaymentBook,
    private readonly events: EventBus,
    private readonly opts: { pollMs: number; changes?: ((onChange: () => void) => () => void) | undefined; onAgentPayment: (agentId: string, paymentHash: string, amountSats: number) => void; log: (line: string) => void },
  ) {
    // Invoices stay watched for a day after creation; devnet invoices expire in an hour by default.
    this.pending = db.prepare("SELECT wallet_id, agent_id, payment_hash, memo FROM payments WHERE direction = 'in' AND status = 'pending' AND created_at > ? LIMIT 500");
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.checkNow(), this.opts.pollMs);
    this.timer.unref();
    // A change to the wallet's store (another process paid) is checked at once; the poll stays as the safety net.
    // The write that wakes us can land just before the writer's commit becomes visible (SQLite
    // publishes it through shared memory, which raises no file event), so look again shortly after.
    this.stopChanges = this.opts.changes?.(() => {
      void this.checkNow();
      for (const ms of [5, 20, 50]) setTimeout(() => void this.checkNow(), ms).unref();
    }) ?? null;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopChanges?.();
    this.stopChanges = null;
  }

  /** Checks every open invoice once; returns how many were newly settled. */
  async checkNow(): Promise<number> {
    if (this.busy) {
      this.again = true; // a change arrived mid-check: look once more right after
      return 0;
    }
    this.busy = true;
    this.again = false;
    let settled = 0;
    try {
      const open = this.pending.all(Date.now() - 86_400_000) as PendingInvoice[];
      for (const inv of open) {
        const hw = this.wallets.byId(inv.wallet_id);
        if (!hw) continue;
        const status = await hw.wallet.paymentStatus(inv.payment_hash);
        if (status.state === 'expired') {
          this.db.prepare("UPDATE payments SET status = 'expired' WHERE wallet_id = ? AND direction = 'in' AND payment_hash = ? AND status = 'pending'").run(inv.wallet_id, inv.payment_hash);
          continue;
        }
        if (status.state !== 'succeeded' || status.amountSats === null) continue;
        if (this.settle(inv.wallet_id, inv.agent_id, inv.payment_hash, status.amountSats, inv.memo, status.settledAt ?? Date.now())) settled++;
      }
    } catch (err) {
      this.opts.log(`incoming payment check failed: ${(err as Error).message}`);
    } finally {
      this.busy = false;
    }
    if (this.again) void this.checkNow();
    return settled;
  }

  /** Records a settled incoming payment once and announces it. */
  settle(walletId: string, agentId: string | null, paymentHash: string, amountSats: number, memo: string, settledAt: number): boolean {
    const fresh = this.payments.recordIncoming({ walletId, agentId, paymentHash, amountSats, memo, settledAt });
    if (!fresh) return false;
    const owner = agentId ?? 'operator';
    this.events.emit('payment.received', { owner, amountSats, paymentHash });
    const hw = this.wallets.byId(walletId);
    if (hw) void hw.wallet.balance().then((b) => this.events.emit('balance.changed', { owner, balanceSats: b }), () => undefined);
    if (agentId) this.opts.onAgentPayment(agentId, paymentHash, amountSats);
    return true;
  }
}
