import type { Network } from '../config.js';

/** A BOLT11 invoice this wallet issued. */
export interface IssuedInvoice {
  readonly bolt11: string;
  readonly paymentHash: string;
  /** null for an amountless invoice (the payer chooses the amount). */
  readonly amountSats: number | null;
  readonly memo: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface PayRequest {
  readonly bolt11: string;
  /** Required for an amountless invoice, refused for one that carries an amount. */
  readonly amountSats?: number | undefined;
  readonly maxFeeSats: number;
  /** A retry with the same key returns the first attempt's result and never pays twice. */
  readonly idempotencyKey: string;
}

/** Proof of a settled payment: sha256(preimage) equals the invoice's payment hash. */
export interface PaymentResult {
  readonly paymentHash: string;
  readonly preimage: string;
  readonly amountSats: number;
  readonly feeSats: number;
  readonly status: 'succeeded';
  readonly settledAt: number;
}

export type PaymentState = 'unknown' | 'pending' | 'succeeded' | 'failed' | 'expired';

export interface PaymentStatus {
  readonly paymentHash: string;
  readonly state: PaymentState;
  /** Set once the exact invoice is settled. */
  readonly preimage: string | null;
  readonly amountSats: number | null;
  readonly settledAt: number | null;
}

export interface WalletTransaction {
  readonly direction: 'in' | 'out';
  readonly paymentHash: string;
  readonly amountSats: number;
  readonly feeSats: number;
  readonly memo: string;
  readonly state: PaymentState;
  readonly createdAt: number;
  readonly settledAt: number | null;
  /** 'faucet' for devnet faucet credits, 'payment' otherwise. */
  readonly kind: 'payment' | 'faucet';
}

export interface IncomingPayment {
  readonly paymentHash: string;
  readonly amountSats: number;
  readonly settledAt: number;
  readonly memo: string;
}

/**
 * What every wallet adapter offers (devnet ledger, Spark, wallet-connect). Amounts are
 * integer sats; errors are AppError with codes INVOICE_INVALID, ALREADY_PAID,
 * INSUFFICIENT_FUNDS, PAYMENT_FAILED or NETWORK_UNREACHABLE.
 */
export interface Wallet {
  readonly network: Network;
  /** The wallet's node public key (hex, 33-byte compressed), the payee of its invoices. */
  readonly nodePubkey: string;
  balance(): Promise<number>;
  createInvoice(req: { amountSats?: number | undefined; memo?: string | undefined; expirySeconds?: number | undefined }): Promise<IssuedInvoice>;
  payInvoice(req: PayRequest): Promise<PaymentResult>;
  paymentStatus(paymentHash: string): Promise<PaymentStatus>;
  history(opts?: { limit?: number | undefined }): Promise<WalletTransaction[]>;
  /** Calls back once per settled incoming invoice, including ones settled by other processes. */
  onIncomingPayment(listener: (payment: IncomingPayment) => void): () => void;
  close(): void;
}
