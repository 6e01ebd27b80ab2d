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
import { DevnetLedger, FAUCET_ACCOUNT, FAUCET_MAX_SATS } from './ledger.js';
import { DevnetWallet } from './devnet-wallet.js';
import type { IssuedInvoice } from '../wallet.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../../..');

let dir: string;
const opened: { close(): void }[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devnet-ledger-'));
});
afterEach(() => {
  for (const o of opened.splice(0).reverse()) o.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function ledger(at = dir, clock?: () => number): DevnetLedger {
  const l = new DevnetLedger(at, clock ? { clock } : {});
  opened.push(l);
  return l;
}

function wallet(l: DevnetLedger): DevnetWallet {
  const w = new DevnetWallet({ ledger: l, nodeSecretKey: secp256k1.utils.randomSecretKey() });
  opened.push(w);
  return w;
}

async function code(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  return 'ok';
}

/** Runs a TypeScript module in a separate Node process (the ledger's real multi-process use). */
function runScript(body: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = path.join(dir, `child-${Math.random().toString(36).slice(2)}.mts`);
  fs.writeFileSync(file, body.replaceAll('LEDGER_MODULE', pathToFileURL(path.join(here, 'ledger.ts')).href));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ code: exitCode, stdout, stderr }));
  });
}

/** A tiny seeded PRNG so a failing random run can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('DevnetLedger', () => {
  it('creates <devnetDir>/ledger.sqlite with full fsync', () => {
    const l = ledger(path.join(dir, 'nested', 'devnet'));
    expect(l.file).toBe(path.join(dir, 'nested', 'devnet', 'ledger.sqlite'));
    expect(fs.existsSync(l.file)).toBe(true);
    const db = (l as unknown as { db: { pragma(s: string, o: { simple: true }): unknown } }).db;
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('mints faucet sats as balanced transfers and validates the amount', async () => {
    const l = ledger();
    const w = wallet(l);
    expect(l.faucet(w.nodePubkey, 1500)).toBe(1500);
    expect(l.faucet(w.nodePubkey, FAUCET_MAX_SATS)).toBe(FAUCET_MAX_SATS + 1500);
    expect(l.balance(FAUCET_ACCOUNT)).toBe(-(FAUCET_MAX_SATS + 1500));
    for (const bad of [0, -5, 1.5, FAUCET_MAX_SATS + 1, Number.NaN]) {
      expect(await code(() => l.faucet(w.nodePubkey, bad))).toBe('BAD_INPUT');
    }
    expect(await code(() => l.faucet(FAUCET_ACCOUNT, 10))).toBe('BAD_INPUT');
    expect(await code(() => l.faucet('not-a-key', 10))).toBe('BAD_INPUT');
    expect(l.checkConservation()).toEqual({ ok: true, totalMsat: 0n, unbalancedTransfers: [], negativeAccounts: [] });
  });

  it('registers only invoices whose payment hash is sha256 of the preimage, once', async () => {
    const l = ledger();
    const payee = wallet(l).nodePubkey;
    const preimage = randomBytes(32);
    const inv = { paymentHash: bytesToHex(sha256(preimage)), payee, amountSats: 10, bolt11: 'lnbcrt1x', memo: '', preimage: bytesToHex(preimage), createdAt: 1000, expiresAt: 2000 };
    expect(await code(() => l.registerInvoice({ ...inv, preimage: bytesToHex(randomBytes(32)) }))).toBe('BAD_INPUT');
    expect(await code(() => l.registerInvoice({ ...inv, amountSats: 0 }))).toBe('BAD_INPUT');
    l.registerInvoice(inv);
    expect(await code(() => l.registerInvoice(inv))).toBe('CONFLICT');
    expect(l.invoiceStatus(inv.paymentHash)).toMatchObject({ status: 'open', payee, amountSats: 10, preimage: null });
    expect(l.invoiceStatus('00'.repeat(32))).toBeNull();
  });

  it('reports settlements to pollers in order, from a cursor', async () => {
    const l = ledger();
    const [payer, payee] = [wallet(l), wallet(l)];
    l.faucet(payer.nodePubkey, 10_000);
    const start = l.lastSettlementSeq();
    const a = await payee.createInvoice({ amountSats: 100, memo: 'a' });
    const b = await payee.createInvoice({ memo: 'b' });
    await payer.payInvoice({ bolt11: a.bolt11, maxFeeSats: 0, idempotencyKey: 'a' });
    await payer.payInvoice({ bolt11: b.bolt11, amountSats: 250, maxFeeSats: 0, idempotencyKey: 'b' });
    const seen = l.settledIncomingSince(payee.nodePubkey, start);
    expect(seen.map((s) => [s.paymentHash, s.amountSats, s.memo])).toEqual([[a.paymentHash, 100, 'a'], [b.paymentHash, 250, 'b']]);
    expect(l.settledIncomingSince(payee.nodePubkey, seen[0]!.seq).map((s) => s.paymentHash)).toEqual([b.paymentHash]);
    expect(l.settledIncomingSince(payee.nodePubkey, l.lastSettlementSeq())).toEqual([]);
    expect(l.settledIncomingSince(payer.nodePubkey, start)).toEqual([]);
  });

  it('conserves money over many random operations', async () => {
    const random = prng(20240611);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const l = ledger();
    const wallets = Array.from({ length: 5 }, () => wallet(l));
    const model = new Map(wallets.map((w) => [w.nodePubkey, 0]));
    const invoices: { inv: IssuedInvoice; payee: string; paid: boolean }[] = [];
    const keys: { key: string; payer: DevnetWallet; bolt11: string; hash: string; amountSats?: number }[] = [];
    let minted = 0;
    const outcomes = new Map<string, number>();

    for (let step = 0; step < 400; step++) {
      const roll = random();
      if (roll < 0.12) {
        const w = pick(wallets);
        const sats = 1 + Math.floor(random() * 50_000);
        l.faucet(w.nodePubkey, sats);
        model.set(w.nodePubkey, model.get(w.nodePubkey)! + sats);
        minted += sats;
      } else if (roll < 0.4) {
        const w = pick(wallets);
        const inv = await w.createInvoice({ amountSats: random() < 0.7 ? 1 + Math.floor(random() * 20_000) : undefined, memo: `step ${step}` });
        invoices.push({ inv, payee: w.nodePubkey, paid: false });
      } else if (invoices.length > 0) {
        const payer = pick(wallets);
        const reuse = keys.length > 0 && random() < 0.15 ? pick(keys) : null;
        if (reuse) {
          // A retry with the same request replays; the same key for another invoice is a conflict.
          const sameRequest = random() < 0.6;
          const target = sameRequest ? reuse.bolt11 : pick(invoices).inv.bolt11;
          const who = sameRequest ? reuse.payer : payer;
          const expected = who === reuse.payer && target === reuse.bolt11 ? 'ok' : 'CONFLICT';
          const got = await code(who.payInvoice({ bolt11: target, amountSats: sameRequest ? reuse.amountSats : undefined, maxFeeSats: 0, idempotencyKey: reuse.key }));
          expect(got).toBe(expected);
          continue;
        }
        const entry = pick(invoices);
        const amountSats = entry.inv.amountSats === null ? (random() < 0.9 ? 1 + Math.floor(random() * 30_000) : undefined) : (random() < 0.1 ? entry.inv.amountSats + 1 : undefined);
        const due = entry.inv.amountSats ?? amountSats ?? 0;
        const expected = entry.paid ? 'ALREADY_PAID'
          : entry.payee === payer.nodePubkey ? 'INVOICE_INVALID'
            : amountSats === undefined && entry.inv.amountSats === null ? 'INVOICE_INVALID'
              : amountSats !== undefined && entry.inv.amountSats !== null && amountSats !== entry.inv.amountSats ? 'INVOICE_INVALID'
                : model.get(payer.nodePubkey)! < due ? 'INSUFFICIENT_FUNDS' : 'ok';
        const key = `k${step}`;
        const got = await code(payer.payInvoice({ bolt11: entry.inv.bolt11, amountSats, maxFeeSats: 0, idempotencyKey: key }));
        expect(got).toBe(expected);
        outcomes.set(got, (outcomes.get(got) ?? 0) + 1);
        if (got === 'ok') {
          entry.paid = true;
          model.set(payer.nodePubkey, model.get(payer.nodePubkey)! - due);
          model.set(entry.payee, model.get(entry.payee)! + due);
          keys.push({ key, payer, bolt11: entry.inv.bolt11, hash: entry.inv.paymentHash, amountSats });
        }
      }
      if (step % 50 === 0) expect(l.checkConservation().ok).toBe(true);
    }

    for (const w of wallets) expect(await w.balance()).toBe(model.get(w.nodePubkey));
    expect(l.balance(FAUCET_ACCOUNT)).toBe(-minted);
    expect(l.checkConservation()).toEqual({ ok: true, totalMsat: 0n, unbalancedTransfers: [], negativeAccounts: [] });
    // The run must actually have exercised the interesting paths.
    for (const c of ['ok', 'ALREADY_PAID', 'INSUFFICIENT_FUNDS', 'INVOICE_INVALID']) expect(outcomes.get(c) ?? 0).toBeGreaterThan(0);
  });

  it('detects money created outside a balanced transfer', () => {
    const l = ledger();
    const w = wallet(l);
    l.faucet(w.nodePubkey, 100);
    const db = (l as unknown as { db: { prepare(s: string): { run(...a: unknown[]): unknown } } }).db;
    db.prepare("INSERT INTO transfers (txid, kind, ref, created_at) VALUES ('forged', 'payment', 'x', 0)").run();
    db.prepare("INSERT INTO entries (txid, account, amount_msat) VALUES ('forged', ?, -200000)").run(w.nodePubkey);
    const report = l.checkConservation();
    expect(report.ok).toBe(false);
    expect(report.totalMsat).toBe(-200_000n);
    expect(report.unbalancedTransfers).toEqual(['forged']);
    expect(report.negativeAccounts).toEqual([{ account: w.nodePubkey, balanceMsat: -100_000n }]);
  });

  it('never double-spends across two ledger instances on the same file', async () => {
    const [l1, l2] = [ledger(), ledger()];
    const payerKey = secp256k1.utils.randomSecretKey();
    const payers = [l1, l2].map((l) => {
      const w = new DevnetWallet({ ledger: l, nodeSecretKey: payerKey });
      opened.push(w);
      return w;
    });
    const payee = wallet(l1);
    l1.faucet(payers[0]!.nodePubkey, 5_000);
    const invoices = await Promise.all(Array.from({ length: 10 }, () => payee.createInvoice({ amountSats: 1_000 })));

    // Both "processes" walk every invoice, interleaved, each with its own keys.
    const results = await Promise.all(payers.map(async (w, i) => {
      const codes: string[] = [];
      for (const inv of i === 0 ? invoices : [...invoices].reverse()) {
        await new Promise((r) => setImmediate(r));
        codes.push(await code(w.payInvoice({ bolt11: inv.bolt11, maxFeeSats: 0, idempotencyKey: `p${i}:${inv.paymentHash}` })));
      }
      return codes;
    }));

    const all = results.flat();
    expect(all.filter((c) => c === 'ok')).toHaveLength(5);
    expect(new Set(all)).toEqual(new Set(['ok', 'ALREADY_PAID', 'INSUFFICIENT_FUNDS']));
    expect(invoices.filter((inv) => l2.invoiceStatus(inv.paymentHash)!.status === 'paid')).toHaveLength(5);
    expect(l2.balance(payers[0]!.nodePubkey)).toBe(0);
    expect(l1.balance(payee.nodePubkey)).toBe(5_000);
    expect(l2.checkConservation().ok).toBe(true);
  });

  it('never double-spends when separate processes race for the same invoices', async () => {
    const l = ledger();
    const payee = wallet(l);
    const payerKeys = [secp256k1.utils.randomSecretKey(), secp256k1.utils.randomSecretKey()];
    const payerPubkeys = payerKeys.map((k) => bytesToHex(secp256k1.getPublicKey(k, true)));
    for (const p of payerPubkeys) l.faucet(p, 10_000);
    // 30 invoices of 1,000 sats, but the two payers can afford only 10 each.
    const invoices = await Promise.all(Array.from({ length: 30 }, (_, i) => payee.createInvoice({ amountSats: 1_000, memo: `job ${i}` })));
    const invoicesFile = path.join(dir, 'invoices.json');
    fs.writeFileSync(invoicesFile, JSON.stringify(invoices.map((i) => ({ paymentHash: i.paymentHash, bolt11: i.bolt11 }))));

    const script = `
      import { readFileSync } from 'node:fs';
      import { DevnetLedger } from 'LEDGER_MODULE';
      const [dir, payer, invoicesFile, keyPrefix, startAt] = process.argv.slice(2);
      const invoices = JSON.parse(readFileSync(invoicesFile, 'utf8')).sort(() => Math.random() - 0.5);
      const ledger = new DevnetLedger(dir);
      while (Date.now() < Number(startAt)) await new Promise((r) => setTimeout(r, 5));
      const paid = {};
      const refused = {};
      for (const inv of invoices) {
        try {
          paid[inv.paymentHash] = ledger.pay({ payer, paymentHash: inv.paymentHash, bolt11: inv.bolt11, idempotencyKey: keyPrefix + inv.paymentHash }).preimage;
        } catch (err) {
          refused[err.code] = (refused[err.code] ?? 0) + 1;
        }
      }
      ledger.close();
      console.log(JSON.stringify({ paid, refused }));
    `;
    const startAt = String(Date.now() + 2_500);
    // Two processes per payer share that payer's keys, so they also race on idempotent retries.
    const runs = await Promise.all([0, 0, 1, 1].map((p) => runScript(script, [dir, payerPubkeys[p]!, invoicesFile, `payer${p}:`, startAt])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const outcomes = runs.map((r) => JSON.parse(r.stdout) as { paid: Record<string, string>; refused: Record<string, number> });

    const paidBy = [new Map<string, string>(), new Map<string, string>()];
    outcomes.forEach((o, i) => {
      for (const code of Object.keys(o.refused)) expect(['ALREADY_PAID', 'INSUFFICIENT_FUNDS']).toContain(code);
      for (const [hash, preimage] of Object.entries(o.paid)) {
        expect(bytesToHex(sha256(hexToBytes(preimage)))).toBe(hash);
        const mine = paidBy[i < 2 ? 0 : 1]!;
        // The same payer's other process may have replayed it: same preimage, no second payment.
        if (mine.has(hash)) expect(mine.get(hash)).toBe(preimage);
        mine.set(hash, preimage);
      }
    });
    expect(paidBy[0]!.size).toBe(10);
    expect(paidBy[1]!.size).toBe(10);
    for (const hash of paidBy[0]!.keys()) expect(paidBy[1]!.has(hash)).toBe(false);
    for (const p of payerPubkeys) expect(l.balance(p)).toBe(0);
    expect(l.balance(payee.nodePubkey)).toBe(20_000);
    expect(invoices.filter((i) => l.invoiceStatus(i.paymentHash)!.status === 'paid')).toHaveLength(20);
    expect(l.checkConservation()).toEqual({ ok: true, totalMsat: 0n, unbalancedTransfers: [], negativeAccounts: [] });
  });

  it('lets several processes create a fresh ledger at the same moment', async () => {
    const fresh = path.join(dir, 'fresh');
    const accounts = Array.from({ length: 4 }, () => bytesToHex(secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true)));
    const script = `
      import { DevnetLedger } from 'LEDGER_MODULE';
      const [dir, account, sats, startAt] = process.argv.slice(2);
      while (Date.now() < Number(startAt)) await new Promise((r) => setTimeout(r, 1));
      const ledger = new DevnetLedger(dir);
      ledger.faucet(account, Number(sats));
      ledger.close();
    `;
    const startAt = String(Date.now() + 2_500);
    const runs = await Promise.all(accounts.map((a, i) => runScript(script, [fresh, a, String(1_000 + i), startAt])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const l = ledger(fresh);
    accounts.forEach((a, i) => expect(l.balance(a)).toBe(1_000 + i));
    expect(l.checkConservation().ok).toBe(true);
  });
});
