import bolt11 from 'bolt11';
import { bech32 } from '@scure/base';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { AppError } from '../../errors.js';

/** The chain an invoice's prefix names: lnbc, lntb, lnbcrt, lnsb. Devnet invoices are regtest (lnbcrt). */
export type InvoiceNetwork = 'mainnet' | 'testnet' | 'regtest' | 'simnet';

export interface DecodedInvoice {
  /** The invoice as given, lower-cased (BOLT11 strings are case-insensitive). */
  readonly bolt11: string;
  readonly paymentHash: string;
  /** null for an amountless invoice. */
  readonly amountSats: number | null;
  /** The key that signed the invoice (33-byte compressed, hex). */
  readonly payeeNodeKey: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly memo: string;
  readonly network: InvoiceNetwork;
}

export interface InvoiceFields {
  readonly paymentHash: string;
  readonly paymentSecret: string;
  readonly amountSats: number | null;
  readonly memo: string;
  /** ms; the invoice carries whole seconds, so callers should pass a multiple of 1000. */
  readonly createdAt: number;
  readonly expirySeconds: number;
}

/** bolt11's description of bitcoin regtest: the `bcrt` part of `lnbcrt`. */
const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] };
const NETWORK_BY_BECH32: Record<string, InvoiceNetwork> = { bc: 'mainnet', tb: 'testnet', bcrt: 'regtest', sb: 'simnet' };

/** BOLT11 defaults: expiry when no `x` field is present; min_final_cltv_expiry we announce. */
const DEFAULT_EXPIRY_SECONDS = 3600;
const MIN_FINAL_CLTV_EXPIRY = 18;
/** A description longer than this does not fit one tagged field (1023 five-bit words). */
export const MAX_MEMO_BYTES = 639;
/** Longest string accepted for decoding (the largest QR code); real invoices are far shorter. */
const MAX_INVOICE_CHARS = 7089;
/** The signature is the last 104 five-bit words: 64 bytes of r‖s and one recovery byte. */
const SIGNATURE_WORDS = 104;

const HEX32 = /^[0-9a-f]{64}$/;

/**
 * Encodes and signs a regtest BOLT11 invoice with the node key. Payment secret and
 * var_onion_optin are flagged required, as every current Lightning implementation expects.
 */
export function encodeInvoice(fields: InvoiceFields, nodeSecretKey: Uint8Array): string {
  if (!HEX32.test(fields.paymentHash)) throw new AppError('BAD_INPUT', 'payment hash must be 32 bytes of lower-case hex');
  if (!HEX32.test(fields.paymentSecret)) throw new AppError('BAD_INPUT', 'payment secret must be 32 bytes of lower-case hex');
  if (fields.amountSats !== null && (!Number.isSafeInteger(fields.amountSats) || fields.amountSats <= 0)) {
    throw new AppError('BAD_INPUT', `invoice amount must be a positive whole number of sats, got ${fields.amountSats}`);
  }
  if (utf8ToBytes(fields.memo).length > MAX_MEMO_BYTES) throw new AppError('BAD_INPUT', `memo is longer than ${MAX_MEMO_BYTES} bytes`);
  if (!Number.isSafeInteger(fields.expirySeconds) || fields.expirySeconds <= 0) throw new AppError('BAD_INPUT', 'expiry must be a positive whole number of seconds');
  if (!Number.isSafeInteger(fields.createdAt) || fields.createdAt <= 0) throw new AppError('BAD_INPUT', 'createdAt must be a time in ms');
  if (nodeSecretKey.length !== 32 || !secp256k1.utils.isValidSecretKey(nodeSecretKey)) throw new AppError('BAD_INPUT', 'node secret key must be a valid 32-byte secp256k1 key');

  const unsigned = bolt11.encode(
    {
      network: REGTEST,
      timestamp: Math.floor(fields.createdAt / 1000),
      // Millisats as a decimal string: bolt11 picks the shortest amount suffix (m, u, n, p).
      millisatoshis: fields.amountSats === null ? null : (BigInt(fields.amountSats) * 1000n).toString(),
      tags: [
        { tagName: 'payment_hash', data: fields.paymentHash },
        { tagName: 'description', data: fields.memo },
        { tagName: 'expire_time', data: fields.expirySeconds },
        { tagName: 'payment_secret', data: fields.paymentSecret },
        { tagName: 'min_final_cltv_expiry', data: MIN_FINAL_CLTV_EXPIRY },
        { tagName: 'feature_bits', data: { word_length: 4, var_onion_optin: { required: true, supported: true }, payment_secret: { required: true, supported: true } } },
      ],
    },
    false,
  );
  const signed = bolt11.sign(unsigned, Buffer.from(nodeSecretKey));
  if (!signed.paymentRequest) throw new AppError('INTERNAL', 'bolt11 produced no payment request');
  return signed.paymentRequest;
}

/**
 * Parses a BOLT11 invoice and checks its signature: the payee key is recovered from the
 * signature, independently of bolt11's own recovery, and high-S (malleable) signatures are
 * refused. Anything malformed is INVOICE_INVALID.
 */
export function decodeInvoice(invoice: string): DecodedInvoice {
  if (typeof invoice !== 'string' || invoice.length === 0) throw invalid('an invoice must be a non-empty string');
  if (invoice.length > MAX_INVOICE_CHARS) throw invalid(`an invoice is at most ${MAX_INVOICE_CHARS} characters`);
  if (!/^ln/i.test(invoice)) throw invalid('a BOLT11 invoice starts with "ln"');

  let parsed: ReturnType<typeof bolt11.decode>;
  try {
    parsed = bolt11.decode(invoice);
  } catch (err) {
    throw invalid(`not a valid BOLT11 invoice (${(err as Error).message})`);
  }

  const bech32Prefix = parsed.network?.bech32 ?? '';
  const network = NETWORK_BY_BECH32[bech32Prefix];
  if (!network) throw invalid(`unknown invoice network prefix "${bech32Prefix}"`);

  const payeeNodeKey = parsed.payeeNodeKey ?? '';
  if (recoverPayee(invoice) !== payeeNodeKey) throw invalid('the invoice signature does not verify');

  const tags = parsed.tagsObject;
  const paymentHash = tags.payment_hash;
  if (typeof paymentHash !== 'string' || !HEX32.test(paymentHash)) throw invalid('the invoice has no valid payment hash');

  const timestamp = parsed.timestamp;
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp)) throw invalid('the invoice has no valid timestamp');
  const expirySeconds = tags.expire_time ?? DEFAULT_EXPIRY_SECONDS;
  if (!Number.isSafeInteger(expirySeconds) || expirySeconds < 0) throw invalid('the invoice has no valid expiry');

  return {
    bolt11: invoice.toLowerCase(),
    paymentHash,
    amountSats: wholeSats(parsed.millisatoshis ?? null),
    payeeNodeKey,
    createdAt: timestamp * 1000,
    expiresAt: (timestamp + expirySeconds) * 1000,
    memo: typeof tags.description === 'string' ? tags.description : '',
    network,
  };
}

function wholeSats(millisatoshis: string | null): number | null {
  if (millisatoshis === null) return null;
  if (!/^\d+$/.test(millisatoshis)) throw invalid(`the invoice amount "${millisatoshis}" is not a number of msats`);
  const msat = BigInt(millisatoshis);
  if (msat === 0n) throw invalid('the invoice amount is zero');
  if (msat % 1000n !== 0n) throw invalid(`the invoice amount ${msat} msat is not a whole number of sats`);
  const sats = msat / 1000n;
  if (sats > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid('the invoice amount is too large');
  return Number(sats);
}

/**
 * BOLT11 signs sha256(human-readable part ‖ data words packed into bytes, zero-padded);
 * returns the compressed payee key recovered from the signature.
 */
function recoverPayee(invoice: string): string {
  try {
    const { prefix, words } = bech32.decode(invoice.toLowerCase(), false);
    if (words.length <= SIGNATURE_WORDS) throw new Error('too short');
    const signature = packWords(words.slice(-SIGNATURE_WORDS));
    const recovery = signature[64]!;
    const sig = secp256k1.Signature.fromBytes(signature.subarray(0, 64), 'compact');
    if (sig.hasHighS()) return '';
    const digest = sha256(new Uint8Array([...utf8ToBytes(prefix), ...packWords(words.slice(0, -SIGNATURE_WORDS))]));
    return bytesToHex(sig.addRecoveryBit(recovery).recoverPublicKey(digest).toBytes(true));
  } catch {
    return '';
  }
}

/** Packs 5-bit words into bytes, padding the last byte with zero bits. */
function packWords(words: readonly number[]): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const w of words) {
    acc = ((acc << 5) | w) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  if (bits > 0) out.push((acc << (8 - bits)) & 0xff);
  return Uint8Array.from(out);
}

function invalid(message: string): AppError {
  return new AppError('INVOICE_INVALID', message);
}
