import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { AppError } from '../../errors.js';
import type { IncomingPayment } from '../wallet.js';
import { DevnetLedger } from './ledger.js';
import { DevnetWallet } from './devnet-wallet.js';
import { decodeInvoice, encodeInvoice } from './invoice-codec.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../../..');

let dir: string;
let ledger: DevnetLedger;
const opened: { close(): void }[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devnet-wallet-'));
  ledger = new DevnetLedger(dir);
  opened.push(ledger);
});
afterEach(() => {
  for (const o of opened.splice(0).reverse()) o.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function wallet(on: DevnetLedger = ledger, nodeSecretKey = secp256k1.utils.randomSecretKey()): DevnetWallet {
  const w = new DevnetWallet({ ledger: on, nodeSecretKey, label: 'test wallet' });
  opened.push(w);
  return w;
}

async function funded(sats: number): Promise<DevnetWallet> {
  const w = wallet();
  ledger.faucet(w.nodePubkey, sats);
  return w;
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error('timed out'));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

describe('DevnetWallet', () => {
  it('derives its node key and issues signed, registered BOLT11 invoices', async () => {
    const key = secp256k1.utils.randomSecretKey();
    const w = wallet(ledger, key);
    expect(w.network).toBe('devnet');
    expect(w.nodePubkey).toBe(bytesToHex(secp256k1.getPublicKey(key, true)));
    expect(w.nodePubkey).toMatch(/^0[23][0-9a-f]{64}$/);

    const inv = await w.createInvoice({ amountSats: 500, memo: 'one summary' });
    expect(inv.expiresAt - inv.createdAt).toBe(3_600_000);
    expect(decodeInvoice(inv.bolt11)).toMatchObject({ paymentHash: inv.paymentHash, amountSats: 500, payeeNodeKey: w.nodePubkey, memo: 'one summary', network: 'regtest', createdAt: inv.createdAt, expiresAt: inv.expiresAt });
    expect(ledger.invoiceStatus(inv.paymentHash)).toMatchObject({ payee: w.nodePubkey, status: 'open', amountSats: 500 });
    expect(await w.paymentStatus(inv.paymentHash)).toEqual({ paymentHash: inv.paymentHash, state: 'pending', preimage: null, amountSats: 500, settledAt: null });
    expect((await w.createInvoice({ expirySeconds: 60 })).amountSats).toBeNull();
  });

  it('moves exact amounts and proves the payment with the preimage', async () => {
    const payer = await funded(10_000);
    const payee = wallet();
    const inv = await payee.createInvoice({ amountSats: 2_345, memo: 'job 1' });
    const result = await payer.payInvoice({ bolt11: inv.bolt11, maxFeeSats: 10, idempotencyKey: 'job-1' });

    expect(result).toMatchObject({ paymentHash: inv.paymentHash, amountSats: 2_345, feeSats: 0, status: 'succeeded' });
    expect(bytesToHex(sha256(hexToBytes(result.preimage)))).toBe(inv.paymentHash);
    expect(await payer.balance()).toBe(7_655);
    expect(await payee.balance()).toBe(2_345);
    const proof = { paymentHash: inv.paymentHash, state: 'succeeded', preimage: result.preimage, amountSats: 2_345, settledAt: result.settledAt };
    expect(await payee.paymentStatus(inv.paymentHash)).toEqual(proof);
    expect(await payer.paymentStatus(inv.paymentHash)).toEqual(proof);
    // A bystander learns nothing about someone else's invoice.
    expect((await wallet().paymentStatus(inv.paymentHash)).state).toBe('unknown');
    expect(ledger.checkConservation().ok).toBe(true);
  });

  it('pays once per idempotency key and refuses the key for another payment', async () => {
    const payer = await funded(10_000);
    const payee = wallet();
    const inv = await payee.createInvoice({ amountSats: 1_000 });
    const first = await payer.payInvoice({ bolt11: inv.bolt11, maxFeeSats: 0, idempotencyKey: 'k' });
    const again = await payer.payInvoice({ bolt11: inv.bolt11.toUpperCase(), maxFeeSats: 0, idempotencyKey: 'k' });
    expect(again).toEqual(first);
    expect(await payer.balance()).toBe(9_000);
    expect(await payee.balance()).toBe(1_000);

    const other = await payee.createInvoice({ amountSats: 1_000 });
    expect((await failure(payer.payInvoice({ bolt11: other.bolt11, maxFeeSats: 0, idempotencyKey: 'k' }))).code).toBe('CONFLICT');
    const stranger = await funded(5_000);
    expect((await failure(stranger.payInvoice({ bolt11: inv.bolt11, maxFeeSats: 0, idempotencyKey: 'k' }))).code).toBe('CONFLICT');
    expect(await payer.balance()).toBe(9_000);
  });

  it('refuses to pay an invoice twice under a different key', async () => {
    const payer = await funded(10_000);
    const inv = await wallet().createInvoice({ amountSats: 1_000 });
    await payer.payInvoice({ bolt11: inv.bolt11, maxFeeSats: 0, idempotencyKey: 'a' });
    const err = await failure(payer.payInvoice({ bolt11: inv.bolt11, maxFeeSats: 0, idempotencyKey: 'b' }));
    expect(err.code).toBe('ALREADY_PAID');
    const other = await funded(10_000);
    expect((await failure(other.payInvoice({ bolt11: inv.bolt11, maxFeeSats: 0, idempotencyKey: 'c' }))).code).toBe('ALREADY_PAID');
    expect(await payer.balance()).toBe(9_000);
  });

  it('refuses an expired invoice', async () => {
    const payeeKey = secp256k1.utils.randomSecretKey();
    const payee = wallet(ledger, payeeKey);
    const inv = await payee.createInvoice({ amountSats: 100, expirySeconds: 60 });
    // The same ledger file seen by a process whose clock is two minutes later.
    const later = new DevnetLedger(dir, { clock: () => Date.now() + 120_000 });
    opened.push(later);
    const payer = wallet(later);
    later.faucet(payer.nodePubkey, 1_000);
    const err = await failure(payer.payInvoice({ bolt11: inv.bolt11, maxFeeSats: 0, idempotencyKey: 'x' }));
    expect(err.code).toBe('INVOICE_INVALID');
    expect(err.message).toMatch(/expired/);
    expect(await payer.balance()).toBe(1_000);
    expect((await payee.paymentStatus(inv.paymentHash)).state).toBe('pending');
    expect((await wallet(later, payeeKey).paymentStatus(inv.paymentHash)).state).toBe('expired');
  });

  it('reports the balance when funds are insufficient', async () => {
    const payer = await funded(999);
    const inv = await wallet().createInvoice({ amountSats: 1_000 });
    const err = await failure(payer.payInvoice({ bolt11: inv.bolt11, maxFeeSats: 0, idempotencyKey: 'x' }));
    expect(err.code).toBe('INSUFFICIENT_FUNDS');
    expect(err.message).toContain('balance 999 sats');
    expect(await payer.balance()).toBe(999);
    expect(ledger.invoiceStatus(inv.paymentHash)!.status).toBe('open');
  });

  it('pays an amountless invoice the amount the payer chooses', async () => {
    const payer = await funded(5_000);
    const payee = wallet();
    const inv = await payee.createInvoice({ memo: 'tip' });
    expect((await failure(payer.payInvoice({ bolt11: inv.bolt11, maxFeeSats: 0, idempotencyKey: 'a' }))).code).toBe('INVOICE_INVALID');
    const paid = await payer.payInvoice({ bolt11: inv.bolt11, amountSats: 1_234, maxFeeSats: 0, idempotencyKey: 'b' });
    expect(paid.amountSats).toBe(1_234);
    expect(await payee.balance()).toBe(1_234);
    expect(await payer.balance()).toBe(3_766);
    expect((await payee.paymentStatus(inv.paymentHash)).amountSats).toBe(1_234);
    // The retry must ask for the same amount.
    expect((await failure(payer.payInvoice({ bolt11: inv.bolt11, amountSats: 1, maxFeeSats: 0, idempotencyKey: 'b' }))).code).toBe('CONFLICT');
  });

  it('refuses a different amount for a fixed-amount invoice', async () => {
    const payer = await funded(5_000);
    const inv = await wallet().createInvoice({ amountSats: 100 });
    const err = await failure(payer.payInvoice({ bolt11: inv.bolt11, amountSats: 99, maxFeeSats: 0, idempotencyKey: 'a' }));
    expect(err.code).toBe('INVOICE_INVALID');
    expect((await payer.payInvoice({ bolt11: inv.bolt11, amountSats: 100, maxFeeSats: 0, idempotencyKey: 'b' })).amountSats).toBe(100);
  });

  it('refuses invoices the devnet cannot settle', async () => {
    const payer = await funded(5_000);
    const own = await payer.createInvoice({ amountSats: 10 });
    expect((await failure(payer.payInvoice({ bolt11: own.bolt11, maxFeeSats: 0, idempotencyKey: 'own' }))).code).toBe('INVOICE_INVALID');

    // Correctly signed regtest invoice that no devnet wallet registered.
    const foreign = encodeInvoice({ paymentHash: bytesToHex(sha256(randomBytes(32))), paymentSecret: bytesToHex(randomBytes(32)), amountSats: 10, memo: '', createdAt: Math.floor(Date.now() / 1000) * 1000, expirySeconds: 600 }, secp256k1.utils.randomSecretKey());
    const err = await failure(payer.payInvoice({ bolt11: foreign, maxFeeSats: 0, idempotencyKey: 'foreign' }));
    expect(err.code).toBe('INVOICE_INVALID');
    expect(err.message).toMatch(/not a devnet invoice/);

    const mainnet = 'lnbc20u1pvjluezhp58yjmdan79s6qqdhdzgynm4zwqd5d7xmw5fk98klysy043l2ahrqspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqfppqw508d6qejxtdg4y5r3zarvary0c5xw7kxqrrsssp5m6kmam774klwlh4dhmhaatd7al02m0h0m6kmam774klwlh4dhmhs9qypqqqcqpf3cwux5979a8j28d4ydwahx00saa68wq3az7v9jdgzkghtxnkf3z5t7q5suyq2dl9tqwsap8j0wptc82cpyvey9gf6zyylzrm60qtcqsq7egtsq';
    expect((await failure(payer.payInvoice({ bolt11: mainnet, maxFeeSats: 0, idempotencyKey: 'main' }))).message).toMatch(/mainnet invoice/);

    for (const bad of ['', 'lnbcrt', 'not an invoice', `${own.bolt11.slice(0, -3)}xyz`]) {
      expect((await failure(payer.payInvoice({ bolt11: bad, maxFeeSats: 0, idempotencyKey: `bad:${bad}` }))).code).toBe('INVOICE_INVALID');
    }
    expect(await payer.balance()).toBe(5_000);
  });

  it('refuses amounts that are not whole, non-negative sats', async () => {
    const w = await funded(5_000);
    const inv = await wallet().createInvoice({});
    for (const amountSats of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect((await failure(w.createInvoice({ amountSats }))).code).toBe('BAD_INPUT');
      expect((await failure(w.payInvoice({ bolt11: inv.bolt11, amountSats, maxFeeSats: 0, idempotencyKey: 'k' }))).code).toBe('BAD_INPUT');
    }
    for (const maxFeeSats of [-1, 0.5]) {
      expect((await failure(w.payInvoice({ bolt11: inv.bolt11, amountSats: 1, maxFeeSats, idempotencyKey: 'k' }))).code).toBe('BAD_INPUT');
    }
    expect((await failure(w.payInvoice({ bolt11: inv.bolt11, amountSats: 1, maxFeeSats: 0, idempotencyKey: '' }))).code).toBe('BAD_INPUT');
    expect((await failure(w.createInvoice({ expirySeconds: 0 }))).code).toBe('BAD_INPUT');
    expect((await failure(w.createInvoice({ memo: 'x'.repeat(700) }))).code).toBe('BAD_INPUT');
    expect(() => new DevnetWallet({ ledger, nodeSecretKey: new Uint8Array(31) })).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
    expect(await w.balance()).toBe(5_000);
  });

  it('lists faucet credits, payments both ways and open invoices', async () => {
    const a = await funded(3_000);
    const b = wallet();
    const paidInv = await b.createInvoice({ amountSats: 700, memo: 'paid' });
    await a.payInvoice({ bolt11: paidInv.bolt11, maxFeeSats: 0, idempotencyKey: 'h' });
    await b.createInvoice({ amountSats: 5, memo: 'still open' });

    const ah = await a.history();
    expect(ah.map((t) => [t.kind, t.direction, t.amountSats, t.state])).toEqual([['payment', 'out', 700, 'succeeded'], ['faucet', 'in', 3_000, 'succeeded']]);
    const bh = await b.history();
    expect(bh).toHaveLength(2);
    expect(bh.find((t) => t.memo === 'paid')).toMatchObject({ direction: 'in', amountSats: 700, state: 'succeeded', paymentHash: paidInv.paymentHash });
    expect(bh.find((t) => t.memo === 'still open')).toMatchObject({ direction: 'in', amountSats: 5, state: 'pending', settledAt: null });
    expect(await b.history({ limit: 1 })).toHaveLength(1);
    expect((await failure(b.history({ limit: 0 }))).code).toBe('BAD_INPUT');
  });

  it('announces a payment made in this process at once, and only once', async () => {
    const payer = await funded(1_000);
    const payee = wallet();
    const seen: IncomingPayment[] = [];
    payee.onIncomingPayment((p) => seen.push(p));
    const inv = await payee.createInvoice({ amountSats: 300, memo: 'instant' });
    await payer.payInvoice({ bolt11: inv.bolt11, maxFeeSats: 0, idempotencyKey: 'i' });
    expect(seen).toEqual([{ paymentHash: inv.paymentHash, amountSats: 300, settledAt: expect.any(Number), memo: 'instant' }]);
    // Several poll rounds later it has still been announced once.
    await new Promise((r) => setTimeout(r, 700));
    expect(seen).toHaveLength(1);
  });

  it('sees a payment made by another process, through polling', async () => {
    const payee = wallet();
    const seen: IncomingPayment[] = [];
    payee.onIncomingPayment((p) => seen.push(p));
    const inv = await payee.createInvoice({ amountSats: 4_200, memo: 'from afar' });
    const payerKey = secp256k1.utils.randomSecretKey();
    ledger.faucet(bytesToHex(secp256k1.getPublicKey(payerKey, true)), 5_000);

    const script = path.join(dir, 'pay.mts');
    fs.writeFileSync(script, `
      import { DevnetLedger } from '${pathToFileURL(path.join(here, 'ledger.ts')).href}';
      import { DevnetWallet } from '${pathToFileURL(path.join(here, 'devnet-wallet.ts')).href}';
      const [dir, keyHex, bolt11] = process.argv.slice(2);
      const ledger = new DevnetLedger(dir);
      const wallet = new DevnetWallet({ ledger, nodeSecretKey: Uint8Array.from(Buffer.from(keyHex, 'hex')) });
      const result = await wallet.payInvoice({ bolt11, maxFeeSats: 0, idempotencyKey: 'remote' });
      wallet.close();
      ledger.close();
      console.log(JSON.stringify(result));
    `);
    const child = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', script, dir, bytesToHex(payerKey), inv.bolt11], { cwd: repoRoot });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('error', reject);
      p.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(child.code, child.stderr).toBe(0);
    const remote = JSON.parse(child.stdout) as { preimage: string };
    expect(bytesToHex(sha256(hexToBytes(remote.preimage)))).toBe(inv.paymentHash);

    await until(() => seen.length > 0);
    expect(seen).toEqual([{ paymentHash: inv.paymentHash, amountSats: 4_200, settledAt: expect.any(Number), memo: 'from afar' }]);
    expect(await payee.balance()).toBe(4_200);
    await new Promise((r) => setTimeout(r, 600));
    expect(seen).toHaveLength(1);
  });

  it('stops announcing after unsubscribe and close', async () => {
    const payer = await funded(1_000);
    const payee = wallet();
    const seen: string[] = [];
    const stop = payee.onIncomingPayment((p) => seen.push(p.paymentHash));
    const first = await payee.createInvoice({ amountSats: 1 });
    await payer.payInvoice({ bolt11: first.bolt11, maxFeeSats: 0, idempotencyKey: '1' });
    stop();
    const second = await payee.createInvoice({ amountSats: 1 });
    await payer.payInvoice({ bolt11: second.bolt11, maxFeeSats: 0, idempotencyKey: '2' });
    await new Promise((r) => setTimeout(r, 400));
    expect(seen).toEqual([first.paymentHash]);

    const listenerBeforeClose: string[] = [];
    payee.onIncomingPayment((p) => listenerBeforeClose.push(p.paymentHash));
    await until(() => listenerBeforeClose.length === 1); // the payment settled while nobody listened
    payee.close();
    const third = await wallet().createInvoice({ amountSats: 1 });
    await payer.payInvoice({ bolt11: third.bolt11, maxFeeSats: 0, idempotencyKey: '3' });
    await new Promise((r) => setTimeout(r, 400));
    expect(listenerBeforeClose).toEqual([second.paymentHash]);
    expect((await failure(payee.balance())).code).toBe('INTERNAL');
  });

  it('keeps announcing when one listener throws', async () => {
    const payer = await funded(1_000);
    const payee = wallet();
    const seen: string[] = [];
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      payee.onIncomingPayment(() => {
        throw new Error('listener bug');
      });
      payee.onIncomingPayment((p) => seen.push(p.paymentHash));
      const inv = await payee.createInvoice({ amountSats: 1 });
      const result = await payer.payInvoice({ bolt11: inv.bolt11, maxFeeSats: 0, idempotencyKey: 'x' });
      expect(result.status).toBe('succeeded');
      expect(seen).toEqual([inv.paymentHash]);
      await until(() => warnings.some((m) => m.includes('listener bug')));
    } finally {
      process.off('warning', onWarning);
    }
  });
});
