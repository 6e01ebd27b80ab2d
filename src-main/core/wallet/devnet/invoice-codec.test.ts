import { describe, expect, it } from 'vitest';
import bolt11 from 'bolt11';
import { decode as independentDecode } from 'light-bolt11-decoder';
import { bech32 } from '@scure/base';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { AppError } from '../../errors.js';
import { decodeInvoice, encodeInvoice, type InvoiceFields } from './invoice-codec.js';

const nodeKey = secp256k1.utils.randomSecretKey();
const nodePubkey = bytesToHex(secp256k1.getPublicKey(nodeKey, true));

function fields(over: Partial<InvoiceFields> = {}): InvoiceFields {
  return {
    paymentHash: bytesToHex(sha256(randomBytes(32))),
    paymentSecret: bytesToHex(randomBytes(32)),
    amountSats: 2100,
    memo: 'summarize this — ünïcode ok',
    createdAt: Math.floor(Date.now() / 1000) * 1000,
    expirySeconds: 600,
    ...over,
  };
}

function expectInvalid(fn: () => unknown, message?: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('INVOICE_INVALID');
    if (message) expect((err as AppError).message).toMatch(message);
    return;
  }
  throw new Error('expected INVOICE_INVALID');
}

/** Rebuilds an invoice from its words with a fresh checksum, as a forger would. */
function reencode(invoice: string, edit: (words: number[]) => number[]): string {
  const { prefix, words } = bech32.decode(invoice, false);
  return bech32.encode(prefix, edit([...words]), false);
}

describe('invoice codec', () => {
  it('round-trips a signed regtest invoice', () => {
    const f = fields();
    const invoice = encodeInvoice(f, nodeKey);
    expect(invoice.startsWith('lnbcrt21u1')).toBe(true);
    expect(decodeInvoice(invoice)).toEqual({
      bolt11: invoice,
      paymentHash: f.paymentHash,
      amountSats: 2100,
      payeeNodeKey: nodePubkey,
      createdAt: f.createdAt,
      expiresAt: f.createdAt + 600_000,
      memo: f.memo,
      network: 'regtest',
    });
  });

  it('round-trips an amountless invoice and odd amounts', () => {
    const amountless = encodeInvoice(fields({ amountSats: null, memo: '' }), nodeKey);
    expect(amountless.startsWith('lnbcrt1')).toBe(true);
    expect(decodeInvoice(amountless).amountSats).toBeNull();
    for (const sats of [1, 7, 999, 1000, 123_456_789, 2_100_000_000_000_000]) {
      expect(decodeInvoice(encodeInvoice(fields({ amountSats: sats }), nodeKey)).amountSats).toBe(sats);
    }
  });

  it('produces invoices an independent decoder reads the same way', () => {
    const f = fields({ amountSats: 1234 });
    const invoice = encodeInvoice(f, nodeKey);
    const sections = new Map(independentDecode(invoice).sections.map((s) => [s.name, 'value' in s ? s.value : undefined]));
    expect(sections.get('payment_hash')).toBe(f.paymentHash);
    expect(sections.get('amount')).toBe('1234000');
    expect(sections.get('description')).toBe(f.memo);
    expect(sections.get('payment_secret')).toBe(f.paymentSecret);
    expect(sections.get('timestamp')).toBe(f.createdAt / 1000);
    expect(sections.get('expiry')).toBe(600);
    expect(sections.get('min_final_cltv_expiry')).toBe(18);
    expect((sections.get('coin_network') as { bech32: string }).bech32).toBe('bcrt');
    expect(independentDecode(encodeInvoice(fields({ amountSats: null }), nodeKey)).sections.some((s) => s.name === 'amount')).toBe(false);
  });

  it('decodes the BOLT11 mainnet test vector', () => {
    const vector = 'lnbc20u1pvjluezhp58yjmdan79s6qqdhdzgynm4zwqd5d7xmw5fk98klysy043l2ahrqspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqfppqw508d6qejxtdg4y5r3zarvary0c5xw7kxqrrsssp5m6kmam774klwlh4dhmhaatd7al02m0h0m6kmam774klwlh4dhmhs9qypqqqcqpf3cwux5979a8j28d4ydwahx00saa68wq3az7v9jdgzkghtxnkf3z5t7q5suyq2dl9tqwsap8j0wptc82cpyvey9gf6zyylzrm60qtcqsq7egtsq';
    const d = decodeInvoice(vector);
    expect(d.network).toBe('mainnet');
    expect(d.amountSats).toBe(2000);
    expect(d.payeeNodeKey).toBe('03e7156ae33b0a208d0744199163177e909e80176e55d97a2f221ede0f934dd9ad');
    expect(d.paymentHash).toBe('0001020304050607080900010203040506070809000102030405060708090102');
    expect(d.expiresAt - d.createdAt).toBe(3_600_000);
  });

  it('accepts an upper-case invoice (QR codes) and normalizes it', () => {
    const invoice = encodeInvoice(fields(), nodeKey);
    expect(decodeInvoice(invoice.toUpperCase()).bolt11).toBe(invoice);
  });

  it('refuses amounts that are not whole sats', () => {
    const unsigned = bolt11.encode({
      network: { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] },
      millisatoshis: '1500',
      tags: [{ tagName: 'payment_hash', data: 'ab'.repeat(32) }, { tagName: 'description', data: '' }],
    });
    const invoice = bolt11.sign(unsigned, Buffer.from(nodeKey)).paymentRequest!;
    expectInvalid(() => decodeInvoice(invoice), /1500 msat is not a whole number of sats/);
  });

  it('refuses malformed strings with INVOICE_INVALID', () => {
    const good = encodeInvoice(fields(), nodeKey);
    const flipped = good.slice(0, 40) + (good[40] === 'q' ? 'p' : 'q') + good.slice(41);
    for (const bad of ['', '   ', 'hello', 'lnbcrt', 'lnbcrt1qqqqqq', 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', flipped, good.slice(0, -1), `${good}q`, good.slice(0, 10) + good.slice(10).toUpperCase(), 'ln'.padEnd(8000, 'q')]) {
      expectInvalid(() => decodeInvoice(bad));
    }
    expectInvalid(() => decodeInvoice(42 as unknown as string));
    expectInvalid(() => decodeInvoice(undefined as unknown as string));
  });

  it('refuses a high-S (malleated) signature', () => {
    const invoice = encodeInvoice(fields(), nodeKey);
    const malleated = reencode(invoice, (words) => {
      const sig = bech32.fromWords(words.slice(-104));
      const parsed = secp256k1.Signature.fromBytes(sig.subarray(0, 64), 'compact');
      const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      const highS = new secp256k1.Signature(parsed.r, n - parsed.s).toBytes('compact');
      return [...words.slice(0, -104), ...bech32.toWords(new Uint8Array([...highS, sig[64]! ^ 1]))];
    });
    expectInvalid(() => decodeInvoice(malleated));
  });

  it('recovers a different payee when the signed data was altered', () => {
    const invoice = encodeInvoice(fields({ memo: 'pay me' }), nodeKey);
    // Change one word of the timestamp and recompute the checksum: the signature no longer matches.
    const forged = reencode(invoice, (words) => {
      words[3] = (words[3]! + 1) % 32;
      return words;
    });
    let payee: string | null = null;
    try {
      payee = decodeInvoice(forged).payeeNodeKey;
    } catch (err) {
      expect((err as AppError).code).toBe('INVOICE_INVALID');
    }
    expect(payee).not.toBe(nodePubkey);
  });

  it('refuses bad encoding input with BAD_INPUT', () => {
    const bad: Partial<InvoiceFields>[] = [{ amountSats: 0 }, { amountSats: 1.5 }, { amountSats: -1 }, { paymentHash: 'xyz' }, { memo: 'x'.repeat(640) }, { expirySeconds: 0 }];
    for (const over of bad) {
      expect(() => encodeInvoice(fields(over), nodeKey)).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
    }
    expect(() => encodeInvoice(fields(), new Uint8Array(32))).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
  });
});
