import { randomBytes } from 'node:crypto';
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import canonicalize from 'canonicalize';
import type { Db } from '../store/db.js';

export type ReceiptKind = 'payment' | 'spend' | 'approval_decision' | 'tick_result' | 'funding' | 'invoice';

export interface Receipt {
  id: string;
  agentId: string | null;
  kind: ReceiptKind;
  signer: string;
  body: string;
  hash: string;
  sig: string;
  createdAt: number;
}

export interface Signer {
  pubkey: string;
  secretKey: Uint8Array;
}

/** Canonical JSON (RFC 8785): the bytes that are hashed and signed. */
export function canonicalJson(value: unknown): string {
  const out = canonicalize(value);
  if (out === undefined) throw new Error('value cannot be canonicalized');
  return out;
}

export function receiptHash(body: string): string {
  return bytesToHex(sha256(new TextEncoder().encode(body)));
}

/**
 * Signed receipts for every consequential action: the body is canonical JSON, its sha256
 * is signed with BIP-340 Schnorr by the agent's key (the operator key for operator-only
 * actions), and `openagents receipts verify` rechecks hash and signature of every one.
 */
export class ReceiptLog {
  private readonly insert;

  constructor(private readonly db: Db, private readonly signerFor: (agentId: string | null) => Signer) {
    this.insert = db.prepare('INSERT INTO receipts (id, agent_id, kind, signer, body, hash, sig, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  }

  issue(kind: ReceiptKind, agentId: string | null, data: Record<string, unknown>, now = Date.now()): Receipt {
    const signer = this.signerFor(agentId);
    const body = canonicalJson({ v: 1, kind, agent: agentId, signer: signer.pubkey, data, created_at: now, nonce: randomBytes(8).toString('hex') });
    const hash = receiptHash(body);
    const sig = bytesToHex(schnorr.sign(hexToBytes(hash), signer.secretKey));
    const id = `rcpt_${hash.slice(0, 24)}`;
    this.insert.run(id, agentId, kind, signer.pubkey, body, hash, sig, now);
    return { id, agentId, kind, signer: signer.pubkey, body, hash, sig, createdAt: now };
  }

  list(opts: { agentId?: string | undefined; limit?: number | undefined } = {}): Receipt[] {
    const rows = (opts.agentId
      ? this.db.prepare('SELECT * FROM receipts WHERE agent_id = ? ORDER BY created_at DESC LIMIT ?').all(opts.agentId, opts.limit ?? 100)
      : this.db.prepare('SELECT * FROM receipts ORDER BY created_at DESC LIMIT ?').all(opts.limit ?? 100)) as ReceiptRow[];
    return rows.map(fromRow);
  }

  /** Rechecks every receipt; `expectedSigner` maps an agent to the key that must have signed it. */
  verifyAll(expectedSigner: (agentId: string | null) => string | null): { total: number; valid: number; invalid: { id: string; reason: string }[] } {
    const invalid: { id: string; reason: string }[] = [];
    let total = 0;
    for (const row of this.db.prepare('SELECT * FROM receipts ORDER BY created_at').iterate() as IterableIterator<ReceiptRow>) {
      total++;
      const reason = verifyReceipt(fromRow(row), expectedSigner(row.agent_id));
      if (reason) invalid.push({ id: row.id, reason });
    }
    return { total, valid: total - invalid.length, invalid };
  }
}

interface ReceiptRow {
  id: string;
  agent_id: string | null;
  kind: ReceiptKind;
  signer: string;
  body: string;
  hash: string;
  sig: string;
  created_at: number;
}

function fromRow(r: ReceiptRow): Receipt {
  return { id: r.id, agentId: r.agent_id, kind: r.kind, signer: r.signer, body: r.body, hash: r.hash, sig: r.sig, createdAt: r.created_at };
}

/** Null when valid, else why not. */
export function verifyReceipt(r: Receipt, expectedSigner: string | null): string | null {
  let parsed: { signer?: unknown; kind?: unknown };
  try {
    parsed = JSON.parse(r.body) as { signer?: unknown; kind?: unknown };
  } catch {
    return 'body is not JSON';
  }
  if (canonicalJson(parsed) !== r.body) return 'body is not canonical JSON';
  if (receiptHash(r.body) !== r.hash) return 'hash does not match body';
  if (parsed.signer !== r.signer) return 'signer in body differs from receipt signer';
  if (parsed.kind !== r.kind) return 'kind in body differs from receipt kind';
  if (expectedSigner && expectedSigner !== r.signer) return 'signed by a key that is not the agent key';
  try {
    if (!schnorr.verify(hexToBytes(r.sig), hexToBytes(r.hash), hexToBytes(r.signer))) return 'signature does not verify';
  } catch {
    return 'signature is malformed';
  }
  return null;
}
