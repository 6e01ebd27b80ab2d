import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { openDatabase, type Db } from '../../store/db.js';
import { AppError, type ErrorCode } from '../../errors.js';
import { ledgerMigrations } from './ledger-migrations.js';

/** The system account that mints devnet sats; the only account allowed to go negative. */
export const FAUCET_ACCOUNT = 'faucet';
/** Most sats one faucet call hands out. */
export const FAUCET_MAX_SATS = 10_000_000;
/** Largest single amount: its msat value must stay an exact JS number (sums are read as BigInt). */
export const MAX_AMOUNT_SATS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

export interface RegisteredInvoice {
  readonly paymentHash: string;
  readonly payee: string;
  readonly amountSats: number | null;
  readonly bolt11: string;
  readonly memo: string;
  readonly preimage: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface LedgerInvoice {
  readonly paymentHash: string;
  readonly payee: string;
  readonly amountSats: number | null;
  readonly memo: string;
  readonly status: 'open' | 'paid';
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly paidAt: number | null;
  readonly paidBy: string | null;
  readonly paidAmountSats: number | null;
  /** Revealed only once the invoice is paid: it is the payer's proof. */
  readonly preimage: string | null;
}

export interface LedgerPayRequest {
  readonly payer: string;
  readonly paymentHash: string;
  /** The invoice being paid; it must be exactly the one its payee registered. */
  readonly bolt11: string;
  readonly amountSats?: number | undefined;
  readonly idempotencyKey: string;
}

export interface LedgerPayment {
  readonly paymentHash: string;
  readonly preimage: string;
  readonly amountSats: number;
  readonly feeSats: number;
  readonly settledAt: number;
}

export interface LedgerMovement {
  readonly txid: string;
  readonly kind: 'payment' | 'faucet';
  readonly direction: 'in' | 'out';
  readonly amountSats: number;
  /** null for faucet credits. */
  readonly paymentHash: string | null;
  readonly memo: string;
  readonly createdAt: number;
}

export interface IncomingSettlement {
  /** Cursor for settledIncomingSince: settlements are numbered in commit order. */
  readonly seq: number;
  readonly paymentHash: string;
  readonly amountSats: number;
  readonly memo: string;
  readonly settledAt: number;
}

export interface ConservationReport {
  readonly ok: boolean;
  /** Sum of every entry; 0 when no msat was created or lost outside the faucet. */
  readonly totalMsat: bigint;
  readonly unbalancedTransfers: string[];
  readonly negativeAccounts: { account: string; balanceMsat: bigint }[];
}

export interface DevnetLedgerOptions {
  /** Replaces Date.now (tests move time forward to expire invoices). */
  readonly clock?: () => number;
}

type SettledListener = (payee: string, paymentHash: string) => void;

interface InvoiceRow {
  payment_hash: string; payee: string; amount_msat: number | null; bolt11: string; memo: string; preimage: string;
  created_at: number; expires_at: number; status: 'open' | 'paid'; paid_at: number | null; paid_by: string | null; paid_amount_msat: number | null;
}
interface PaymentRow { payer: string; payment_hash: string; amount_msat: number; fee_msat: number; settled_at: number; preimage: string }

const NODE_ACCOUNT = /^0[23][0-9a-f]{64}$/;
const HEX32 = /^[0-9a-f]{64}$/;
const MAX_KEY_CHARS = 256;

/**
 * The devnet stand-in for the Lightning network: one SQLite file shared by every process and
 * home on the machine. Money moves only inside BEGIN IMMEDIATE transactions, so concurrent
 * processes take turns on the write lock and each sees the balances the previous one left.
 */
export class DevnetLedger {
  readonly file: string;
  private readonly db: Db;
  private readonly clock: () => number;
  private readonly listeners = new Set<SettledListener>();
  private readonly q;

  constructor(devnetDir: string, options: DevnetLedgerOptions = {}) {
    mkdirSync(devnetDir, { recursive: true, mode: 0o700 });
    this.file = path.join(devnetDir, 'ledger.sqlite');
    this.db = openLedgerDatabase(this.file);
    this.clock = options.clock ?? Date.now;
    const sum = (sql: string) => this.db.prepare(sql).safeIntegers(true);
    this.q = {
      ensureAccount: this.db.prepare('INSERT INTO accounts (id, created_at) VALUES (?, ?) ON CONFLICT(id) DO NOTHING'),
      balance: sum('SELECT COALESCE(SUM(amount_msat), 0) AS msat FROM entries WHERE account = ?'),
      insertTransfer: this.db.prepare('INSERT INTO transfers (txid, kind, ref, created_at) VALUES (?, ?, ?, ?)'),
      insertEntry: this.db.prepare('INSERT INTO entries (txid, account, amount_msat) VALUES (?, ?, ?)'),
      insertInvoice: this.db.prepare(`INSERT INTO invoices (payment_hash, payee, amount_msat, bolt11, memo, preimage, created_at, expires_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(payment_hash) DO NOTHING`),
      invoice: this.db.prepare('SELECT * FROM invoices WHERE payment_hash = ?'),
      markPaid: this.db.prepare("UPDATE invoices SET status = 'paid', paid_at = ?, paid_by = ?, paid_amount_msat = ? WHERE payment_hash = ? AND status = 'open'"),
      paymentByKey: this.db.prepare(`SELECT p.payer, p.payment_hash, p.amount_msat, p.fee_msat, p.settled_at, i.preimage
        FROM payments p JOIN invoices i ON i.payment_hash = p.payment_hash WHERE p.idempotency_key = ?`),
      insertPayment: this.db.prepare(`INSERT INTO payments (idempotency_key, payer, payment_hash, txid, amount_msat, fee_msat, status, created_at, settled_at)
        VALUES (?, ?, ?, ?, ?, 0, 'succeeded', ?, ?)`),
      history: this.db.prepare(`SELECT t.txid, t.kind, t.created_at, e.amount_msat, p.payment_hash, i.memo
        FROM entries e JOIN transfers t ON t.txid = e.txid
        LEFT JOIN payments p ON p.txid = t.txid LEFT JOIN invoices i ON i.payment_hash = p.payment_hash
        WHERE e.account = ? ORDER BY e.id DESC LIMIT ?`),
      openInvoices: this.db.prepare("SELECT * FROM invoices WHERE payee = ? AND status = 'open' ORDER BY created_at DESC LIMIT ?"),
      incoming: this.db.prepare(`SELECT p.seq, p.payment_hash, p.amount_msat, p.settled_at, i.memo
        FROM payments p JOIN invoices i ON i.payment_hash = p.payment_hash WHERE p.seq > ? AND i.payee = ? ORDER BY p.seq LIMIT ?`),
      lastSeq: this.db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM payments'),
      total: sum('SELECT COALESCE(SUM(amount_msat), 0) AS msat FROM entries'),
      unbalanced: sum('SELECT txid FROM entries GROUP BY txid HAVING SUM(amount_msat) != 0'),
      negative: sum('SELECT account, SUM(amount_msat) AS msat FROM entries WHERE account != ? GROUP BY account HAVING SUM(amount_msat) < 0'),
    };
  }

  now(): number {
    return this.clock();
  }

  /** Balance in sats (every amount on the ledger is a whole number of sats). */
  balance(account: string): number {
    return Number(this.balanceMsat(account) / 1000n);
  }

  balanceMsat(account: string): bigint {
    return (this.q.balance.get(account) as { msat: bigint }).msat;
  }

  /** Mints devnet sats into an account (devnet only: these are not real money). Returns the new balance. */
  faucet(account: string, sats: number): number {
    requireNodeAccount(account);
    if (!Number.isSafeInteger(sats) || sats <= 0 || sats > FAUCET_MAX_SATS) {
      throw new AppError('BAD_INPUT', `the faucet gives a whole number of sats from 1 to ${FAUCET_MAX_SATS}, not ${sats}`);
    }
    const msat = sats * 1000;
    this.write('BACKEND_ERROR', () => {
      const now = this.clock();
      this.q.ensureAccount.run(account, now);
      const txid = randomUUID();
      this.q.insertTransfer.run(txid, 'faucet', account, now);
      this.q.insertEntry.run(txid, FAUCET_ACCOUNT, -msat);
      this.q.insertEntry.run(txid, account, msat);
    });
    return this.balance(account);
  }

  /** Records an invoice its payee just issued, so that payers can settle it here. */
  registerInvoice(inv: RegisteredInvoice): void {
    requireNodeAccount(inv.payee);
    if (!HEX32.test(inv.paymentHash) || !HEX32.test(inv.preimage) || bytesToHex(sha256(hexToBytes(inv.preimage))) !== inv.paymentHash) {
      throw new AppError('BAD_INPUT', 'the payment hash must be sha256 of the 32-byte preimage (lower-case hex)');
    }
    if (inv.amountSats !== null) requireAmount(inv.amountSats, 'invoice amount');
    if (!(inv.expiresAt > inv.createdAt)) throw new AppError('BAD_INPUT', 'an invoice must expire after it is created');
    this.write('BACKEND_ERROR', () => {
      this.q.ensureAccount.run(inv.payee, this.clock());
      const inserted = this.q.insertInvoice.run(inv.paymentHash, inv.payee, inv.amountSats === null ? null : inv.amountSats * 1000,
        inv.bolt11.toLowerCase(), inv.memo, inv.preimage, inv.createdAt, inv.expiresAt);
      if (inserted.changes === 0) throw new AppError('CONFLICT', `an invoice with payment hash ${inv.paymentHash.slice(0, 16)}… is already registered`);
    });
  }

  /**
   * Settles an invoice in one write transaction. A repeated idempotency key returns the
   * first result without moving money again; every refusal leaves the ledger untouched.
   */
  pay(req: LedgerPayRequest): LedgerPayment {
    requireNodeAccount(req.payer);
    if (typeof req.idempotencyKey !== 'string' || req.idempotencyKey.length === 0 || req.idempotencyKey.length > MAX_KEY_CHARS) {
      throw new AppError('BAD_INPUT', `an idempotency key is a non-empty string of at most ${MAX_KEY_CHARS} characters`);
    }
    if (req.amountSats !== undefined) requireAmount(req.amountSats, 'payment amount');
    const bolt11 = req.bolt11.toLowerCase();

    const result = this.write('PAYMENT_FAILED', (): { payment: LedgerPayment; payee: string | null } => {
      const earlier = this.q.paymentByKey.get(req.idempotencyKey) as PaymentRow | undefined;
      if (earlier) return { payment: replay(earlier, req), payee: null };

      const inv = this.q.invoice.get(req.paymentHash) as InvoiceRow | undefined;
      if (!inv) throw new AppError('INVOICE_INVALID', 'not a devnet invoice: the devnet ledger has no invoice with this payment hash');
      if (inv.bolt11 !== bolt11) throw new AppError('INVOICE_INVALID', 'the invoice differs from the one its payee registered under this payment hash');
      if (inv.status === 'paid') throw new AppError('ALREADY_PAID', `invoice ${short(inv.payment_hash)} is already paid`);
      const now = this.clock();
      if (inv.expires_at <= now) throw new AppError('INVOICE_INVALID', 'the invoice has expired');
      if (inv.payee === req.payer) throw new AppError('INVOICE_INVALID', 'the invoice was issued by this same wallet');

      let amountSats: number;
      if (inv.amount_msat === null) {
        if (req.amountSats === undefined) throw new AppError('INVOICE_INVALID', 'the invoice has no amount: give amountSats');
        amountSats = req.amountSats;
      } else {
        amountSats = inv.amount_msat / 1000;
        if (req.amountSats !== undefined && req.amountSats !== amountSats) {
          throw new AppError('INVOICE_INVALID', `the invoice is for ${amountSats} sats, not ${req.amountSats}`);
        }
      }
      const msat = amountSats * 1000;
      const haveMsat = this.balanceMsat(req.payer);
      if (haveMsat < BigInt(msat)) {
        throw new AppError('INSUFFICIENT_FUNDS', `balance ${haveMsat / 1000n} sats, ${amountSats} sats needed`, { balanceSats: Number(haveMsat / 1000n), amountSats });
      }

      const txid = randomUUID();
      this.q.ensureAccount.run(req.payer, now);
      this.q.insertTransfer.run(txid, 'payment', inv.payment_hash, now);
      this.q.insertEntry.run(txid, req.payer, -msat);
      this.q.insertEntry.run(txid, inv.payee, msat);
      this.q.insertPayment.run(req.idempotencyKey, req.payer, inv.payment_hash, txid, msat, now, now);
      // The status guard makes this the last line of defence against a double settlement.
      if (this.q.markPaid.run(now, req.payer, msat, inv.payment_hash).changes !== 1) {
        throw new AppError('ALREADY_PAID', `invoice ${short(inv.payment_hash)} is already paid`);
      }
      return { payment: { paymentHash: inv.payment_hash, preimage: inv.preimage, amountSats, feeSats: 0, settledAt: now }, payee: inv.payee };
    });

    // Committed: tell in-process listeners (payee wallets) after the caller's stack unwinds,
    // so a listener can neither fail nor delay the payment.
    const payee = result.payee;
    if (payee !== null) queueMicrotask(() => this.notifySettled(payee, result.payment.paymentHash));
    return result.payment;
  }

  invoiceStatus(paymentHash: string): LedgerInvoice | null {
    const row = this.q.invoice.get(paymentHash) as InvoiceRow | undefined;
    return row ? invoiceView(row) : null;
  }

  /** Open invoices issued by an account, newest first. */
  openInvoices(payee: string, limit = 100): LedgerInvoice[] {
    return (this.q.openInvoices.all(payee, limit) as InvoiceRow[]).map(invoiceView);
  }

  /** Money that moved in or out of an account, newest first. */
  history(account: string, limit = 100): LedgerMovement[] {
    const rows = this.q.history.all(account, limit) as { txid: string; kind: 'payment' | 'faucet'; created_at: number; amount_msat: number; payment_hash: string | null; memo: string | null }[];
    return rows.map((r) => ({
      txid: r.txid,
      kind: r.kind,
      direction: r.amount_msat > 0 ? 'in' : 'out',
      amountSats: Math.abs(r.amount_msat) / 1000,
      paymentHash: r.payment_hash,
      memo: r.kind === 'faucet' ? 'devnet faucet' : (r.memo ?? ''),
      createdAt: r.created_at,
    }));
  }

  /** Invoices of this account settled after the cursor `afterSeq`, in settlement order. */
  settledIncomingSince(account: string, afterSeq: number, limit = 500): IncomingSettlement[] {
    const rows = this.q.incoming.all(afterSeq, account, limit) as { seq: number; payment_hash: string; amount_msat: number; settled_at: number; memo: string }[];
    return rows.map((r) => ({ seq: r.seq, paymentHash: r.payment_hash, amountSats: r.amount_msat / 1000, memo: r.memo, settledAt: r.settled_at }));
  }

  /** The cursor of the newest settlement (0 when nothing was ever paid). */
  lastSettlementSeq(): number {
    return (this.q.lastSeq.get() as { seq: number }).seq;
  }

  /** Calls back after each payment this instance commits, with the payee's account. */
  onSettled(listener: SettledListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Proves no msat was created or lost: all entries sum to zero, each transfer balances, and only the faucet is negative. */
  checkConservation(): ConservationReport {
    return this.db.transaction((): ConservationReport => {
      const totalMsat = (this.q.total.get() as { msat: bigint }).msat;
      const unbalancedTransfers = (this.q.unbalanced.all() as { txid: string }[]).map((r) => r.txid);
      const negativeAccounts = (this.q.negative.all(FAUCET_ACCOUNT) as { account: string; msat: bigint }[]).map((r) => ({ account: r.account, balanceMsat: r.msat }));
      return { ok: totalMsat === 0n && unbalancedTransfers.length === 0 && negativeAccounts.length === 0, totalMsat, unbalancedTransfers, negativeAccounts };
    })();
  }

  close(): void {
    this.listeners.clear();
    if (this.db.open) this.db.close();
  }

  private notifySettled(payee: string, paymentHash: string): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(payee, paymentHash);
      } catch (err) {
        process.emitWarning(`devnet ledger settlement listener failed: ${(err as Error).message}`);
      }
    }
  }

  /** Runs fn holding the database write lock; a lock held too long elsewhere becomes `busyCode` (nothing was written). */
  private write<T>(busyCode: ErrorCode, fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      if (isBusy(err)) throw new AppError(busyCode, 'the devnet ledger is busy (another process holds it); nothing changed, try again');
      throw err;
    }
  }
}

function replay(earlier: PaymentRow, req: LedgerPayRequest): LedgerPayment {
  const amountSats = earlier.amount_msat / 1000;
  if (earlier.payer !== req.payer || earlier.payment_hash !== req.paymentHash || (req.amountSats !== undefined && req.amountSats !== amountSats)) {
    throw new AppError('CONFLICT', 'this idempotency key was already used for a different payment');
  }
  return { paymentHash: earlier.payment_hash, preimage: earlier.preimage, amountSats, feeSats: earlier.fee_msat / 1000, settledAt: earlier.settled_at };
}

function invoiceView(r: InvoiceRow): LedgerInvoice {
  return {
    paymentHash: r.payment_hash,
    payee: r.payee,
    amountSats: r.amount_msat === null ? null : r.amount_msat / 1000,
    memo: r.memo,
    status: r.status,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    paidAt: r.paid_at,
    paidBy: r.paid_by,
    paidAmountSats: r.paid_amount_msat === null ? null : r.paid_amount_msat / 1000,
    preimage: r.status === 'paid' ? r.preimage : null,
  };
}

function requireNodeAccount(account: string): void {
  if (typeof account !== 'string' || !NODE_ACCOUNT.test(account)) {
    throw new AppError('BAD_INPUT', 'an account is a node public key (33-byte compressed, lower-case hex)');
  }
}

function requireAmount(sats: number, what: string): void {
  if (!Number.isSafeInteger(sats) || sats <= 0 || sats > MAX_AMOUNT_SATS) {
    throw new AppError('BAD_INPUT', `${what} must be a whole number of sats from 1 to ${MAX_AMOUNT_SATS}, not ${sats}`);
  }
}

function short(hash: string): string {
  return `${hash.slice(0, 16)}…`;
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/**
 * Opens the ledger with its own migrations and full fsync (it holds money). Processes that
 * open a fresh ledger at the same moment can race in migrate(): the loser's record of the
 * already-applied version conflicts. The migrations are idempotent, so opening again is safe.
 */
function openLedgerDatabase(file: string): Db {
  for (let attempt = 1; ; attempt++) {
    try {
      const db = openDatabase(file, { migrations: ledgerMigrations });
      db.pragma('synchronous = FULL');
      return db;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const raced = typeof code === 'string' && (code.startsWith('SQLITE_CONSTRAINT') || code.startsWith('SQLITE_BUSY'));
      if (!raced || attempt >= 5) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20 * attempt);
    }
  }
}
