import { mkdirSync, watch } from 'node:fs';
import { AppError } from '../../errors.js';
import type { InvoiceFacts } from '../../runtime/money-gate.js';
import { DevnetWallet } from './devnet-wallet.js';
import { decodeInvoice } from './invoice-codec.js';
import { DevnetLedger } from './ledger.js';

/**
 * The devnet as one home sees it: the shared ledger (opened on first use), wallets on it,
 * the faucet, and invoice decoding restricted to devnet (regtest-prefixed) invoices.
 */
export class DevnetNetwork {
  private ledgerInstance: DevnetLedger | null = null;

  constructor(private readonly dir: string) {}

  get ledger(): DevnetLedger {
    if (!this.ledgerInstance) this.ledgerInstance = new DevnetLedger(this.dir);
    return this.ledgerInstance;
  }

  openWallet(nodeSecretKey: Uint8Array, label: string): DevnetWallet {
    return new DevnetWallet({ ledger: this.ledger, nodeSecretKey, label });
  }

  faucet(nodePubkey: string, sats: number): number {
    return this.ledger.faucet(nodePubkey, sats);
  }

  decodeInvoice(bolt11: string): InvoiceFacts {
    const inv = decodeInvoice(bolt11);
    if (inv.network !== 'regtest') {
      throw new AppError('INVOICE_INVALID', `this is a ${inv.network} invoice; a devnet wallet pays only devnet (lnbcrt…) invoices`);
    }
    return inv;
  }

  /**
   * Calls back (at most once per tick) whenever any process writes the shared ledger, so a
   * payment made by another home is noticed at once instead of at the next poll.
   */
  watchChanges(onChange: () => void): () => void {
    let queued = false;
    let watcher;
    try {
      mkdirSync(this.dir, { recursive: true });
      watcher = watch(this.dir, (_event, file) => {
        if (queued || !file?.toString().startsWith('ledger.sqlite')) return;
        queued = true;
        setImmediate(() => {
          queued = false;
          onChange();
        });
      });
    } catch {
      return () => undefined; // the poll still finds every payment
    }
    watcher.on('error', () => watcher.close());
    watcher.unref();
    return () => watcher.close();
  }

  close(): void {
    this.ledgerInstance?.close();
    this.ledgerInstance = null;
  }
}
