import { describe, expect, it } from 'vitest';
import { budgetStatus, DEFAULT_BUDGET, startOfLocalDay } from './budget.js';
import { requiresApproval } from './autonomy.js';

const limits = { ...DEFAULT_BUDGET, dailySats: 1000, sessionSats: 500, warnPct: 80 };
const usage = (daily: number, session: number) => ({ dailySats: daily, sessionSats: session, modelCallsToday: 0, computeSecondsToday: 0, storageBytes: 0 });

describe('budget status', () => {
  it('is Ok, then Warning with percentages, then exceeded', () => {
    expect(budgetStatus(usage(0, 0), limits)).toEqual({ kind: 'ok' });
    expect(budgetStatus(usage(100, 100), limits, 300)).toEqual({ kind: 'warning', sessionPct: 80, dailyPct: 40 });
    expect(budgetStatus(usage(100, 100), limits, 401)).toEqual({ kind: 'session_exceeded' });
    expect(budgetStatus(usage(900, 0), limits, 101)).toEqual({ kind: 'daily_exceeded' });
    expect(budgetStatus(usage(900, 0), limits, 100)).toEqual({ kind: 'warning', sessionPct: 20, dailyPct: 100 });
  });

  it('counts the day from local midnight', () => {
    const noon = new Date(2026, 10, 23, 12, 30).getTime();
    expect(startOfLocalDay(noon)).toBe(new Date(2026, 10, 23, 0, 0, 0, 0).getTime());
  });
});

describe('autonomy', () => {
  it('asks for approval: always when supervised, above the threshold when semi, never when full', () => {
    expect(requiresApproval('supervised', 1, 1000)).toBe(true);
    expect(requiresApproval('semi_autonomous', 1000, 1000)).toBe(false);
    expect(requiresApproval('semi_autonomous', 1001, 1000)).toBe(true);
    expect(requiresApproval('fully_autonomous', 10_000_000, 1000)).toBe(false);
  });
});
