import type { EarningsBucket, EarningsView } from '../api/contract.js';
import { startOfLocalDay } from '../runtime/budget.js';
import type { Db } from '../store/db.js';

const DAY_MS = 86_400_000;

/** Local calendar day "YYYY-MM-DD" of a time in ms. */
export function localDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * What selling earned since a time: every job whose exact invoice was paid (money rule 1),
 * by local day, model and requester; refunds paid back and still owed; and the operator's
 * agents' spending over the same period, for the net.
 */
export function earningsSince(db: Db, since: number, now = Date.now()): EarningsView {
  type Row = { paid_at: number; price_sats: number; model: string | null; customer: string; refund_status: string | null; refund_sats: number | null };
  const rows = db.prepare('SELECT paid_at, price_sats, model, customer, refund_status, refund_sats FROM jobs WHERE paid_at IS NOT NULL AND paid_at >= ? ORDER BY paid_at').all(since) as Row[];
  const days = new Map<string, EarningsBucket>();
  for (let t = startOfLocalDay(since); t <= now; t = startOfLocalDay(t + DAY_MS + 3_600_000)) {
    const key = localDay(t);
    days.set(key, { key, sats: 0, jobs: 0 });
  }
  const models = new Map<string, EarningsBucket>();
  const requesters = new Map<string, EarningsBucket>();
  const add = (m: Map<string, EarningsBucket>, key: string, sats: number): void => {
    const b = m.get(key) ?? { key, sats: 0, jobs: 0 };
    b.sats += sats;
    b.jobs += 1;
    m.set(key, b);
  };
  let total = 0;
  let refunded = 0;
  let owed = 0;
  for (const r of rows) {
    total += r.price_sats;
    if (r.refund_status === 'paid') refunded += r.refund_sats ?? 0;
    else if (r.refund_status) owed += r.refund_sats ?? 0;
    add(days, localDay(r.paid_at), r.price_sats);
    add(models, r.model ?? 'unknown', r.price_sats);
    add(requesters, r.customer, r.price_sats);
  }
  const agentSpending = db.prepare('SELECT COALESCE(SUM(amount_sats), 0) FROM spends WHERE created_at >= ?').pluck().get(since) as number;
  const bySats = (a: EarningsBucket, b: EarningsBucket): number => b.sats - a.sats || a.key.localeCompare(b.key);
  return {
    since,
    totalSats: total,
    jobs: rows.length,
    refundedSats: refunded,
    refundsOwedSats: owed,
    agentSpendingSats: agentSpending,
    netSats: total - refunded - agentSpending,
    byDay: [...days.values()].sort((a, b) => a.key.localeCompare(b.key)),
    byModel: [...models.values()].sort(bySats),
    byRequester: [...requesters.values()].sort(bySats),
  };
}
