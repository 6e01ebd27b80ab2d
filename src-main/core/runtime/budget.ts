import { z } from 'zod';
import type { Db } from '../store/db.js';

/** Per-agent resource limits (seed 004 part 7, seed 001 BudgetConfig). Sats are integers. */
export const BudgetLimitsSchema = z.object({
  maxTickSeconds: z.number().int().min(1).max(86_400),
  dailyComputeSeconds: z.number().int().min(1),
  storageBytes: z.number().int().min(1),
  modelCallsPerDay: z.number().int().min(0),
  dailySats: z.number().int().min(0),
  sessionSats: z.number().int().min(0),
  tickSats: z.number().int().min(0),
  warnPct: z.number().int().min(1).max(100),
});
export type BudgetLimits = z.infer<typeof BudgetLimitsSchema>;

export const DEFAULT_BUDGET: BudgetLimits = {
  maxTickSeconds: 120,
  dailyComputeSeconds: 3_600,
  storageBytes: 10 * 1024 * 1024,
  modelCallsPerDay: 1_000,
  dailySats: 10_000,
  sessionSats: 5_000,
  tickSats: 5_000,
  warnPct: 80,
};

export type BudgetStatus =
  | { kind: 'ok' }
  | { kind: 'warning'; sessionPct: number; dailyPct: number }
  | { kind: 'session_exceeded' }
  | { kind: 'daily_exceeded' };

export interface BudgetUsage {
  dailySats: number;
  sessionSats: number;
  modelCallsToday: number;
  computeSecondsToday: number;
  storageBytes: number;
}

/** Midnight of the machine's local calendar day: "today" is never a fixed date or UTC. */
export function startOfLocalDay(now: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

function pct(used: number, limit: number): number {
  if (limit <= 0) return used > 0 ? 100 : 0;
  return Math.floor((used * 100) / limit);
}

/** Status of the sats budget if `extraSats` were spent now (0 to read the current status). */
export function budgetStatus(usage: BudgetUsage, limits: BudgetLimits, extraSats = 0): BudgetStatus {
  const daily = usage.dailySats + extraSats;
  const session = usage.sessionSats + extraSats;
  if (daily > limits.dailySats) return { kind: 'daily_exceeded' };
  if (session > limits.sessionSats) return { kind: 'session_exceeded' };
  const dailyPct = pct(daily, limits.dailySats);
  const sessionPct = pct(session, limits.sessionSats);
  if (dailyPct >= limits.warnPct || sessionPct >= limits.warnPct) return { kind: 'warning', sessionPct, dailyPct };
  return { kind: 'ok' };
}

export function isExceeded(status: BudgetStatus): boolean {
  return status.kind === 'daily_exceeded' || status.kind === 'session_exceeded';
}

export function describeStatus(status: BudgetStatus): string {
  switch (status.kind) {
    case 'ok':
      return 'within budget';
    case 'warning':
      return `budget warning: ${status.dailyPct}% of the daily and ${status.sessionPct}% of the session limit used`;
    case 'daily_exceeded':
      return 'daily sats limit would be exceeded';
    case 'session_exceeded':
      return 'session sats limit would be exceeded';
  }
}

/** Reads an agent's consumption from the store. */
export class BudgetMeter {
  private readonly spentSince;
  private readonly callsSince;
  private readonly computeSince;
  private readonly storage;
  private readonly burnSince;

  constructor(db: Db) {
    this.spentSince = db.prepare('SELECT COALESCE(SUM(amount_sats), 0) AS v FROM spends WHERE agent_id = ? AND created_at >= ?').pluck();
    this.callsSince = db.prepare('SELECT COUNT(*) FROM model_calls WHERE agent_id = ? AND created_at >= ?').pluck();
    this.computeSince = db.prepare('SELECT COALESCE(SUM(duration_ms), 0) FROM ticks WHERE agent_id = ? AND started_at >= ? AND duration_ms IS NOT NULL').pluck();
    this.storage = db.prepare("SELECT (SELECT COALESCE(SUM(bytes), 0) FROM memories WHERE agent_id = ?) + (SELECT COALESCE(SUM(LENGTH(CAST(description AS BLOB))), 0) FROM goals WHERE agent_id = ?)").pluck();
    this.burnSince = db.prepare("SELECT COALESCE(SUM(amount_sats), 0) FROM spends WHERE agent_id = ? AND created_at >= ? AND kind = 'payment'").pluck();
  }

  usage(agentId: string, sessionStartedAt: number, now = Date.now()): BudgetUsage {
    const today = startOfLocalDay(now);
    return {
      dailySats: this.spentSince.get(agentId, today) as number,
      sessionSats: this.spentSince.get(agentId, sessionStartedAt) as number,
      modelCallsToday: this.callsSince.get(agentId, today) as number,
      computeSecondsToday: Math.floor((this.computeSince.get(agentId, today) as number) / 1000),
      storageBytes: this.storage.get(agentId, agentId) as number,
    };
  }

  /** Average sats paid per day over the last 7 days (or since creation, if younger): the observed burn. */
  dailyBurn(agentId: string, createdAt: number, now = Date.now()): number {
    const weekAgo = now - 7 * 86_400_000;
    const since = Math.max(weekAgo, createdAt);
    const spent = this.burnSince.get(agentId, since) as number;
    const days = Math.max(1, Math.ceil((now - since) / 86_400_000));
    return Math.ceil(spent / days);
  }
}
