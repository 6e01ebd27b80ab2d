import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { AppError } from '../../errors.js';
import type { Network } from '../../config.js';
import type { IncomingPayment, IssuedInvoice, PaymentResult, PaymentStatus, PayRequest, Wallet, WalletTransaction } from '../wallet.js';
import type { DevnetLedger } from './ledger.js';
import { decodeInvoice, encodeInvoice } from './invoice-codec.js';

export interface DevnetWalletOptions {
  readonly ledger: DevnetLedger;
  /** 32-byte secp256k1 secret: signs this wallet's invoices; its public key is the ledger account. */
  readonly nodeSecretKey: Uint8Array;
  readonly label?: string;
  /** How often other processes' settlements are looked for (default 250 ms). */
  readonly pollMs?: number;
}

export const DEFAULT_INVOICE_EXPIRY_SECONDS = 3600;
const MAX_INVOICE_EXPIRY_SECONDS = 365 * 24 * 3600;
const DEFAULT_HISTORY_LIMIT = 50;
const MAX_HISTORY_LIMIT = 1000;
const HEX32 = /^[0-9a-f]{64}$/;

/**
 * A wallet whose Lightning network is the machine's devnet ledger. Its invoices are real
 * signed BOLT11 strings (lnbcrt…); paying one settles it in the ledger and reveals the
 * preimage, so payment proofs work exactly as on Lightning. Sats here are not real money.
 */
export class DevnetWallet implements Wallet {
  readonly network: Network = 'devnet';
  readonly nodePubkey: string;
  readonly label: string;
  private readonly ledger: DevnetLedger;
  private readonly secretKey: Uint8Array;
  private readonly pollMs: number;
  private readonly listeners = new Set<(payment: IncomingPayment) => void>();
  /** Settlements up to this ledger cursor were already announced to listeners. */
  private cursor: number;
  private timer: NodeJS.Timeout | null = null;
  private stopLedgerWatch: (() => void) | null = null;
  private closed = false;

  constructor(options: DevnetWalletOptions) {
    const key = options.nodeSecretKey;
    if (!(key instanceof Uint8Array) || key.length !== 32 || !secp256k1.utils.isValidSecretKey(key)) {
      throw new AppError('BAD_INPUT', 'a devnet wallet needs a valid 32-byte secp256k1 secret key');
    }
    this.ledger = options.ledger;
    this.secretKey = Uint8Array.from(key);
    this.nodePubkey = bytesToHex(secp256k1.getPublicKey(this.secretKey, true));
    this.label = options.label ?? 'devnet wallet';
    this.pollMs = options.pollMs ?? 250;
    this.cursor = this.ledger.lastSettlementSeq();
  }

  async balance(): Promise<number> {
    this.requireOpen();
    return this.ledger.balance(this.nodePubkey);
  }

  async createInvoice(req: { amountSats?: number | undefined; memo?: string | undefined; expirySeconds?: number | undefined }): Promise<IssuedInvoice> {
    this.requireOpen();
    const amountSats = req.amountSats ?? null;
    if (amountSats !== null) requireSats(amountSats, 'amountSats', 1);
    const memo = req.memo ?? '';
    if (typeof memo !== 'string') throw new AppError('BAD_INPUT', 'memo must be a string');
    const expirySeconds = req.expirySeconds ?? DEFAULT_INVOICE_EXPIRY_SECONDS;
    if (!Number.isSafeInteger(expirySeconds) || expirySeconds <= 0 || expirySeconds > MAX_INVOICE_EXPIRY_SECONDS) {
      throw new AppError('BAD_INPUT', `expirySeconds must be a whole number from 1 to ${MAX_INVOICE_EXPIRY_SECONDS}`);
    }

    const preimage = randomBytes(32);
    const paymentHash = bytesToHex(sha256(preimage));
    // BOLT11 timestamps are whole seconds; the stored times match what any decoder reads.
    const createdAt = Math.floor(this.ledger.now() / 1000) * 1000;
    const expiresAt = createdAt + expirySeconds * 1000;
    const bolt11 = encodeInvoice({ paymentHash, paymentSecret: bytesToHex(randomBytes(32)), amountSats, memo, createdAt, expirySeconds }, this.secretKey);
    this.ledger.registerInvoice({ paymentHash, payee: this.nodePubkey, amountSats, bolt11, memo, preimage: bytesToHex(preimage), createdAt, expiresAt });
    return { bolt11, paymentHash, amountSats, memo, createdAt, expiresAt };
  }

  async payInvoice(req: PayRequest): Promise<PaymentResult> {
    this.requireOpen();
    requireSats(req.maxFeeSats, 'maxFeeSats', 0);
    if (req.amountSats !== undefined) requireSats(req.amountSats, 'amountSats', 1);
    if (typeof req.idempotencyKey !== 'string' || req.idempotencyKey.length === 0) throw new AppError('BAD_INPUT', 'a payment needs an idempotency key');
    if (typeof req.bolt11 !== 'string') throw new AppError('INVOICE_INVALID', 'an invoice must be a string');

    const invoice = decodeInvoice(req.bolt11.trim());
    if (invoice.network !== 'regtest') {
      throw new AppError('INVOICE_INVALID', `a ${invoice.network} invoice cannot be paid from the devnet wallet (devnet invoices start with lnbcrt)`);
    }
    // Devnet routing is free, so any maxFeeSats ≥ 0 is enough.
    const paid = this.ledger.pay({ payer: this.nodePubkey, paymentHash: invoice.paymentHash, bolt11: invoice.bolt11, amountSats: req.amountSats, idempotencyKey: req.idempotencyKey });
    return { ...paid, status: 'succeeded' };
  }

  /** Status of an invoice this wallet issued or paid; anyone else's invoice is 'unknown'. */
  async paymentStatus(paymentHash: string): Promise<PaymentStatus> {
    this.requireOpen();
    if (typeof paymentHash !== 'string' || !HEX32.test(paymentHash)) throw new AppError('BAD_INPUT', 'a payment hash is 32 bytes of lower-case hex');
    const unknown: PaymentStatus = { paymentHash, state: 'unknown', preimage: null, amountSats: null, settledAt: null };
    const inv = this.ledger.invoiceStatus(paymentHash);
    if (!inv || (inv.payee !== this.nodePubkey && inv.paidBy !== this.nodePubkey)) return unknown;
    if (inv.status === 'paid') {
      return { paymentHash, state: 'succeeded', preimage: inv.preimage, amountSats: inv.paidAmountSats, settledAt: inv.paidAt };
    }
    const state = inv.expiresAt <= this.ledger.now() ? 'expired' : 'pending';
    return { paymentHash, state, preimage: null, amountSats: inv.amountSats, settledAt: null };
  }

  /** Settled movements plus this wallet's still-open invoices (pending or expired), newest first. */
  async history(opts: { limit?: number | undefined } = {}): Promise<WalletTransaction[]> {
    this.requireOpen();
    const limit = opts.limit ?? DEFAULT_HISTORY_LIMIT;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) throw new AppError('BAD_INPUT', `limit must be a whole number from 1 to ${MAX_HISTORY_LIMIT}`);
    const now = this.ledger.now();
    const settled: WalletTransaction[] = this.ledger.history(this.nodePubkey, limit).map((m) => ({
      direction: m.direction,
      paymentHash: m.paymentHash ?? '',
      amountSats: m.amountSats,
      feeSats: 0,
      memo: m.memo,
      state: 'succeeded',
      createdAt: m.createdAt,
      settledAt: m.createdAt,
      kind: m.kind,
    }));
    const open: WalletTransaction[] = this.ledger.openInvoices(this.nodePubkey, limit).map((inv) => ({
      direction: 'in',
      paymentHash: inv.paymentHash,
      amountSats: inv.amountSats ?? 0,
      feeSats: 0,
      memo: inv.memo,
      state: inv.expiresAt <= now ? 'expired' : 'pending',
      createdAt: inv.createdAt,
      settledAt: null,
      kind: 'payment',
    }));
    return [...settled, ...open].sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
  }

  /**
   * Announces each invoice of this wallet settled after the wallet was opened, once. Other
   * processes' payments are found by polling the ledger; payments made through the same
   * ledger instance trigger a check at once. One cursor serves both, so nothing is announced twice.
   */
  onIncomingPayment(listener: (payment: IncomingPayment) => void): () => void {
    this.requireOpen();
    this.listeners.add(listener);
    if (!this.timer) {
      this.timer = setInterval(() => this.checkIncoming(), this.pollMs);
      this.timer.unref();
      this.stopLedgerWatch = this.ledger.onSettled((payee) => {
        if (payee === this.nodePubkey) this.checkIncoming();
      });
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopWatching();
    };
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.stopWatching();
  }

  private checkIncoming(): void {
    if (this.closed || this.listeners.size === 0) return;
    let settlements;
    try {
      settlements = this.ledger.settledIncomingSince(this.nodePubkey, this.cursor);
    } catch (err) {
      // A busy or briefly unreadable ledger is retried on the next tick; the cursor has not moved.
      process.emitWarning(`devnet wallet could not read the ledger: ${(err as Error).message}`);
      return;
    }
    for (const s of settlements) {
      this.cursor = s.seq;
      const payment: IncomingPayment = { paymentHash: s.paymentHash, amountSats: s.amountSats, settledAt: s.settledAt, memo: s.memo };
      for (const listener of [...this.listeners]) {
        try {
          listener(payment);
        } catch (err) {
          process.emitWarning(`devnet wallet incoming-payment listener failed: ${(err as Error).message}`);
        }
      }
    }
  }

  private stopWatching(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopLedgerWatch?.();
    this.stopLedgerWatch = null;
  }

  private requireOpen(): void {
    if (this.closed) throw new AppError('INTERNAL', `the ${this.label} is closed`);
  }
}

function requireSats(value: number, name: string, min: 0 | 1): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new AppError('BAD_INPUT', `${name} must be a whole number of sats${min === 1 ? ' above 0' : ' (0 or more)'}, not ${String(value)}`);
  }
}
