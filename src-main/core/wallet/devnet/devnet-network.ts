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

  close(): void {
    this.ledgerInstance?.close();
    this.ledgerInstance = null;
  }
}
