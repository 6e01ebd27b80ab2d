import type { Db } from '../store/db.js';
import { AppError, toAppError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { PaymentBook } from '../wallet/payments.js';
import type { WalletRegistry } from '../wallet/registry.js';
import type { Agent, AgentStore } from './agents.js';
import type { InvoiceFacts, MoneyGate } from './money-gate.js';
import type { ReceiptLog } from './receipts.js';
import type { TriggerQueue } from './triggers.js';

export type EffectKind = 'pay_invoice' | 'create_invoice' | 'send_message';

export interface PayInvoicePayload { bolt11: string; amountSats: number; maxFeeSats: number; reason: string; approved: boolean; approvalId?: string | undefined; tickSpentSats: number }
export interface CreateInvoicePayload { amountSats: number; memo: string }
/** `to` is a local agent id, or (with `toPubkey`) anyone on Nostr. */
export interface SendMessagePayload { to: string | null; toPubkey: string; content: string }

export type EffectOutcome =
  | { ok: true; status: 'done'; result: Record<string, unknown> }
  | { ok: false; status: 'failed' | 'pending'; error: { code: string; message: string } };

interface OutboxRow { key: string; agent_id: string; tick_id: string | null; approval_id: string | null; kind: EffectKind; payload: string; status: string; result: string | null; attempts: number; last_error: string | null }

/** Errors that may pass on a retry; everything else fails the effect for good. */
const TRANSIENT = new Set(['NETWORK_UNREACHABLE', 'TIMEOUT']);
const MAX_ATTEMPTS = 5;

export interface OutboxDeps {
  db: Db;
  agents: AgentStore;
  wallets: WalletRegistry;
  payments: PaymentBook;
  gate: MoneyGate;
  decodeInvoice: (bolt11: string) => InvoiceFacts;
  receipts: ReceiptLog;
  triggers: TriggerQueue;
  events: EventBus;
  /** Set when the node speaks Nostr (relays configured): messages then travel over Nostr. */
  messenger: (() => { send: (from: Agent, toPubkey: string, content: string) => { scheme: string; eventId: string }; flush: () => void } | null);
}

/**
 * External effects written in the same transaction as the state change that caused them and
 * run after it commits. The row key (agent:tick:step or agent:approval:id) is also the
 * wallet's idempotency key, so running a row again after a crash never pays twice.
 */
export class Outbox {
  private readonly inFlight = new Map<string, Promise<EffectOutcome>>();
  private readonly insert;

  constructor(private readonly d: OutboxDeps) {
    this.insert = d.db.prepare('INSERT INTO outbox (key, agent_id, tick_id, approval_id, kind, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  }

  /** Call inside the transaction that commits the decision to act. */
  add(key: string, agentId: string, kind: EffectKind, payload: object, opts: { tickId?: string | null; approvalId?: string | null; now?: number } = {}): void {
    this.insert.run(key, agentId, opts.tickId ?? null, opts.approvalId ?? null, kind, JSON.stringify(payload), opts.now ?? Date.now());
  }

  pendingKeys(filter: { tickId?: string } = {}): string[] {
    return filter.tickId
      ? (this.d.db.prepare("SELECT key FROM outbox WHERE status = 'pending' AND tick_id = ? ORDER BY created_at").pluck().all(filter.tickId) as string[])
      : (this.d.db.prepare("SELECT key FROM outbox WHERE status = 'pending' ORDER BY created_at").pluck().all() as string[]);
  }

  /** Runs every pending effect once (start-up recovery and periodic retry). */
  async drain(filter: { tickId?: string } = {}): Promise<number> {
    const keys = this.pendingKeys(filter);
    for (const key of keys) await this.run(key);
    return keys.length;
  }

  run(key: string): Promise<EffectOutcome> {
    const existing = this.inFlight.get(key);
    if (existing) return existing;
    const p = this.execute(key).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  private async execute(key: string): Promise<EffectOutcome> {
    const row = this.d.db.prepare('SELECT * FROM outbox WHERE key = ?').get(key) as OutboxRow | undefined;
    if (!row) return { ok: false, status: 'failed', error: { code: 'NOT_FOUND', message: `no effect ${key}` } };
    if (row.status === 'done') return { ok: true, status: 'done', result: JSON.parse(row.result ?? '{}') as Record<string, unknown> };
    if (row.status === 'failed') return { ok: false, status: 'failed', error: JSON.parse(row.last_error ?? '{}') as { code: string; message: string } };
    const firstAttempt = row.attempts === 0;
    this.d.db.prepare('UPDATE outbox SET attempts = attempts + 1 WHERE key = ?').run(key);
    try {
      let result: Record<string, unknown>;
      if (row.kind === 'pay_invoice') result = await this.payInvoice(row, JSON.parse(row.payload) as PayInvoicePayload, firstAttempt);
      else if (row.kind === 'create_invoice') result = await this.createInvoice(row, JSON.parse(row.payload) as CreateInvoicePayload);
      else result = this.sendMessage(row, JSON.parse(row.payload) as SendMessagePayload);
      return { ok: true, status: 'done', result };
    } catch (err) {
      const e = toAppError(err);
      const error = { code: e.code, message: e.message };
      const retry = TRANSIENT.has(e.code) && row.attempts + 1 < MAX_ATTEMPTS;
      this.d.db.transaction(() => {
        this.d.db.prepare('UPDATE outbox SET status = ?, last_error = ? WHERE key = ?').run(retry ? 'pending' : 'failed', JSON.stringify(error), key);
        if (row.approval_id && !retry) {
          this.d.db.prepare("UPDATE approvals SET execution = 'failed', outcome = ? WHERE id = ?").run(JSON.stringify({ ok: false, error }), row.approval_id);
        }
      })();
      return { ok: false, status: retry ? 'pending' : 'failed', error };
    }
  }

  private async payInvoice(row: OutboxRow, p: PayInvoicePayload, firstAttempt: boolean): Promise<Record<string, unknown>> {
    const agent = this.d.agents.get(row.agent_id);
    if (!agent) throw new AppError('NOT_FOUND', `agent ${row.agent_id} is gone`);
    const hw = this.d.wallets.agent(agent);
    const inv = this.d.decodeInvoice(p.bolt11);
    // The gate runs right before the first attempt. A later attempt continues the same,
    // already authorised payment: the idempotency key makes the wallet return the first
    // attempt's result if it had in fact gone through before a crash.
    if (inv.amountSats !== null && inv.amountSats > p.amountSats) {
      throw new AppError('INVOICE_INVALID', `the invoice asks ${inv.amountSats} sats, more than the ${p.amountSats} sats approved`);
    }
    if (firstAttempt) {
      this.d.gate.checkInvoice(inv, { now: Date.now(), ownNodeKey: hw.wallet.nodePubkey, amountSats: inv.amountSats === null ? p.amountSats : undefined, alreadyPaid: this.d.payments.isPaidOut(hw.id, inv.paymentHash) });
      const decision = this.d.gate.decide(agent, p.amountSats, { tickSpentSats: p.tickSpentSats, approved: p.approved });
      if (decision.kind === 'deny') throw new AppError('BUDGET_EXCEEDED', decision.reason);
      if (decision.kind === 'needs_approval') throw new AppError('APPROVAL_REQUIRED', decision.reason);
    }
    const result = await hw.wallet.payInvoice({
      bolt11: p.bolt11,
      amountSats: inv.amountSats === null ? p.amountSats : undefined,
      maxFeeSats: p.maxFeeSats,
      idempotencyKey: row.key,
    });
    const now = Date.now();
    const out = { paymentHash: result.paymentHash, preimage: result.preimage, amountSats: result.amountSats, feeSats: result.feeSats, settledAt: result.settledAt };
    this.d.db.transaction(() => {
      this.d.payments.recordOutgoing({ walletId: hw.id, agentId: agent.id, invoice: p.bolt11, result, memo: p.reason, idempotencyKey: row.key, now });
      this.d.db.prepare("INSERT INTO spends (agent_id, kind, amount_sats, ref, created_at) VALUES (?, 'payment', ?, ?, ?)").run(agent.id, result.amountSats + result.feeSats, row.key, now);
      const receipt = this.d.receipts.issue('payment', agent.id, { payment_hash: result.paymentHash, preimage: result.preimage, amount_sats: result.amountSats, fee_sats: result.feeSats, reason: p.reason, key: row.key, approval: p.approvalId ?? null }, now);
      this.d.db.prepare("UPDATE outbox SET status = 'done', result = ?, done_at = ? WHERE key = ?").run(JSON.stringify({ ...out, receipt: receipt.id }), now, row.key);
      if (row.approval_id) this.d.db.prepare("UPDATE approvals SET execution = 'executed', outcome = ? WHERE id = ?").run(JSON.stringify({ ok: true, ...out, receipt: receipt.id }), row.approval_id);
    })();
    this.d.events.emit('payment.sent', { owner: agent.id, amountSats: result.amountSats, paymentHash: result.paymentHash });
    void hw.wallet.balance().then((b) => this.d.events.emit('balance.changed', { owner: agent.id, balanceSats: b }), () => undefined);
    return out;
  }

  private async createInvoice(row: OutboxRow, p: CreateInvoicePayload): Promise<Record<string, unknown>> {
    const agent = this.d.agents.get(row.agent_id);
    if (!agent) throw new AppError('NOT_FOUND', `agent ${row.agent_id} is gone`);
    const hw = this.d.wallets.agent(agent);
    // Not idempotent at the wallet: a crash here can leave an unused invoice, never a payment.
    const inv = await hw.wallet.createInvoice({ amountSats: p.amountSats, memo: p.memo });
    const now = Date.now();
    const result = { bolt11: inv.bolt11, paymentHash: inv.paymentHash, amountSats: inv.amountSats, expiresAt: inv.expiresAt };
    this.d.db.transaction(() => {
      this.d.payments.recordInvoice(hw.id, agent.id, inv);
      this.d.db.prepare("UPDATE outbox SET status = 'done', result = ?, done_at = ? WHERE key = ?").run(JSON.stringify(result), now, row.key);
    })();
    return result;
  }

  private sendMessage(row: OutboxRow, p: SendMessagePayload): Record<string, unknown> {
    const now = Date.now();
    const messenger = this.d.messenger();
    const from = this.d.agents.get(row.agent_id);
    if (!from) throw new AppError('NOT_FOUND', `agent ${row.agent_id} is gone`);
    if (messenger) {
      const result = this.d.db.transaction(() => {
        const sent = messenger.send(from, p.toPubkey, p.content);
        const r = { delivered: 'queued_for_relays', scheme: sent.scheme, to: p.toPubkey };
        this.d.db.prepare("UPDATE outbox SET status = 'done', result = ?, done_at = ? WHERE key = ?").run(JSON.stringify(r), now, row.key);
        return r;
      })();
      messenger.flush();
      return result;
    }
    // No relays (a CLI working on the home without the daemon): local agents still get it.
    if (!p.to) throw new AppError('NETWORK_UNREACHABLE', 'no Nostr relays are running here (start `openagents daemon`) to reach someone outside this home');
    const to = p.to;
    const delivered = this.d.db.transaction(() => {
      const { trigger } = this.d.triggers.deliverMessage(to, { kind: 'agent', ref: row.agent_id }, p.content, row.key, now);
      const result = { delivered: true, to, trigger: trigger.id };
      this.d.db.prepare("UPDATE outbox SET status = 'done', result = ?, done_at = ? WHERE key = ?").run(JSON.stringify(result), now, row.key);
      return result;
    })();
    this.d.triggers.notify(to);
    return delivered;
  }

}
