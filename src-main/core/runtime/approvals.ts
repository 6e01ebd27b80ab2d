import { randomBytes } from 'node:crypto';
import type { Db } from '../store/db.js';
import { AppError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { ApprovalStatus, ApprovalView } from '../api/contract.js';
import type { Outbox, PayInvoicePayload } from './outbox.js';
import type { ReceiptLog } from './receipts.js';
import type { TriggerQueue } from './triggers.js';

export const DEFAULT_APPROVAL_TTL_MS = 24 * 3600 * 1000;

interface ApprovalRow {
  id: string; agent_id: string; agent_name: string; tick_id: string | null; action: string; description: string; amount_sats: number;
  payload: string; status: ApprovalStatus; created_at: number; expires_at: number; decided_at: number | null; reason: string | null;
  edited_amount_sats: number | null; execution: ApprovalView['execution']; outcome: string | null;
}

function view(r: ApprovalRow): ApprovalView {
  return {
    id: r.id, agentId: r.agent_id, agentName: r.agent_name, tickId: r.tick_id, action: r.action, description: r.description,
    amountSats: r.amount_sats, createdAt: r.created_at, expiresAt: r.expires_at, status: r.status, decidedAt: r.decided_at,
    reason: r.reason, editedAmountSats: r.edited_amount_sats, execution: r.execution, outcome: r.outcome ? JSON.parse(r.outcome) : null,
  };
}

const SELECT = 'SELECT approvals.*, agents.name AS agent_name FROM approvals JOIN agents ON agents.id = approvals.agent_id';

/**
 * Durable approval requests. Approving commits the decision and the action's outbox row in
 * one transaction (so the action runs exactly once); rejection and expiry never run it.
 * Every decision gets a receipt and wakes the agent, which sees the outcome next tick.
 */
export class ApprovalQueue {
  private readonly overdue;
  /** Called inside the deciding transaction (the Nostr mirror publishes 39213 from it). */
  onDecision: ((agentId: string, approvalId: string, decision: 'approved' | 'denied', reason: string) => void) | null = null;

  constructor(
    private readonly db: Db,
    private readonly outbox: Outbox,
    private readonly receipts: ReceiptLog,
    private readonly triggers: TriggerQueue,
    private readonly events: EventBus,
  ) {
    this.overdue = db.prepare("SELECT id, agent_id, action, amount_sats FROM approvals WHERE status = 'pending' AND expires_at <= ?");
  }

  /** Call inside the step transaction that decided the action needs approval. */
  request(r: { agentId: string; tickId: string | null; action: string; description: string; amountSats: number; payload: object; now: number; ttlMs?: number }): string {
    const id = `apr_${randomBytes(6).toString('hex')}`;
    this.db
      .prepare('INSERT INTO approvals (id, agent_id, tick_id, action, description, amount_sats, payload, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, r.agentId, r.tickId, r.action, r.description, r.amountSats, JSON.stringify(r.payload), r.now, r.now + (r.ttlMs ?? DEFAULT_APPROVAL_TTL_MS));
    return id;
  }

  /** Emit after the requesting transaction committed. */
  announce(id: string): void {
    const a = this.get(id);
    this.events.emit('approval.requested', { approvalId: id, agentId: a.agentId, amountSats: a.amountSats, description: a.description });
  }

  get(id: string): ApprovalView {
    const r = this.db.prepare(`${SELECT} WHERE approvals.id = ?`).get(id) as ApprovalRow | undefined;
    if (!r) throw new AppError('NOT_FOUND', `no approval request ${id}`);
    return view(r);
  }

  list(filter: { status: ApprovalStatus | 'all'; agentId?: string | undefined }): ApprovalView[] {
    this.expireDue();
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.status !== 'all') { where.push('approvals.status = ?'); args.push(filter.status); }
    if (filter.agentId) { where.push('approvals.agent_id = ?'); args.push(filter.agentId); }
    const sql = `${SELECT} ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY approvals.created_at`;
    return (this.db.prepare(sql).all(...args) as ApprovalRow[]).map(view);
  }

  pendingCount(): number {
    return this.db.prepare("SELECT COUNT(*) FROM approvals WHERE status = 'pending' AND expires_at > ?").pluck().get(Date.now()) as number;
  }

  private decidable(id: string, now: number): ApprovalView {
    this.expireDue(now);
    const a = this.get(id);
    if (a.status !== 'pending') throw new AppError('CONFLICT', `approval ${id} is already ${a.status}`);
    return a;
  }

  /** Approves and, after commit, runs the action once. Returns whether it ran before returning. */
  async approve(id: string, opts: { amountSats?: number | undefined; reason?: string | undefined; execute: boolean }): Promise<{ approval: ApprovalView; executed: boolean }> {
    const now = Date.now();
    const a = this.decidable(id, now);
    const payload = JSON.parse((this.db.prepare('SELECT payload FROM approvals WHERE id = ?').pluck().get(id) as string)) as PayInvoicePayload;
    // For a fixed-amount invoice the edited amount caps the payment: below the invoice amount
    // the payment is refused at execution, never paid in part or in excess.
    const approvedAmount = opts.amountSats ?? a.amountSats;
    const key = `${a.agentId}:approval:${id}`;
    this.db.transaction(() => {
      const changed = this.db.prepare("UPDATE approvals SET status = 'approved', decided_at = ?, reason = ?, edited_amount_sats = ?, execution = 'queued' WHERE id = ? AND status = 'pending'")
        .run(now, opts.reason ?? null, opts.amountSats ?? null, id).changes;
      if (changed !== 1) throw new AppError('CONFLICT', `approval ${id} was decided concurrently`);
      this.outbox.add(key, a.agentId, a.action as 'pay_invoice', { ...payload, amountSats: approvedAmount, approved: true, approvalId: id, tickSpentSats: 0 }, { approvalId: id, now });
      this.receipts.issue('approval_decision', a.agentId, { approval: id, decision: 'approved', action: a.action, amount_sats: a.amountSats, approved_amount_sats: approvedAmount, reason: opts.reason ?? null }, now);
      this.triggers.enqueue(a.agentId, 'approval', `approval:${id}`, { approval: id, decision: 'approved' }, now);
      this.onDecision?.(a.agentId, id, 'approved', opts.reason ?? '');
    })();
    let executed = false;
    if (opts.execute) {
      const outcome = await this.outbox.run(key);
      executed = outcome.status !== 'pending';
    }
    const approval = this.get(id);
    this.events.emit('approval.decided', { approvalId: id, agentId: a.agentId, status: 'approved', executed });
    this.triggers.notify(a.agentId);
    return { approval, executed };
  }

  reject(id: string, reason: string | undefined): { approval: ApprovalView; executed: boolean } {
    const now = Date.now();
    const a = this.decidable(id, now);
    this.db.transaction(() => {
      const changed = this.db.prepare("UPDATE approvals SET status = 'rejected', decided_at = ?, reason = ? WHERE id = ? AND status = 'pending'").run(now, reason ?? null, id).changes;
      if (changed !== 1) throw new AppError('CONFLICT', `approval ${id} was decided concurrently`);
      this.receipts.issue('approval_decision', a.agentId, { approval: id, decision: 'rejected', action: a.action, amount_sats: a.amountSats, reason: reason ?? null }, now);
      this.triggers.enqueue(a.agentId, 'approval', `approval:${id}`, { approval: id, decision: 'rejected' }, now);
      this.onDecision?.(a.agentId, id, 'denied', reason ?? '');
    })();
    this.events.emit('approval.decided', { approvalId: id, agentId: a.agentId, status: 'rejected', executed: false });
    this.triggers.notify(a.agentId);
    return { approval: this.get(id), executed: false };
  }

  /** Marks overdue requests expired (they never execute) and wakes their agents. */
  expireDue(now = Date.now()): string[] {
    const due = this.overdue.all(now) as { id: string; agent_id: string; action: string; amount_sats: number }[];
    if (due.length === 0) return [];
    this.db.transaction(() => {
      for (const d of due) {
        this.db.prepare("UPDATE approvals SET status = 'expired', decided_at = ? WHERE id = ? AND status = 'pending'").run(now, d.id);
        this.receipts.issue('approval_decision', d.agent_id, { approval: d.id, decision: 'expired', action: d.action, amount_sats: d.amount_sats, reason: 'expired before a decision' }, now);
        this.triggers.enqueue(d.agent_id, 'approval', `approval:${d.id}`, { approval: d.id, decision: 'expired' }, now);
        this.onDecision?.(d.agent_id, d.id, 'denied', 'expired before a decision');
      }
    })();
    for (const d of due) {
      this.events.emit('approval.decided', { approvalId: d.id, agentId: d.agent_id, status: 'expired', executed: false });
      this.triggers.notify(d.agent_id);
    }
    return due.map((d) => d.id);
  }

  /** Decided requests the agent has not yet perceived; marks them seen by `tickId` (in the caller's transaction). */
  takeUnseenOutcomes(agentId: string, tickId: string): ApprovalView[] {
    const rows = (this.db.prepare(`${SELECT} WHERE approvals.agent_id = ? AND approvals.status != 'pending' AND approvals.seen_tick_id IS NULL`).all(agentId) as ApprovalRow[]).map(view);
    if (rows.length) this.db.prepare("UPDATE approvals SET seen_tick_id = ? WHERE agent_id = ? AND status != 'pending' AND seen_tick_id IS NULL").run(tickId, agentId);
    return rows;
  }

}
