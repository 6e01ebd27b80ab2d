import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../store/db.js';
import { canonicalJson, ReceiptLog } from './receipts.js';

describe('receipts', () => {
  it('signs canonical JSON and detects any tampering', () => {
    const db = openDatabase(path.join(mkdtempSync(path.join(os.tmpdir(), 'oa-rc-')), 'db.sqlite'));
    const secretKey = schnorr.utils.randomSecretKey();
    const pubkey = bytesToHex(schnorr.getPublicKey(secretKey));
    const log = new ReceiptLog(db, () => ({ pubkey, secretKey }));
    expect(canonicalJson({ b: 1, a: [2, { d: 1, c: 2 }] })).toBe('{"a":[2,{"c":2,"d":1}],"b":1}');
    const r = log.issue('payment', null, { amount_sats: 10 });
    log.issue('tick_result', null, { status: 'success' });
    expect(log.verifyAll(() => pubkey)).toEqual({ total: 2, valid: 2, invalid: [] });
    db.prepare('UPDATE receipts SET body = replace(body, \'"amount_sats":10\', \'"amount_sats":99\') WHERE id = ?').run(r.id);
    expect(log.verifyAll(() => pubkey).invalid).toEqual([{ id: r.id, reason: 'hash does not match body' }]);
    const other = bytesToHex(schnorr.getPublicKey(schnorr.utils.randomSecretKey()));
    expect(log.verifyAll(() => other).invalid.length).toBe(2);
  });
});
